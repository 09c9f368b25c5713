// POST /oauth/token — OAuth 2.0 client credentials (RFC 6749 §4.4) on the tenant host. The client is an API
// key: client_id = the key's id, client_secret = its secret, by HTTP Basic (client_secret_basic) or form fields
// (client_secret_post). The key is checked against its tenant's object — strongly consistent, so a revoked key
// never gets a new token — and the access token is a short-lived ES256 JWT holding the key's scopes (or the
// narrower `scope` asked for), cache scope and limits, verified later without a storage read.
// GET /.well-known/jwks.json — the public keys those tokens verify with (current first, then previous ones).
import * as z from "zod";
import { issueAccessToken } from "../auth/access-token";
import { admitCaller } from "../auth/admission";
import { parseApiKey } from "../auth/api-key-secret";
import { principalOfKey } from "../auth/authenticate";
import { secretPrefixOf } from "../auth/credential";
import type { Handled, RequestContext } from "../context";
import { classifyHost } from "../hosts";
import { ApiError, fail } from "../http/errors";
import { json, readBody } from "../http/respond";
import { SCOPES, type Scope } from "../policy/scopes";
import { endsAtOf, issuedAtOf, presentedSecret, type TenantRecord } from "../storage/records";

const MAX_FORM_BYTES = 8 * 1024;
/**
 * What a 401 here challenges with: the scheme this endpoint authenticates clients with, whichever method the client
 * tried and whichever check refused it (RFC 6749 §5.2, RFC 7235 §3.1) — never the Bearer challenge other 401s carry,
 * which names the wrong one.
 */
const CLIENT_CHALLENGE = { "www-authenticate": 'Basic realm="cordon", charset="UTF-8"' };

/**
 * The token request's parameters (application/x-www-form-urlencoded), as the OpenAPI document describes them;
 * the handler reads them one by one below, in the order RFC 6749 checks them. Others are ignored (§3.2).
 */
export const TokenFormSchema = z.object({
  grant_type: z.literal("client_credentials"),
  scope: z.string().optional().describe("Space-separated scopes, at most the key's; all of the key's when omitted."),
  client_id: z.string().optional().describe("client_secret_post: the API key's id (key_…)."),
  client_secret: z.string().optional().describe("client_secret_post: the API key's secret (cdn_…)."),
});
type TokenParameter = keyof typeof TokenFormSchema.shape;

export const TokenResponseSchema = z.strictObject({
  /** An ES256 JWT, verifiable with /.well-known/jwks.json; send it as 'Authorization: Bearer …'. */
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.int().positive(),
  scope: z.string(),
});

export const JwksSchema = z.strictObject({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string().optional() })),
});

export async function jwks(rc: RequestContext): Promise<Handled> {
  return {
    // Served, like every response, with cache-control: no-store (http/respond.ts): a key dropped from the ring
    // is gone from the set at once.
    response: json(rc.rt.accessTokenKeys().jwks(), 200, { "content-type": "application/jwk-set+json" }),
  };
}

export async function token(rc: RequestContext): Promise<Handled> {
  const host = classifyHost(rc.url.hostname, rc.rt.config.baseDomain);
  const tenant: TenantRecord | null =
    host.kind === "tenant"
      ? await rc.rt.tenantDirectory.get(host.id)
      : host.kind === "custom"
        ? await tenantOfCustomHost(rc, host.hostname)
        : null;
  try {
    return await issue(rc, tenant);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // A refusal at a tenant's token endpoint belongs in that tenant's audit trail, like one on its other routes.
    const refusal = err.status === 401 ? challengedAsClient(err) : err;
    throw tenant ? refusal.withFacts({ tenant: tenant.id }) : refusal;
  }
}

/** A 401 from a check shared with other routes (the key's age, say), with this endpoint's challenge. */
function challengedAsClient(err: ApiError): ApiError {
  return new ApiError(err.code, {
    message: err.message,
    ...(err.reason === null ? {} : { reason: err.reason }),
    headers: { ...err.headers, ...CLIENT_CHALLENGE },
    ...(err.facts === null ? {} : { facts: err.facts }),
  });
}

