// The audit event: what the gateway sends to the audit Queue for every request, refused ones included, and
// what the logger validates before writing it to D1. It never holds prompt or answer text: prompts appear
// only as a keyed hash (HMAC under a per-tenant key), so the trail can correlate requests without storing them.
import * as z from "zod";
import { TENANT_ID_PATTERN } from "./ids";

/** Events whose Host named no known tenant are chained under this pseudo-tenant. */
export const UNRESOLVED_TENANT = "_unresolved";

export const CACHE_STATUSES = ["HIT-EXACT", "HIT-SEMANTIC", "MISS", "BYPASS"] as const;
export type CacheStatus = (typeof CACHE_STATUSES)[number];

const short = (max: number) => z.string().min(1).max(max);

export const AuditEventSchema = z.strictObject({
  v: z.literal(1),
  /** Unique per event; the logger de-duplicates on it (Queues deliver at least once). */
  id: z.uuid(),
  /** Milliseconds since the epoch, when the gateway received the request. */
  ts: z.number().int().nonnegative(),
  request_id: short(64),
  /** Tenant resolved from Host, or null when none was. */
  tenant: z.string().regex(TENANT_ID_PATTERN).nullable(),
  /** `key:{id}`, `token:{subject}`, `root`, or `anonymous`. */
  actor: short(96),
  /** What was attempted, e.g. `chat.completions`, `cache.query`, `tenant.create`, `key.create`. */
  action: short(64),
  outcome: z.enum(["allowed", "denied", "error"]),
  status: z.number().int().min(100).max(599),
  /** The error code returned to the client, when there was one. */
  code: short(64).nullable(),
  /** The internal reason behind a refusal or error; never shown to the client. */
  detail: z.string().max(256).nullable(),
  method: short(16),
  /** The matched route pattern (`/v1/cache/entries/:id`), or the raw path when no route matched (capped). */
  route: short(256),
  cache: z.enum(CACHE_STATUSES).nullable(),
  model: short(128).nullable(),
  prompt_hash: short(128).nullable(),
  entry_id: short(64).nullable(),
  similarity: z.number().min(-1).max(1).nullable(),
  prompt_tokens: z.number().int().nonnegative().nullable(),
  completion_tokens: z.number().int().nonnegative().nullable(),
  /** Provider cost avoided by a hit, in US dollars. */
  cost_saved: z.number().nonnegative().nullable(),
  latency_ms: z.number().int().nonnegative(),
});

export type AuditEvent = z.infer<typeof AuditEventSchema>;
