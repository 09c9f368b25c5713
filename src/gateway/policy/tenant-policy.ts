// The tenant policy: what a tenant's administrators set for every request on its host.
import * as z from "zod";

export const PolicySchema = z.strictObject({
  /** Minimum cosine similarity for a semantic hit; requests may raise it, never lower it. */
  similarity_threshold: z.number().min(0).max(1),
  /** Lifetime of cached entries; requests may shorten it, never lengthen it. */
  ttl_seconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 86400),
  /** `user`: every request must name a user and shares cache only with that user's requests. */
  cache_scope: z.enum(["tenant", "user"]),
});
export type Policy = z.infer<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = Object.freeze({
  similarity_threshold: 0.9,
  ttl_seconds: 86400,
  cache_scope: "tenant",
});
