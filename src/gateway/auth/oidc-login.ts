// Single sign-on to the dashboard: the OpenID Connect authorization code flow with PKCE (RFC 7636, S256), run
// by the gateway itself, so that the page's CSP can stay 'self'-only and no token ever reaches script.
//
//   start     discovery ({issuer}/.well-known/openid-configuration, its `issuer` equal to the configured one)
//             → a fresh attempt: state, nonce and PKCE verifier (256 random bits each), sealed into a cookie
//             → redirect to the authorization endpoint (client_id = the tenant's oidc.audience)
//   callback  state equal to the attempt's → the code exchanged at the token endpoint with the verifier, from
//             the Worker (a public client: PKCE is its proof) → the ID token verified as SSO tokens are
//             (auth/oidc.ts) → its nonce equal to the attempt's
//
// The tenant's IdP application: a public client (no secret) requiring PKCE, redirect URI
// `https://{tenant host}/dashboard/sso/callback`, the role claim in the ID token. Endpoints must be https on a DNS
// name, as jwks_uri must (http and loopback only in local development). No I/O here but through `fetcher`; the
// endpoints are kept in the isolate (DiscoveryCache).
import { decodeJwt } from "jose";
import * as z from "zod";
import { randomBytes, toBase64Url, utf8 } from "../crypto/encoding";
import { readTextAtMost } from "../http/bounded-read";
import { jwksUriProblem } from "../policy/oidc-settings";
import { JWKS_CACHE_DEFAULTS } from "./jwks-cache";

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface ProviderEndpoints {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

/** One sign-in attempt, kept sealed in the browser between start and callback. */
export const SsoAttemptSchema = z.strictObject({
  v: z.literal(1),
  tenant: z.string().min(1).max(64),
  state: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  verifier: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  expires_at: z.number().int(),
});
export type SsoAttempt = z.infer<typeof SsoAttemptSchema>;

export type OidcLoginFailure =
  | "discovery_unreachable"
  | "discovery_invalid"
  | "issuer_mismatch"
  | "insecure_endpoint"
  | "pkce_unsupported"
  | "token_endpoint_unreachable"
  | "code_refused"
  | "token_response_invalid";

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: OidcLoginFailure };

const TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;

const DiscoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().max(2048),
  token_endpoint: z.string().max(2048),
  code_challenge_methods_supported: z.array(z.string()).optional(),
});

const TokenResponseSchema = z.object({
  id_token: z
    .string()
    .min(1)
    .max(16 * 1024),
});

/** A new attempt for `tenant`, valid for `seconds`. */
export function newAttempt(tenant: string, now: number, seconds: number): SsoAttempt {
  const random = () => toBase64Url(randomBytes(32));
  return { v: 1, tenant, state: random(), nonce: random(), verifier: random(), expires_at: now + seconds * 1000 };
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(verifier))));
}

/** The provider's endpoints, from its discovery document (OpenID Connect Discovery 1.0 §4). */
export async function discover(
  fetcher: FetchLike,
  issuer: string,
  allowInsecure: boolean,
): Promise<Outcome<ProviderEndpoints>> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  if (jwksUriProblem(url, allowInsecure) !== null) return { ok: false, reason: "insecure_endpoint" };
  const got = await getJson(fetcher, url, { headers: { accept: "application/json" } });
  if (got === "unreachable") return { ok: false, reason: "discovery_unreachable" };
  const doc = DiscoverySchema.safeParse(got.ok ? got.body : null);
  if (!doc.success) return { ok: false, reason: "discovery_invalid" };
  if (doc.data.issuer !== issuer) return { ok: false, reason: "issuer_mismatch" };
  const { authorization_endpoint, token_endpoint, code_challenge_methods_supported: methods } = doc.data;
  if (jwksUriProblem(authorization_endpoint, allowInsecure) || jwksUriProblem(token_endpoint, allowInsecure)) {
    return { ok: false, reason: "insecure_endpoint" };
  }
  if (methods !== undefined && !methods.includes("S256")) return { ok: false, reason: "pkce_unsupported" };
  return { ok: true, value: { authorization_endpoint, token_endpoint } };
}

