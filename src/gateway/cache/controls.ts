// Per-request cache controls (headers, so any OpenAI client can send them) resolved against the tenant's
// policy and what the caller may do (policy/access.ts). A request may narrow what its key and tenant allow,
// never widen it: the threshold can only rise, the TTL only shorten, the scope only shrink from tenant to user,
// and reading, storing and calling the provider each need their scope.

import { fail } from "../http/errors";
import { cacheAccess, decideCacheScope } from "../policy/access";
import type { Principal } from "../policy/principal";
import type { Policy } from "../policy/tenant-policy";
import { normalizeBounded } from "../text/normalize";

export interface CacheControls {
  /** Answer from the cache when possible (false with no-cache). */
  read: boolean;
  /** Store a fresh answer (false with no-store). */
  write: boolean;
  /** Never call the provider (only-if-cached). */
  onlyIfCached: boolean;
  /** The caller may call the provider on a miss (the `completions` scope). */
  callProvider: boolean;
  threshold: number;
  /** Look the prompt up by meaning: false at a threshold of 1 (EXACT_ONLY), where only the exact tier can match. */
  searchByMeaning: boolean;
  /**
   * Index a stored answer by meaning: false when the tenant's own threshold is 1, which turns its semantic tier
   * off. A request that raises its threshold to 1 only narrows its own lookup; its answer is indexed as usual.
   */
  indexByMeaning: boolean;
  ttlSeconds: number;
  /** `tenant`, or `user:{id}` when the request names a user. */
  scope: string;
  /** The user the scope is narrowed to, if any. */
  user: string | null;
}

/** The similarity threshold that turns the semantic tier off: no embedding is computed, nothing is searched. */
export const EXACT_ONLY = 1;

const DIRECTIVES = new Set(["no-store", "no-cache", "only-if-cached"]);
/** x-cache-user, a header value: 1–256 printable ASCII characters, no white space at either end. */
export const HEADER_USER_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/**
 * A user named in a body or a query (OpenAI's `user`, an export, an erasure): any text of 1–256 characters
 * without control characters and not only white space, as OpenAI takes it, in Unicode's NFC form, so that a
 * name typed two ways names one user. Null when the value is not one.
 */
export function userIdOf(value: string): string | null {
  // Counted in characters (code points), as OpenAI counts: 256 emoji are 512 UTF-16 units. A value far longer
  // than any decomposed spelling of 256 characters is refused before it is normalised.
  if (value.length > 16 * USER_ID_MAX_CHARS) return null;
  const v = normalizeBounded(value, "NFC");
  const chars = [...v].length;
  return chars >= 1 && chars <= USER_ID_MAX_CHARS && !/\p{Cc}/u.test(v) && v.trim() !== "" ? v : null;
}

const USER_ID_MAX_CHARS = 256;

export const USER_ID_RULE = "1–256 characters, without control characters";

export interface ControlInputs {
  headers: Headers;
  /** The user named in the body (OpenAI `user`), if any. */
  bodyUser?: string | undefined;
  /** Body-level overrides (cache/query): same rules as the headers. */
  threshold?: number | undefined;
  ttlSeconds?: number | undefined;
  store?: boolean | undefined;
}

export function resolveControls(input: ControlInputs, policy: Policy, principal: Principal): CacheControls {
  const directives = parseDirectives(input.headers.get("x-cache-control"));
  if (directives.has("no-cache") && directives.has("only-if-cached")) {
    throw fail("invalid_cache_control", { message: "x-cache-control cannot combine no-cache and only-if-cached." });
  }

  const headerThreshold = parseThreshold(input.headers.get("x-cache-threshold"));
  const headerTtl = parseTtl(input.headers.get("x-cache-ttl"));
  const threshold = Math.max(policy.similarity_threshold, headerThreshold ?? 0, input.threshold ?? 0);
  const ttlSeconds = Math.min(policy.ttl_seconds, headerTtl ?? Infinity, input.ttlSeconds ?? Infinity);

  const scope = decideCacheScope(
    policy.cache_scope,
    principal,
    resolveUser(input.headers.get("x-cache-user"), input.bodyUser),
  );
  if (!scope.ok) throw fail(scope.decision.code, { reason: scope.decision.reason });

  const access = cacheAccess(principal);
  return {
    read: access.read && !directives.has("no-cache"),
    // Consent: the tenant's no_store default and a request's no-store both mean nothing is stored.
    write: access.write && !policy.no_store && !directives.has("no-store") && input.store !== false,
    onlyIfCached: directives.has("only-if-cached"),
    callProvider: access.callProvider,
    threshold,
    searchByMeaning: threshold < EXACT_ONLY,
    indexByMeaning: policy.similarity_threshold < EXACT_ONLY,
    ttlSeconds,
    scope: scope.scope,
    user: scope.user,
  };
}

function parseDirectives(header: string | null): Set<string> {
  const out = new Set<string>();
  if (header === null) return out;
  for (const raw of header.split(",")) {
    const d = raw.trim().toLowerCase();
    if (d === "") continue;
    if (!DIRECTIVES.has(d)) {
      throw fail("invalid_cache_control");
    }
    out.add(d);
  }
  return out;
}

function parseThreshold(header: string | null): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (!/^(?:0(?:\.\d{1,6})?|1(?:\.0{1,6})?|\.\d{1,6})$/.test(v)) {
    throw fail("invalid_cache_threshold");
  }
  return Number(v);
}

function parseTtl(header: string | null): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) {
    throw fail("invalid_cache_ttl");
  }
  return Number(v);
}

function resolveUser(header: string | null, given: string | undefined): string | null {
  // OpenAI clients send `user: ""` for no user.
  const bodyUser = given === "" ? undefined : given;
  const fromHeader = header === null ? null : header.trim();
  if (fromHeader !== null && !HEADER_USER_PATTERN.test(fromHeader)) {
    throw fail("invalid_cache_user", { message: "x-cache-user must be 1–256 printable ASCII characters." });
  }
  const fromBody = bodyUser === undefined ? null : userIdOf(bodyUser);
  if (bodyUser !== undefined && fromBody === null) {
    throw fail("invalid_cache_user", { message: `'user' must be ${USER_ID_RULE}.` });
  }
  if (fromHeader !== null && fromBody !== null && fromHeader !== fromBody) {
    throw fail("conflicting_cache_user");
  }
  return fromHeader ?? fromBody;
}