async function issue(rc: RequestContext, tenant: TenantRecord | null): Promise<Handled> {
  const { rt, request } = rc;
  const now = rc.receivedAt;
  const form = await readForm(request);
  const basic = request.headers.get("authorization");
  const client = clientCredentials(form, basic);
  const prefix = client ? secretPrefixOf(client.secret) : null;
  const blocked = rt.guard.blockedUntil(rc.client.ip, prefix, now);
  if (blocked > now) {
    throw fail("auth_blocked", {
      reason: "blocked",
      headers: { "retry-after": String(Math.ceil((blocked - now) / 1000)) },
    });
  }
  // A failed client authentication counts as a failed guess, like a bad bearer credential (auth/guard.ts).
  const invalidClient = async (reason: string) => {
    const outcome = await rt.guard.failure(rc.client.ip, prefix, now);
    for (const which of outcome.newlyBlocked) {
      rc.alert("alert.auth_burst", `${which}_blocked`, which === "ip" ? rc.client.ip : prefix, tenant?.id ?? null);
    }
    if (outcome.delayMs > 0) await new Promise((r) => setTimeout(r, outcome.delayMs));
    return fail("invalid_client", { reason, headers: CLIENT_CHALLENGE });
  };

  const grant = form.get("grant_type");
  if (grant === null) throw fail("invalid_request", { message: "grant_type is required.", reason: "no_grant_type" });
  if (grant !== "client_credentials") throw fail("unsupported_grant_type", { reason: "grant_type" });
  // No client authentication, or a Basic header that names no client, guesses nothing: not counted, as a request
  // without a credential is not on other routes (auth/guard.ts) — a misconfigured client must not block its address.
  if (!client) throw fail("invalid_client", { reason: "no_client_credentials", headers: CLIENT_CHALLENGE });

  const parsed = parseApiKey(client.secret);
  const wellFormed = parsed !== null && parsed.env === rt.config.apiKeyEnv;
  // The key is looked up before the host is judged, as the bearer path does: a host that names no tenant is
  // refused no sooner than a wrong key at a tenant's host, so the time taken does not tell which hosts exist.
  const hash = wellFormed ? await rt.platform.hashApiKey(client.secret) : null;
  const record = hash === null ? null : await rt.keyRecords.lookup(hash, now);
  if (!tenant) throw await invalidClient("no_tenant_at_host");
  if (hash === null) throw await invalidClient("malformed_secret");
  if (!record || record.id !== client.id) throw await invalidClient("unknown_client");
  // Another tenant's genuine key, sent to the wrong host: a mistake, not a guess, as on every other route
  // (403 tenant_mismatch there, auth/guard.ts), so it is not counted; the client is told no more than by a wrong key.
  if (record.tenant !== tenant.id) {
    throw fail("invalid_client", { reason: "client_of_other_tenant", headers: CLIENT_CHALLENGE });
  }
  // The tenant's object is the authority: a key revoked a moment ago on another continent mints nothing, nor
  // does a secret a rotation dropped (which KV and isolate caches may still hold).
  const presented = presentedSecret(await rt.tenantObject(tenant.id).getKey(record.id), hash, now);
  if ("refused" in presented) throw await invalidClient(`caller${presented.refused}`);
  const { key, secret } = presented;
  if (key.tenant_generation !== tenant.generation) throw await invalidClient("client_of_deleted_tenant");
  // The key's own limits apply to minting too: its IP allowlist, its age, its rate limit. Refused by them, the
  // client was authenticated: the trail names its key (admitCaller), as for any request refused after that.
  const caller = principalOfKey(key, issuedAtOf(key, secret), endsAtOf(key, secret), hash);
  const admitted = await admitCaller(rt, tenant, caller, rc.address, now);

  const scopes = requestedScopes(form.get("scope"), key.scopes);
  // A token never outlives what minted it: the key, nor a rotated-out secret's grace (the caller's end).
  const lifetime =
    caller.expiresAt === null
      ? rt.config.accessTokenTtlSeconds
      : Math.min(rt.config.accessTokenTtlSeconds, Math.floor((caller.expiresAt - now) / 1000));
  if (lifetime < 1) throw await invalidClient("client_expiring");
  const issued = await issueAccessToken(rt.accessTokenKeys(), {
    issuer: rt.tokenIssuer(),
    audience: rt.tokenAudience(tenant.id),
    tenant: tenant.id,
    generation: tenant.generation,
    subject: key.id,
    scopes,
    cacheScope: key.cache_scope,
    limits: { ip_allowlist: key.ip_allowlist, rate_limit: key.rate_limit },
    ttlSeconds: lifetime,
    now,
  });
  return {
    response: json(
      {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expiresIn,
        scope: scopes.join(" "),
      } satisfies z.infer<typeof TokenResponseSchema>,
      200,
      { ...admitted, pragma: "no-cache" },
    ),
    facts: { tenant: tenant.id, actor: `key:${key.id}`, target: issued.jti },
  };
}

async function tenantOfCustomHost(rc: RequestContext, hostname: string): Promise<TenantRecord | null> {
  const id = await rc.rt.tenantDirectory.tenantForHostname(hostname);
  return id === null ? null : rc.rt.tenantDirectory.get(id);
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw fail("unsupported_media_type_form");
  const bytes = await readBody(request, MAX_FORM_BYTES);
  // Form encoding is ASCII; bytes outside it are not valid here and decode to replacement characters.
  const form = new URLSearchParams(bytes === null ? "" : new TextDecoder().decode(bytes));
  // RFC 6749 §3.2: parameters must not be repeated.
  for (const name of Object.keys(TokenFormSchema.shape) as TokenParameter[]) {
    if (form.getAll(name).length > 1) {
      throw fail("invalid_request", { message: `The parameter ${name} is repeated.`, reason: "repeated_parameter" });
    }
  }
  return form;
}

/** client_secret_basic (RFC 6749 §2.3.1: form-urlencoded id and secret in Basic) or client_secret_post. */
function clientCredentials(form: URLSearchParams, authorization: string | null): { id: string; secret: string } | null {
  const postId = form.get("client_id");
  const postSecret = form.get("client_secret");
  if (authorization !== null) {
    if (postSecret !== null) {
      throw fail("invalid_request", { message: "Use one client authentication method.", reason: "two_methods" });
    }
    const m = /^Basic ([A-Za-z0-9+/=]{4,2048})$/i.exec(authorization.trim());
    if (!m) return null;
    let decoded: string;
    try {
      decoded = atob(m[1]!);
    } catch {
      return null;
    }
    const colon = decoded.indexOf(":");
    if (colon < 1) return null;
    try {
      return {
        id: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    } catch {
      return null;
    }
  }
  return postId !== null && postSecret !== null ? { id: postId, secret: postSecret } : null;
}

/** The key's scopes, or the narrower set asked for; asking for more, or for an unknown scope, is an error. */
function requestedScopes(scope: string | null, held: readonly Scope[]): Scope[] {
  if (scope === null || scope.trim() === "") return SCOPES.filter((s) => held.includes(s));
  const asked = scope.split(" ").filter((s) => s !== "");
  if (asked.some((s) => !(held as readonly string[]).includes(s)))
    throw fail("invalid_scope", { reason: "scope_wider" });
  return SCOPES.filter((s) => asked.includes(s));
}
