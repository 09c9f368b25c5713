// A real OpenID Provider (oidc-provider) that people sign in to in a browser, for the dashboard's single
// sign-on: the authorization code flow with PKCE required, one public client (no secret: the gateway redeems
// the code with its PKCE verifier) registered with the dashboard's callback, and the provider's own development
// sign-in and consent pages (any login, any password; the login becomes `sub`). Each login's groups come from
// `users` and are put into the ID token's `groups` claim. On loopback, its key made at start, state in memory.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Adapter, type AdapterPayload } from "oidc-provider";
import { GROUPS_CLAIM, signingKey } from "./openid-provider";

export interface LoginProviderOptions {
  readonly clientId: string;
  /** The dashboard's callback at each host that may sign in (http://{tenant}.localhost:{port}/dashboard/sso/callback). */
  readonly redirectUris: readonly string[];
  /** login → the groups of that user. */
  readonly users: Readonly<Record<string, readonly string[]>>;
}

export interface LoginProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  stop(): Promise<void>;
}

/** Everything a browser sign-in keeps (sessions, interactions, codes, grants), in memory, findable as the provider asks. */
function memoryAdapter(): (model: string) => Adapter {
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

export async function startLoginProvider(options: LoginProviderOptions): Promise<LoginProvider> {
  let handle: ReturnType<Provider["callback"]> | null = null;
  const server = createServer((req, res) => {
    if (handle) void handle(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [...options.redirectUris],
      },
    ],
    jwks: { keys: [signingKey("RS256")] },
    adapter: memoryAdapter(),
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    // The role claim goes into the ID token, which is what the dashboard's sign-in reads.
    claims: { openid: ["sub", GROUPS_CLAIM] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, [GROUPS_CLAIM]: [...(options.users[sub] ?? [])] }),
    }),
    features: { devInteractions: { enabled: true } },
    // Lifetimes and an error page of its own, so that the provider prints no notices about its defaults.
    ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
    renderError: (ctx, out) => {
      ctx.type = "text/plain";
      ctx.body = `${out.error}: ${out.error_description ?? ""}`;
    },
  });
  handle = provider.callback();
  let stopped: Promise<void> | null = null;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
