// The isolate's cache of OpenID Providers' key sets, for tenant single sign-on (oidc.ts). Its only I/O is
// the injected fetch; its only clock is the `now` each call passes.
import { createLocalJWKSet, type JSONWebKeySet, type LocalJWKSet } from "jose";
import { readTextAtMost } from "../http/bounded-read";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface JwksCacheOptions {
  /** The only I/O: `(url, init) => fetch(url, init)` in the Worker, a fake in tests. */
  readonly fetch: FetchLike;
  /** Distinct jwks_uris kept; the least recently used is dropped beyond this. */
  readonly maxEntries?: number;
  /** A key set is used for this long after it was fetched, then fetched again before use. */
  readonly ttlMs?: number;
  /** An unknown kid refetches the set only if no other unknown kid made it refetch within this long. */
  readonly refreshCooldownMs?: number;
  /** After a failed fetch, requests that need the set are refused without fetching for this long. */
  readonly failureBackoffMs?: number;
  readonly fetchTimeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly maxKeys?: number;
}

export const JWKS_CACHE_DEFAULTS: Readonly<Required<Omit<JwksCacheOptions, "fetch">>> = Object.freeze({
  maxEntries: 64,
  ttlMs: 10 * 60_000,
  refreshCooldownMs: 30_000,
  failureBackoffMs: 5_000,
  fetchTimeoutMs: 5_000,
  maxResponseBytes: 256 * 1024,
  maxKeys: 100,
});

type FetchOutcome = { ok: true; keys: LocalJWKSet } | { ok: false; detail: string };

interface CacheEntry {
  /** The last key set fetched successfully, and when. */
  set: { keys: LocalJWKSet; fetchedAt: number } | null;
  /** The last attempt, successful or not. */
  attemptedAt: number;
  /** The last refetch an unknown kid caused: the start of its cooldown. */
  unknownKidRefetchAt: number;
  lastFailed: boolean;
  lastFailure: string;
  inflight: Promise<FetchOutcome> | null;
}

export type KeySetLookup = { ok: true; keys: LocalJWKSet } | { ok: false; reason: "jwks_unavailable"; detail: string };

const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];

/**
 * The isolate's cache of OpenID Providers' key sets, one entry per jwks_uri. Create ONE per isolate
 * (module scope) and pass it to verifyOidcToken; it is the only state the SSO check keeps.
 *
 * Numbers (JWKS_CACHE_DEFAULTS): at most 64 providers (LRU), a set is trusted for 10 minutes after it was
 * fetched, an unknown kid refetches at most once per 30 s per jwks_uri (an attacker sending random kids
 * costs the provider one request per 30 s per isolate, and gets unknown_kid meanwhile). The 30 s count from
 * the last refetch an unknown kid caused, not from the first or the periodic fetch: a provider that rotates
 * its signing key just after Cordon fetched its set has its first new token accepted, not refused for up to
 * 30 s. A set fetched for the very request whose kid it lacks is not fetched again for it. A failed fetch
 * blocks further fetches for 5 s, a fetch times out after 5 s, a response is at most 256 KB and 100 keys.
 * Concurrent requests share one fetch. A set past its 10 minutes that cannot be fetched again is NOT used:
 * tokens are refused until the provider answers (fail closed). Responses must be 200 with a JWKS of public
 * keys; a set that publishes any private or symmetric key material is refused whole. Redirects are not
 * followed (a 3xx is a failure), so an https jwks_uri cannot be bounced to http.
 */
