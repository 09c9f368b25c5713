// Fields shared by the admin endpoints' request schemas.
import * as z from "zod";
import { parseAllowlist } from "../policy/network";

export { RateLimitSchema } from "../policy/rate-limit";

/** An IP allowlist as the admin API accepts it, returned in canonical form (host bits cleared, de-duplicated). */
export const AllowlistSchema = z.array(z.unknown()).transform((entries, ctx) => {
  const parsed = parseAllowlist(entries);
  if (parsed.ok) return parsed.canonical;
  ctx.addIssue({ code: "custom", message: parsed.error.message });
  return z.NEVER;
});
