// The tenant policy: what a tenant's administrators set for every request on its host (SPEC §2, "Policy").
// `GET /v1/admin/policy` returns the whole object; `PUT` takes the whole object back (every field required).
// Stored policies written before a field existed read with that field's default.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";
import { canonicalJson } from "../../shared/canonical-json";
import { toHex } from "../crypto/encoding";
import { MAX_ALLOWLIST_ENTRIES } from "./network";
import { OidcConfigSchema } from "./oidc-settings";
import { RateLimitSchema } from "./rate-limit";

/** The longest a tenant may serve an entry past its TTL (when every upstream target fails). */
export const MAX_SERVE_STALE_SECONDS = 86_400;
/** Fallback targets a tenant may list (every attempt at each is recorded in one audit event). */
export const FALLBACKS_MAX = 5;
/**
 * A model as AI Gateway routes it, naming its provider (`openai/gpt-4o-mini`): what a request must name behind AI
 * Gateway, and what every fallback must be (the admin API refuses others; stored policies are read as they are).
 */
export const ROUTABLE_MODEL = /^[\w.-]+\/\S+$/;

/** The fields and their constraints; every field required (what PUT accepts and GET returns). */
export const PolicySchema = z.strictObject({
  /**
   * Minimum cosine similarity for a semantic hit; requests may raise it, never lower it. 1 turns the semantic
   * tier off: exact matches only, and nothing is embedded, searched or indexed (cache/controls.ts).
   */
  similarity_threshold: z.number().min(0).max(1),
  /** Lifetime of cached entries; requests may shorten it, never lengthen it. */
  ttl_seconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 86400),
  /** `user`: every request must name a user and shares cache only with that user's requests. */
  cache_scope: z.enum(["tenant", "user"]),
  /** CIDR ranges allowed to call the tenant host (IPv4 and IPv6, stored canonical); empty = any address. */
  ip_allowlist: z.array(z.string().min(1).max(64)).max(MAX_ALLOWLIST_ENTRIES),
  /** `skip`: answer but never store prompts with personal data; `redact`: replace it first; `block`: refuse. */
  pii_mode: z.enum(["skip", "redact", "block"]),
  /** Tenant-wide consent default: when true nothing about any request is stored in the cache. */
  no_store: z.boolean(),
  /** Pad hits toward the miss latency and hide cache headers, so callers cannot probe what others asked. */
  timing_protection: z.boolean(),
  /** Requests per window for the whole tenant; keys may carry their own, and the stricter applies. */
  rate_limit: RateLimitSchema.nullable(),
  /** Keys older than this get a warning header (and are refused when enforce_max_key_age is set). */
  max_key_age_days: z.number().int().min(1).max(3650),
  /** Refuse keys older than max_key_age_days instead of only warning. */
  enforce_max_key_age: z.boolean(),
  /** Single sign-on: tokens of this OpenID Provider are accepted and mapped to roles. */
  oidc: OidcConfigSchema.nullable(),
  /** Upstream `provider/model` targets tried in order when the requested one fails. */
  fallbacks: z.array(ModelNameSchema).max(FALLBACKS_MAX),
  /** When every upstream target fails, serve an entry expired by at most this many seconds (0 = never). */
  serve_stale_seconds: z.number().int().min(0).max(MAX_SERVE_STALE_SECONDS),
});
export type Policy = z.infer<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = Object.freeze({
  similarity_threshold: 0.9,
  ttl_seconds: 86400,
  cache_scope: "tenant",
  ip_allowlist: [],
  pii_mode: "skip",
  no_store: false,
  timing_protection: false,
  rate_limit: null,
  max_key_age_days: 90,
  enforce_max_key_age: false,
  oidc: null,
  fallbacks: [],
  serve_stale_seconds: 0,
});

/** How stored policies are read: a field missing from an older record takes its default. */
export const StoredPolicySchema = z.preprocess(
  (raw) => (raw !== null && typeof raw === "object" ? { ...DEFAULT_POLICY, ...raw } : raw),
  PolicySchema,
);

/**
 * The policy's entity tag (`ETag` of GET and PUT /v1/admin/policy, compared with `If-Match` and `If-None-Match`): a
 * digest of its canonical JSON, so two administrators' read-modify-write cycles cannot silently undo each other's
 * change, and a client that holds the policy is told it has not changed without being sent it again.
 */
export async function policyTag(policy: Policy): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(policy)));
  return `"${toHex(new Uint8Array(digest).slice(0, 16))}"`;
}

/**
 * Whether an If-Match or If-None-Match field value names the policy whose tag is `tag` (RFC 9110 §13.1.1,
 * §13.1.2): `*`, or a list of entity tags one of which is `tag`. Several fields arrive joined into one list. A value
 * that is not a list of entity tags names nothing. If-Match admits a PUT when it names the tag; If-None-Match makes a
 * GET answer 304 Not Modified.
 *
 * By weak comparison (`W/"…"` matches `"…"`), as RFC 9110 asks for If-None-Match and, deliberately, for If-Match
 * too, where it asks for strong: the tag names the policy's content, not the bytes of one representation, and
 * Cloudflare's edge turns a strong tag weak when it compresses a response — a client that sends back the tag it
 * read would be refused on every PUT.
 */
export function namesPolicyTag(field: string, tag: string): boolean {
  const value = field.trim();
  if (value === "*") return true;
  const entityTag = /[ \t]*(?:W\/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|$)/y;
  let matched = false;
  while (entityTag.lastIndex < value.length) {
    const m = entityTag.exec(value);
    if (!m) return false;
    if (m[1] === tag) matched = true;
  }
  return matched;
}