export class JwksCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly opts: Required<JwksCacheOptions>;

  constructor(options: JwksCacheOptions) {
    const d = JWKS_CACHE_DEFAULTS;
    this.opts = {
      fetch: options.fetch,
      maxEntries: options.maxEntries ?? d.maxEntries,
      ttlMs: options.ttlMs ?? d.ttlMs,
      refreshCooldownMs: options.refreshCooldownMs ?? d.refreshCooldownMs,
      failureBackoffMs: options.failureBackoffMs ?? d.failureBackoffMs,
      fetchTimeoutMs: options.fetchTimeoutMs ?? d.fetchTimeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
      maxKeys: options.maxKeys ?? d.maxKeys,
    };
  }

  /** How many providers are cached (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** The key set to verify with: cached if younger than the TTL, otherwise fetched now. */
  async keySet(jwksUri: string, now: number): Promise<KeySetLookup> {
    const entry = this.touch(jwksUri);
    if (entry.set !== null && now - entry.set.fetchedAt < this.opts.ttlMs) return { ok: true, keys: entry.set.keys };
    if (entry.lastFailed && now - entry.attemptedAt < this.opts.failureBackoffMs) {
      return { ok: false, reason: "jwks_unavailable", detail: `backoff after ${entry.lastFailure}` };
    }
    return this.refresh(jwksUri, entry, now);
  }

  /**
   * After a token's kid matched no key: a fresh set if the cooldown allows a refetch, else null (the caller
   * then refuses the token as unknown_kid without any I/O).
   */
  async refreshForUnknownKid(jwksUri: string, now: number): Promise<KeySetLookup | null> {
    const entry = this.touch(jwksUri);
    if (entry.inflight === null) {
      if (entry.set !== null && entry.set.fetchedAt >= now) return null; // fetched for this very request
      if (now - entry.unknownKidRefetchAt < this.opts.refreshCooldownMs) return null;
      if (entry.lastFailed && now - entry.attemptedAt < this.opts.failureBackoffMs) return null;
      entry.unknownKidRefetchAt = now;
    }
    return this.refresh(jwksUri, entry, now);
  }

  private touch(jwksUri: string): CacheEntry {
    let entry = this.entries.get(jwksUri);
    if (entry === undefined) {
      entry = {
        set: null,
        attemptedAt: Number.NEGATIVE_INFINITY,
        unknownKidRefetchAt: Number.NEGATIVE_INFINITY,
        lastFailed: false,
        lastFailure: "",
        inflight: null,
      };
    } else {
      this.entries.delete(jwksUri);
    }
    this.entries.set(jwksUri, entry);
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }

  private async refresh(jwksUri: string, entry: CacheEntry, now: number): Promise<KeySetLookup> {
    if (entry.inflight === null) {
      entry.attemptedAt = now;
      entry.inflight = this.download(jwksUri).finally(() => {
        entry.inflight = null;
      });
    }
    const outcome = await entry.inflight;
    if (!outcome.ok) {
      entry.lastFailed = true;
      entry.lastFailure = outcome.detail;
      return { ok: false, reason: "jwks_unavailable", detail: outcome.detail };
    }
    entry.lastFailed = false;
    // Concurrent callers all land here with the same outcome; the first one stores it.
    if (entry.set?.keys !== outcome.keys) entry.set = { keys: outcome.keys, fetchedAt: now };
    return { ok: true, keys: outcome.keys };
  }

  /** Never rejects: every failure, including a body that breaks off or times out mid-read, is an outcome. */
  private async download(jwksUri: string): Promise<FetchOutcome> {
    let text: string | null;
    try {
      const response = await this.opts.fetch(jwksUri, {
        method: "GET",
        headers: { accept: "application/jwk-set+json, application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(this.opts.fetchTimeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, detail: `http_${response.status}` };
      }
      text = await readTextAtMost(response, this.opts.maxResponseBytes);
    } catch (err) {
      return { ok: false, detail: err instanceof Error && err.name === "TimeoutError" ? "timeout" : "network_error" };
    }
    if (text === null) return { ok: false, detail: "too_large" };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return { ok: false, detail: "not_json" };
    }
    if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
      return { ok: false, detail: "not_a_jwks" };
    }
    const keys = (doc as { keys: unknown[] }).keys;
    if (keys.length > this.opts.maxKeys) return { ok: false, detail: "too_many_keys" };
    if (!keys.every((k) => typeof k === "object" && k !== null && !Array.isArray(k))) {
      return { ok: false, detail: "not_a_jwks" };
    }
    if (keys.some((k) => PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(k as object, m)))) {
      return { ok: false, detail: "private_key_in_jwks" };
    }
    try {
      return { ok: true, keys: createLocalJWKSet({ keys: keys as JSONWebKeySet["keys"] }) };
    } catch {
      return { ok: false, detail: "not_a_jwks" };
    }
  }
}