/** The most providers whose endpoints an isolate keeps, the least recently asked for dropped first. */
const DISCOVERY_ENTRIES = 64;

/**
 * Providers' endpoints, kept in the isolate as their key sets are (auth/jwks-cache.ts): trusted for
 * JWKS_CACHE_DEFAULTS.ttlMs (10 minutes), a failed discovery not tried again for its failureBackoffMs (5 s), and one
 * fetch at a time per provider. The start of a sign-in needs no credential: without this, every hit on it, anyone's,
 * was one request from the gateway to the tenant's provider.
 */
export class DiscoveryCache {
  private readonly entries = new Map<string, { at: number; outcome: Promise<Outcome<ProviderEndpoints>> }>();

  constructor(private readonly fetcher: FetchLike) {}

  async endpoints(issuer: string, allowInsecure: boolean, now: number): Promise<Outcome<ProviderEndpoints>> {
    const key = `${allowInsecure ? "insecure" : "secure"} ${issuer}`;
    const known = this.entries.get(key);
    if (known) {
      this.entries.delete(key);
      this.entries.set(key, known);
      const outcome = await known.outcome;
      const keptFor = outcome.ok ? JWKS_CACHE_DEFAULTS.ttlMs : JWKS_CACHE_DEFAULTS.failureBackoffMs;
      if (now - known.at < keptFor) return outcome;
      // Another caller may have begun the next fetch while this one waited.
      const latest = this.entries.get(key);
      if (latest && latest !== known) return latest.outcome;
    }
    const outcome = discover(this.fetcher, issuer, allowInsecure);
    this.entries.delete(key);
    this.entries.set(key, { at: now, outcome });
    while (this.entries.size > DISCOVERY_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return outcome;
  }
}

/** Where the browser is sent to sign in. */
export function authorizationUrl(
  endpoints: ProviderEndpoints,
  p: { clientId: string; redirectUri: string; attempt: SsoAttempt; challenge: string },
): string {
  const url = new URL(endpoints.authorization_endpoint);
  const params = {
    response_type: "code",
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    scope: "openid",
    state: p.attempt.state,
    nonce: p.attempt.nonce,
    code_challenge: p.challenge,
    code_challenge_method: "S256",
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** The ID token the code is exchanged for (the code, the verifier, the same redirect URI; no client secret). */
export async function exchangeCode(
  fetcher: FetchLike,
  endpoints: ProviderEndpoints,
  p: { code: string; clientId: string; redirectUri: string; verifier: string },
): Promise<Outcome<string>> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: p.clientId,
    code_verifier: p.verifier,
  });
  const got = await getJson(fetcher, endpoints.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
  });
  if (got === "unreachable") return { ok: false, reason: "token_endpoint_unreachable" };
  if (!got.ok) return { ok: false, reason: "code_refused" };
  const body = TokenResponseSchema.safeParse(got.body);
  return body.success ? { ok: true, value: body.data.id_token } : { ok: false, reason: "token_response_invalid" };
}

/** The `nonce` of an ID token already verified, or null. */
export function nonceOf(idToken: string): string | null {
  try {
    const { nonce } = decodeJwt(idToken);
    return typeof nonce === "string" ? nonce : null;
  } catch {
    return null;
  }
}

/** A JSON response, read up to MAX_RESPONSE_BYTES; `ok` is the HTTP outcome; "unreachable" on any network error. */
async function getJson(
  fetcher: FetchLike,
  url: string,
  init: RequestInit,
): Promise<{ ok: boolean; body: unknown } | "unreachable"> {
  let res: Response;
  try {
    res = await fetcher(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    return "unreachable";
  }
  try {
    const text = await readTextAtMost(res, MAX_RESPONSE_BYTES);
    return { ok: res.ok, body: text === null ? null : (JSON.parse(text) as unknown) };
  } catch {
    return { ok: false, body: null };
  }
}
