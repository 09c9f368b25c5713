// Builds the audit event at the end of a request from explicit, typed parts: what the pipeline established
// (request, tenant, actor, action, outcome) and what the handler reported (AuditFacts). Each field of the event
// is written here, once; nothing else constructs or mutates an event. None of the inputs is text from the
// request body: facts hold ids, codes, keyed hashes and numbers (see src/shared/audit-event.ts).
import {
  AUDIT_EVENT_VERSION,
  type AuditEvent,
  CODE_PATTERN,
  IDENTIFIER_PATTERN,
  MODEL_NAME_MAX,
  MODEL_NAME_PATTERN,
  ROUTE_PATTERN,
  UPSTREAM_ATTEMPTS_MAX,
  type UpstreamAttempt,
} from "../../shared/audit-event";
import type { ErrorCode } from "../http/errors";
import type { AuditFacts, ClientFacts } from "./facts";

export type { AuditFacts, ClientFacts } from "./facts";

export interface AuditInput {
  readonly requestId: string;
  readonly receivedAt: number;
  readonly method: string;
  /** The matched route pattern, or null when no route matched. */
  readonly route: string | null;
  readonly client: ClientFacts;
  readonly tenant: string | null;
  readonly actor: string;
  readonly action: string;
  readonly status: number;
  readonly code: ErrorCode | null;
  readonly reason: string | null;
  readonly facts: AuditFacts;
  readonly now: number;
}

// Every field is held here to the pattern the logger validates (src/shared/audit-event.ts), so that no request
// can produce an event the logger refuses: a refused event is dead-lettered instead of chained. A value that
// does not fit (a malformed id from a path, a provider's odd usage figure) is recorded as `invalid`, or as
// null where the field is a measurement, never as the text it was.

/** A reason or action that is not a code (it never should be) is recorded as `invalid` rather than dropped. */
const code = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : CODE_PATTERN.test(value) ? value : "invalid";

/** A target that is not an identifier (a malformed id a client put in a path) is recorded as `invalid`. */
const identifier = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : IDENTIFIER_PATTERN.test(value) ? value : "invalid";

const modelName = (value: string): string =>
  value.length <= MODEL_NAME_MAX && MODEL_NAME_PATTERN.test(value) ? value : "invalid";

/** A count the logger accepts (a non-negative integer), or null: token counts come from the provider. */
const count = (value: number | null | undefined): number | null =>
  value !== null && value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : null;

const nonNegative = (value: number | null | undefined): number | null =>
  value !== null && value !== undefined && Number.isFinite(value) && value >= 0 ? value : null;

const similarityOf = (value: number | null | undefined): number | null =>
  value === null || value === undefined || Number.isNaN(value) ? null : Math.max(-1, Math.min(1, value));

function attemptOf(a: UpstreamAttempt): UpstreamAttempt {
  return {
    target: modelName(a.target),
    outcome: a.outcome,
    status: a.status !== null && Number.isInteger(a.status) && a.status >= 100 && a.status <= 599 ? a.status : null,
    latency_ms: count(a.latency_ms) ?? 0,
  };
}

/**
 * The attempts, at most UPSTREAM_ATTEMPTS_MAX: past that (an embeddings batch asked in slices can pass it), the
 * first ones and the last.
 */
function attemptsOf(attempts: readonly UpstreamAttempt[]): UpstreamAttempt[] {
  const kept =
    attempts.length <= UPSTREAM_ATTEMPTS_MAX
      ? attempts
      : [...attempts.slice(0, UPSTREAM_ATTEMPTS_MAX - 1), attempts[attempts.length - 1]!];
  return kept.map(attemptOf);
}

export function buildAuditEvent(input: AuditInput): AuditEvent {
  const { facts, status } = input;
  // Optional in the event: absent rather than 0 or null when nothing was saved, as in every event before it.
  const promptTokensSaved = count(facts.promptTokensSaved);
  return {
    v: AUDIT_EVENT_VERSION,
    id: crypto.randomUUID(),
    ts: input.receivedAt,
    request_id: input.requestId,
    tenant: facts.tenant ?? input.tenant,
    actor: input.actor,
    action: code(input.action) ?? "invalid",
    outcome: status < 400 ? "allowed" : status >= 500 ? "error" : "denied",
    status,
    code: input.code,
    reason: code(input.reason ?? facts.reason),
    target: identifier(facts.target),
    method: /^[A-Z]{1,16}$/.test(input.method) ? input.method : "OTHER",
    route: input.route === null ? "unrouted" : ROUTE_PATTERN.test(input.route) ? input.route : "/invalid",
    client_ip: input.client.ip,
    client_country: input.client.country,
    client_asn: input.client.asn,
    cache: facts.cache ?? null,
    cache_reason: code(facts.cacheReason),
    model: facts.model === undefined ? null : modelName(facts.model),
    prompt_hash: facts.promptHash ?? null,
    entry_id: facts.entryId ?? null,
    similarity: similarityOf(facts.similarity),
    prompt_tokens: count(facts.promptTokens),
    completion_tokens: count(facts.completionTokens),
    cost_saved: nonNegative(facts.costSaved),
    ...(promptTokensSaved ? { prompt_tokens_saved: promptTokensSaved } : {}),
    pii: facts.pii ? facts.pii.map((kind) => code(kind) ?? "invalid") : null,
    upstream: facts.upstream ? attemptsOf(facts.upstream) : null,
    latency_ms: Math.max(0, input.now - input.receivedAt),
  };
}
