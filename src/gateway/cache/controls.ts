// Per-request cache controls (headers, so any OpenAI client can send them) resolved against the tenant's
// policy and the key's binding. A request may narrow what its key and tenant allow, never widen it: the
// threshold can only rise, the TTL only shorten, the scope only shrink from tenant to user.

import type { Principal } from "../auth/authenticate";
import { badRequest } from "../http/errors";
import type { Policy } from "../policy/tenant-policy";

export interface CacheControls {
  /** Answer from the cache when possible (false with no-cache). */
  read: boolean;
  /** Store a fresh answer (false with no-store). */
  write: boolean;
  /** Never call the provider (only-if-cached). */
  onlyIfCached: boolean;
  threshold: number;
  ttlSeconds: number;
  /** `tenant`, or `user:{id}` when the request names a user. */
  scope: string;
  /** The user the scope is narrowed to, if any. */
  user: string | null;
}

const DIRECTIVES = new Set(["no-store", "no-cache", "only-if-cached"]);
const USER_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

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
    throw badRequest("invalid_cache_control", "x-cache-control cannot combine no-cache and only-if-cached.");
  }

  const headerThreshold = parseThreshold(input.headers.get("x-cache-threshold"));
  const headerTtl = parseTtl(input.headers.get("x-cache-ttl"));
  const threshold = Math.max(policy.similarity_threshold, headerThreshold ?? 0, input.threshold ?? 0);
  const ttlSeconds = Math.min(policy.ttl_seconds, headerTtl ?? Infinity, input.ttlSeconds ?? Infinity);

  const user = resolveUser(input.headers.get("x-cache-user"), input.bodyUser);
  const userBound = policy.cache_scope === "user" || (principal.kind === "api_key" && principal.cacheScope === "user");
  if (userBound && user === null) {
    throw badRequest("cache_user_required", "This key's cache is per user: send x-cache-user or the 'user' field.");
  }

  return {
    read: !directives.has("no-cache"),
    write: !directives.has("no-store") && input.store !== false,
    onlyIfCached: directives.has("only-if-cached"),
    threshold,
    ttlSeconds,
    scope: user === null ? "tenant" : `user:${user}`,
    user,
  };
}

function parseDirectives(header: string | null): Set<string> {
  const out = new Set<string>();
  if (header === null) return out;
  for (const raw of header.split(",")) {
    const d = raw.trim().toLowerCase();
    if (d === "") continue;
    if (!DIRECTIVES.has(d)) {
      throw badRequest("invalid_cache_control", "x-cache-control accepts no-store, no-cache and only-if-cached.");
    }
    out.add(d);
  }
  return out;
}

function parseThreshold(header: string | null): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (!/^(?:0(?:\.\d{1,6})?|1(?:\.0{1,6})?|\.\d{1,6})$/.test(v)) {
    throw badRequest("invalid_cache_threshold", "x-cache-threshold must be a number from 0.0 to 1.0.");
  }
  return Number(v);
}

function parseTtl(header: string | null): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) {
    throw badRequest("invalid_cache_ttl", "x-cache-ttl must be a whole number of seconds, at least 1.");
  }
  return Number(v);
}

function resolveUser(header: string | null, bodyUser: string | undefined): string | null {
  const fromHeader = header === null ? null : header.trim();
  if (fromHeader !== null && !USER_PATTERN.test(fromHeader)) {
    throw badRequest("invalid_cache_user", "x-cache-user must be 1–256 printable ASCII characters.");
  }
  if (bodyUser !== undefined && !USER_PATTERN.test(bodyUser)) {
    throw badRequest("invalid_cache_user", "'user' must be 1–256 printable ASCII characters.");
  }
  if (fromHeader !== null && bodyUser !== undefined && fromHeader !== bodyUser) {
    throw badRequest("conflicting_cache_user", "x-cache-user and the 'user' field name different users.");
  }
  return fromHeader ?? bodyUser ?? null;
}
