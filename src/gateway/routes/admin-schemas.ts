// Fields shared by the admin endpoints' request schemas, and the answer of the master-key rewrap (kept here so
// that the OpenAPI document reads it without loading the Durable Object code that handler needs).
import * as z from "zod";
import { parseAllowlist } from "../policy/network";

export { RateLimitSchema } from "../policy/rate-limit";

/**
 * A name an administrator gives (an API key's, a virtual key's, a tenant's), shown in the dashboard and printed
 * by `cordon … list` to a terminal: no control characters (an escape sequence could rewrite or hide rows of the
 * listing), no line or paragraph separators, no bidirectional overrides (which display text reversed), and not
 * only white space.
 */
export const displayName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      /^[^\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$/u,
      "must be printable text, without control characters",
    )
    .refine((name) => name.trim() !== "", "must not be only white space");

/** An IP allowlist as the admin API accepts it, returned in canonical form (host bits cleared, de-duplicated). */
export const AllowlistSchema = z
  .array(z.unknown().meta({ type: "string", description: "An IPv4 or IPv6 CIDR range or address" }))
  .transform((entries, ctx) => {
    const parsed = parseAllowlist(entries);
    if (parsed.ok) return parsed.canonical;
    ctx.addIssue({ code: "custom", message: parsed.error.message });
    return z.NEVER;
  });

/** POST /v1/admin/master-key/rewrap: one page of tenants re-wrapped under the current master key. */
export const RewrapResultSchema = z.strictObject({
  object: z.literal("master_key.rewrap"),
  master_key: z.string(),
  /** On the first page: whether the platform key was re-wrapped or already current (null when there is none). */
  platform_key: z.enum(["rewrapped", "current"]).nullable(),
  tenants_rewrapped: z.int().nonnegative(),
  tenants_current: z.int().nonnegative(),
  /** Repeat with `?cursor=` this until it is null. */
  next_cursor: z.string().nullable(),
});
