// The dashboard's cookies, and what a request carrying one must show besides. The browser never holds a secret
// in script-readable storage: the session lives in an HttpOnly cookie, and script holds only the session's
// CSRF token (a MAC of the cookie, crypto/platform-keyring.ts) in memory, sent back as x-cordon-csrf.
//
//   __Host-cordon_session  k.{access token for the key, ≤ 1 h}  |  s.{verified SSO ID token}
//                          Path=/; HttpOnly; Secure; SameSite=Strict; host-only (the __Host- prefix)
//   __Host-cordon_sso      one single sign-on attempt (tenant, state, nonce, PKCE verifier, expiry), sealed
//                          with AES-GCM; SameSite=Lax, because the provider's redirect back is a cross-site
//                          navigation, which Strict cookies do not follow; 10 minutes
//
// Pure functions: cookie parsing and formatting, and the same-origin test for requests that change anything.
import { fail } from "../http/errors";
import { looksLikeCompactJws } from "./jwt-failure";

export const SESSION_COOKIE = "__Host-cordon_session";
export const SSO_FLOW_COOKIE = "__Host-cordon_sso";
export const CSRF_HEADER = "x-cordon-csrf";
/** The longest a dashboard session lasts (it ends sooner with its key or the SSO ID token). */
export const SESSION_MAX_SECONDS = 3600;
/** Time allowed between starting single sign-on and returning from the provider. */
export const SSO_FLOW_SECONDS = 600;
/** Browsers keep a cookie whose name and value together fit in 4096 bytes. */
export const MAX_COOKIE_BYTES = 4096;

export type SessionCredential = {
  readonly kind: "key_session" | "sso_session";
  /** The whole cookie value, which the CSRF token is derived from. */
  readonly cookie: string;
  /** The JWT inside it. */
  readonly token: string;
};

const PREFIX = { "k.": "key_session", "s.": "sso_session" } as const;

/** Every value the request sends for the cookie `name` (several when a cookie was tossed next to ours). */
export function cookieValues(headers: Headers, name: string): string[] {
  const header = headers.get("cookie");
  if (header === null) return [];
  const out: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The dashboard session a request carries in its cookie, or null when it carries none. A cookie sent twice, or
 * not shaped like one this gateway sets, is refused.
 */
export function sessionOf(headers: Headers): SessionCredential | null {
  const values = cookieValues(headers, SESSION_COOKIE).filter((v) => v !== "");
  if (values.length === 0) return null;
  if (values.length > 1) throw fail("invalid_session", { reason: "session_cookie_repeated" });
  const cookie = values[0]!;
  const kind = PREFIX[cookie.slice(0, 2) as keyof typeof PREFIX];
  const token = cookie.slice(2);
  if (kind === undefined || !looksLikeCompactJws(token, MAX_COOKIE_BYTES)) {
    throw fail("invalid_session", { reason: "session_cookie_malformed" });
  }
  return { kind, cookie, token };
}

/** The cookie value of a session holding `token`, or null when it would not fit in a browser's cookie. */
export function sessionCookieValue(kind: SessionCredential["kind"], token: string): string | null {
  const value = `${kind === "key_session" ? "k." : "s."}${token}`;
  return SESSION_COOKIE.length + 1 + value.length <= MAX_COOKIE_BYTES ? value : null;
}

const ATTRIBUTES = "Path=/; HttpOnly; Secure";

export function setSessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; ${ATTRIBUTES}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; SameSite=Strict`;
}

export function clearSessionCookie(): string {
  return `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0; SameSite=Strict`;
}

export function setSsoFlowCookie(value: string): string {
  return `${SSO_FLOW_COOKIE}=${value}; ${ATTRIBUTES}; Max-Age=${SSO_FLOW_SECONDS}; SameSite=Lax`;
}

export function clearSsoFlowCookie(): string {
  return `${SSO_FLOW_COOKIE}=; ${ATTRIBUTES}; Max-Age=0; SameSite=Lax`;
}

/** Methods that change nothing; every other one must come from the dashboard's own origin. */
export const isSafeMethod = (method: string) => method === "GET" || method === "HEAD";

/**
 * Whether the browser says the request comes from a page of `origin` itself: `Origin` equal to it (browsers
 * send it on every request that may change something), and `Sec-Fetch-Site`, when sent, `same-origin`. A
 * request with neither is not taken to be same-origin.
 */
export function fromSameOrigin(headers: Headers, origin: string): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const sent = headers.get("origin");
  if (sent !== null) return sent === origin;
  return site === "same-origin";
}
