// A real OpenID Provider (oidc-provider) for the single sign-on suite, in this process on a free loopback port
// (issuer `http://127.0.0.1:<port>`): confidential clients that use the client-credentials grant, and resource
// indicators (RFC 8707) so that an access token asked for a registered resource is a JWT in the RFC 9068
// profile (`typ: at+jwt`, RS256 or ES256) whose `aud` is that resource, signed with the provider's own keys,
// made here at start (nothing committed). Each client stands for a user in some groups, which the provider puts
// into the token's `groups` claim. The signing keys can be rotated (a new provider instance on the same server
// and issuer: the new key first, signing; the old ones still published) and the server stopped, to play an
// outage.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata, errors, type JWK } from "oidc-provider";

export interface OpenIdProviderOptions {
  /** client_id → the groups that client's tokens carry. */
  readonly clients: Readonly<Record<string, readonly string[]>>;
  /** Resource indicators the provider issues JWT access tokens for (each one becomes the token's `aud`). */
  readonly resources: readonly string[];
  /** How access tokens are signed: RS256 (the default, as most providers do) or ES256. */
  readonly alg?: "RS256" | "ES256";
  /** false: tokens carry no `kid` (RFC 7515 makes it optional; single-key providers may leave it out). */
  readonly kidInTokens?: boolean;
}

export interface OpenIdProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  /** An access token from the token endpoint, over HTTP, as the client itself would ask for it. */
  token(clientId: string, resource: string): Promise<string>;
  /** Adds a new signing key in front of the old ones; returns its kid. */
  rotateKeys(): string;
  /** Closes the server (idempotent); the issuer and jwks_uri stop answering. */
  stop(): Promise<void>;
}

/** Claim the provider puts each client's groups in. */
export const GROUPS_CLAIM = "groups";

const TOKEN_TTL_SECONDS = 300;

/**
 * What a provider keeps between requests (sessions, interactions, codes, grants; for client credentials little
 * more than nothing, its access tokens being JWTs), in memory, findable by id and by uid as the provider asks.
 */
export function memoryAdapter(): (model: string) => Adapter {
  const items = new Map<string, AdapterPayload>();
  const uids = new Map<string, string>();
  return (model) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload) => {
        items.set(key(id), payload);
        if (payload.uid) uids.set(`${model}:${payload.uid}`, id);
      },
      find: async (id) => items.get(key(id)),
      findByUid: async (uid) => {
        const id = uids.get(`${model}:${uid}`);
        return id === undefined ? undefined : items.get(key(id));
      },
      findByUserCode: async () => undefined,
      consume: async (id) => {
        const item = items.get(key(id));
        if (item) item.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        items.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [k, v] of items) if (v.grantId === grantId) items.delete(k);
      },
    };
  };
}

/**
 * A loopback HTTP server for an OpenID Provider, whose issuer is the server's own origin: it listens first (503
 * until a provider is served), the provider is built with the issuer, then served — again after a key rotation.
 */
export async function providerServer(): Promise<{
  readonly issuer: string;
  serve(provider: Provider): void;
  stop(): Promise<void>;
}> {
  let handle: ReturnType<Provider["callback"]> | null = null;
  const server = createServer((req, res) => {
    if (handle) void handle(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let stopped: Promise<void> | null = null;
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(provider) {
      handle = provider.callback();
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

export function signingKey(alg: "RS256" | "ES256"): JWK {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...privateKey.export({ format: "jwk" }), kid: `e2e-${randomBytes(6).toString("hex")}`, use: "sig" } as JWK;
}

export async function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProvider> {
  const server = await providerServer();
  const { issuer } = server;

  const secrets = new Map(Object.keys(options.clients).map((id) => [id, randomBytes(24).toString("base64url")]));
  const clients: ClientMetadata[] = [...secrets].map(([client_id, client_secret]) => ({
    client_id,
    client_secret,
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: "client_secret_basic",
  }));
  const cookieKeys = [randomBytes(32).toString("base64url")];
  const alg = options.alg ?? "RS256";
  const adapter = memoryAdapter();
  const keys: JWK[] = [];

  const install = () => {
    const provider = new Provider(issuer, {
      clients,
      jwks: { keys: [...keys] },
      adapter,
      ttl: { ClientCredentials: TOKEN_TTL_SECONDS },
      cookies: { keys: cookieKeys },
      clientDefaults: { id_token_signed_response_alg: alg },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => undefined,
          useGrantedResource: () => false,
          getResourceServerInfo: (_ctx, resource) => {
            if (!options.resources.includes(resource)) throw new errors.InvalidTarget();
            return {
              scope: "cordon",
              accessTokenFormat: "jwt",
              accessTokenTTL: TOKEN_TTL_SECONDS,
              jwt: { sign: { alg } },
            };
          },
        },
      },
      formats: {
        customizers: {
          jwt: (_ctx, _token, parts) => {
            if (options.kidInTokens === false) parts.header = { ...parts.header, kid: undefined };
            return parts;
          },
        },
      },
      extraTokenClaims: (_ctx, token) => {
        const clientId = "clientId" in token ? token.clientId : undefined;
        const groups = clientId === undefined ? undefined : options.clients[clientId];
        return groups ? { [GROUPS_CLAIM]: [...groups] } : undefined;
      },
    });
    server.serve(provider);
  };
  keys.push(signingKey(alg));
  install();

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    async token(clientId, resource) {
      const secret = secrets.get(clientId);
      if (secret === undefined) throw new Error(`no client ${clientId}`);
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: "cordon" }),
      });
      const body = (await res.json()) as { access_token?: unknown };
      if (res.status !== 200 || typeof body.access_token !== "string") {
        throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    rotateKeys() {
      keys.unshift(signingKey(alg));
      install();
      return keys[0]!.kid!;
    },
    stop: () => server.stop(),
  };
}
