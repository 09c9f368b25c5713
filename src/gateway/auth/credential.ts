// The credential a request presents: `Authorization: Bearer <credential>`, classified by its form before any
// storage read — a Cordon API key (`cdn_…`, format and checksum checked later), a JWT (three base64url parts:
// an access token of this gateway or a single sign-on token), a model provider's key sent here by mistake, or
// anything else (compared, in constant time, with the operator token).
import { fail } from "../http/errors";

export type Credential =
  | { readonly kind: "api_key"; readonly secret: string }
  | { readonly kind: "jwt"; readonly token: string }
  | { readonly kind: "opaque"; readonly token: string };

/** Longest credential accepted (SSO tokens of large providers run to a few kilobytes). */
export const MAX_CREDENTIAL_CHARS = 16 * 1024;

const JWT_FORM = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/;
/** Provider keys users paste by mistake: OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), and similar. */
const PROVIDER_KEY = /^(?:sk-|sk_|sess-|AIza)/;

export function credentialOf(headers: Headers): Credential {
  const header = headers.get("authorization");
  if (header === null || header.trim() === "") throw fail("missing_api_key", { reason: "no_credential" });
  const value = header.trim();
  const space = value.indexOf(" ");
  if (space === -1 || value.slice(0, space).toLowerCase() !== "bearer") {
    throw fail("invalid_authorization", { reason: "not_bearer" });
  }
  const token = value.slice(space + 1).trimStart();
  if (token.length === 0 || token.length > MAX_CREDENTIAL_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw fail("invalid_authorization", { reason: "bad_credential_chars" });
  }
  if (token.startsWith("cdn_")) return { kind: "api_key", secret: token };
  if (JWT_FORM.test(token)) return { kind: "jwt", token };
  if (PROVIDER_KEY.test(token)) throw fail("foreign_api_key", { reason: "provider_key" });
  return { kind: "opaque", token };
}

/** The first characters of a Cordon key (environment and 8 random characters), for counting failures. */
export function keyPrefixOf(credential: Credential): string | null {
  return credential.kind === "api_key" ? secretPrefixOf(credential.secret) : null;
}

const KEY_PREFIX = /^cdn_(?:live|test|dev)_[0-9A-Za-z]{8}/;

/**
 * The key prefix of a secret, or null when the secret cannot begin any key: such a prefix protects no key, and
 * could not be named as an alert's target in the audit trail.
 */
export function secretPrefixOf(secret: string): string | null {
  return KEY_PREFIX.exec(secret)?.[0] ?? null;
}
