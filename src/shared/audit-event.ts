// The audit event, version 2: what the gateway sends to the audit Queue for every decision it makes, refused
// requests included, and what the logger validates before chaining it into D1. One schema for both Workers.
//
// No field can carry prompt or answer text, by construction: every string is an identifier, a code, a keyed
// hash or an address, each held to a pattern without white space. Prompts appear only as a keyed hash (HMAC
// under a per-tenant key), so the trail can correlate requests without storing them. Secrets, tokens and key
// hashes never appear: a key is named by its public id.
import * as z from "zod";
import { TENANT_ID_PATTERN } from "./ids";

export const AUDIT_EVENT_VERSION = 2;

/** Events whose Host named no known tenant are chained under this pseudo-tenant. */
export const UNRESOLVED_TENANT = "_unresolved";

export const CACHE_STATUSES = ["HIT-EXACT", "HIT-SEMANTIC", "MISS", "BYPASS", "STALE"] as const;
export type CacheStatus = (typeof CACHE_STATUSES)[number];

/** A model name as clients send it: printable ASCII without spaces, at most 256 characters. Shared with the
 * gateway's request schemas, so that every model a request may name also fits its audit event. */
export const MODEL_NAME_MAX = 256;
export const MODEL_NAME_PATTERN = /^[\x21-\x7e]+$/;
export const ModelNameSchema = z
  .string()
  .min(1)
  .max(MODEL_NAME_MAX)
  .regex(MODEL_NAME_PATTERN, "must be printable ASCII without spaces");

/** A machine-readable code: action, error code, reason. Lower case, digits and `_ . : -`. */
export const CODE_PATTERN = /^[a-z0-9][a-z0-9_.:-]{0,95}$/;
const Code = z.string().regex(CODE_PATTERN);
/** A public identifier (request id, key id, entry id, tenant id): letters, digits and `_ . : -`. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const Identifier = z.string().regex(IDENTIFIER_PATTERN);
/** A keyed hash: base64url or hex. */
const Hash = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/);
/** `anonymous`, `operator`, or `{kind}:{id}` for API keys, OAuth access tokens and single sign-on users. */
export const ACTOR_PATTERN = /^(?:anonymous|operator|(?:key|token|sso):[A-Za-z0-9_.-]{1,96})$/;
/** An IPv4 or IPv6 address literal as CF-Connecting-IP carries it. */
const IpAddress = z.string().regex(/^[0-9A-Fa-f:.]{2,45}$/);
/** The matched route pattern (`/v1/cache/entries/:id`, `/v1/models/:id+`), or `unrouted`: never the raw path. */
export const ROUTE_PATTERN = /^(?:unrouted|\/[A-Za-z0-9_.:/+-]{0,127})$/;
const RoutePattern = z.string().regex(ROUTE_PATTERN);

const count = z.number().int().nonnegative();

/**
 * The most upstream attempts one event lists: every target of a request (its model and the tenant's five
 * fallbacks) tried up to three times. Tested against the gateway's own limits, and to keep the largest event
 * under a dead letter's 16 KiB (so that every valid event stays replayable).
 */
export const UPSTREAM_ATTEMPTS_MAX = 18;

/** One attempt at an upstream target (a `provider/model` of the tenant's fallback list). */
export const UpstreamAttemptSchema = z.strictObject({
  target: ModelNameSchema,
  outcome: z.enum(["ok", "error", "timeout", "network", "circuit_open", "aborted"]),
  status: z.number().int().min(100).max(599).nullable(),
  latency_ms: count,
});

export const AuditEventSchema = z.strictObject({
  v: z.literal(AUDIT_EVENT_VERSION),
  /** Unique per event; the logger de-duplicates on it (Queues deliver at least once). */
  id: z.uuid(),
  /** Milliseconds since the epoch, when the gateway received the request (or raised the alert). */
  ts: count,
  request_id: Identifier,
  /** Tenant resolved from the Host (or named by an operator action), or null when none was. */
  tenant: z.string().regex(TENANT_ID_PATTERN).nullable(),
  actor: z.string().regex(ACTOR_PATTERN),
  /** What was attempted: the route's action (`chat.completions`, `key.revoke`) or an alert (`alert.auth_burst`). */
  action: Code,
  outcome: z.enum(["allowed", "denied", "error"]),
  status: z.number().int().min(100).max(599),
  /** The error code returned to the client, when there was one. */
  code: Code.nullable(),
  /** Why it was allowed or refused (`scope_missing:cache:read`, `key_expired`); never shown to the client. */
  reason: Code.nullable(),
  /** What an administrative action acted on: a key id, entry id, tenant id or virtual key id. */
  target: Identifier.nullable(),
  method: z.string().regex(/^[A-Z]{1,16}$/),
  route: RoutePattern,
  client_ip: IpAddress.nullable(),
  client_country: z
    .string()
    .regex(/^[A-Z0-9]{2}$/)
    .nullable(),
  client_asn: count.nullable(),
  cache: z.enum(CACHE_STATUSES).nullable(),
  /** Why the cache answered as it did (`verify:direction`, `pii:skip`, `consent:no_store`). */
  cache_reason: Code.nullable(),
  model: ModelNameSchema.nullable(),
  prompt_hash: Hash.nullable(),
  entry_id: Identifier.nullable(),
  similarity: z.number().min(-1).max(1).nullable(),
  prompt_tokens: count.nullable(),
  completion_tokens: count.nullable(),
  /** Provider cost avoided by a hit, in US dollars. */
  cost_saved: z.number().nonnegative().nullable(),
  /**
   * Prompt tokens the cache saved on an answer it served only in part (the cached inputs of an embeddings batch
   * the provider was asked to complete), the tokens `cost_saved` prices. Absent otherwise: a full hit's saving is
   * its `prompt_tokens` and `completion_tokens`. Added within version 2 as optional, so that every event stored
   * without it still validates, and hashes, as it did.
   */
  prompt_tokens_saved: count.optional(),
  /** Kinds of personal data found in the prompt (never the values). */
  pii: z.array(Code).max(16).nullable(),
  /** The upstream targets tried, in order (fallbacks, retries). */
  upstream: z.array(UpstreamAttemptSchema).max(UPSTREAM_ATTEMPTS_MAX).nullable(),
  latency_ms: count,
});

export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type UpstreamAttempt = z.infer<typeof UpstreamAttemptSchema>;

/**
 * Version 1, read only: events the logger stored before version 2 (a free-text `detail` instead of `reason`,
 * no `target`, client or upstream fields, no STALE). Nothing sends it any more and the consumer refuses it;
 * verification and listing still read stored rows of either version.
 */
export const AuditEventV1Schema = z.strictObject({
  v: z.literal(1),
  id: z.uuid(),
  ts: count,
  request_id: z.string().min(1).max(64),
  tenant: z.string().regex(TENANT_ID_PATTERN).nullable(),
  actor: z.string().min(1).max(96),
  action: z.string().min(1).max(64),
  outcome: z.enum(["allowed", "denied", "error"]),
  status: z.number().int().min(100).max(599),
  code: z.string().min(1).max(64).nullable(),
  detail: z.string().max(256).nullable(),
  method: z.string().min(1).max(16),
  route: z.string().min(1).max(256),
  cache: z.enum(["HIT-EXACT", "HIT-SEMANTIC", "MISS", "BYPASS"]).nullable(),
  model: z.string().min(1).max(128).nullable(),
  prompt_hash: z.string().min(1).max(128).nullable(),
  entry_id: z.string().min(1).max(64).nullable(),
  similarity: z.number().min(-1).max(1).nullable(),
  prompt_tokens: count.nullable(),
  completion_tokens: count.nullable(),
  cost_saved: z.number().nonnegative().nullable(),
  latency_ms: count,
});

export type AuditEventV1 = z.infer<typeof AuditEventV1Schema>;

/** Any event the audit database may hold, told apart by `v`. Only the current version is ever accepted. */
export const StoredAuditEventSchema = z.discriminatedUnion("v", [AuditEventV1Schema, AuditEventSchema]);
export type StoredAuditEvent = z.infer<typeof StoredAuditEventSchema>;

/**
 * A row of the audit database whose event cannot be read, as the logger lists it in its place (GET /v1/audit):
 * `v: null`, why, its seq and hash, and the columns copied out of the event when it was stored — unchecked, as no
 * readable event is left to check them against. The logger builds it (logger/audit-log.ts); the gateway documents
 * it (routes/audit.ts).
 */
export const UnreadableEventSchema = z
  .strictObject({
    v: z.null(),
    unreadable: z
      .enum(["not_json", "invalid_event"])
      .describe("The stored event is not JSON (not_json), or not an audit event of a known version (invalid_event)."),
    seq: z.int().positive(),
    hash: z.string(),
    /** null for the `_unresolved` chain, as in its events. */
    tenant: z.string().nullable(),
    id: z.string(),
    ts: z.int(),
    actor: z.string(),
    action: z.string(),
    outcome: z.string(),
    status: z.int(),
    cache: z.string().nullable(),
    model: z.string().nullable(),
    prompt_tokens: z.int().nullable(),
    completion_tokens: z.int().nullable(),
    cost_saved: z.number().nullable(),
    prompt_tokens_saved: z.int().nullable(),
    latency_ms: z.int(),
  })
  .describe(
    "A row whose stored event cannot be read, listed in its place: its seq and hash, and the columns copied from " +
      "the event when it was stored, unchecked. GET /v1/audit/verify reports it as edited.",
  );
export type UnreadableEvent = z.infer<typeof UnreadableEventSchema>;
