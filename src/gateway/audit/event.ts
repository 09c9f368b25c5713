// Builds the audit event at the end of a request from explicit, typed parts: what the pipeline established
// (request, tenant, actor, action, outcome) and what the handler reported (AuditFacts). Each field of the event
// is written here, once; nothing else constructs or mutates an event. None of the inputs is text from the
// request body: facts hold ids, codes, keyed hashes and numbers (see src/shared/audit-event.ts).
import { AUDIT_EVENT_VERSION, type AuditEvent, CODE_PATTERN } from "../../shared/audit-event";
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

/** A reason or action that is not a code (it never should be) is recorded as `invalid` rather than dropped. */
const code = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : CODE_PATTERN.test(value) ? value : "invalid";

export function buildAuditEvent(input: AuditInput): AuditEvent {
  const { facts, status } = input;
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
    target: facts.target ?? null,
    method: /^[A-Z]{1,16}$/.test(input.method) ? input.method : "OTHER",
    route: input.route ?? "unrouted",
    client_ip: input.client.ip,
    client_country: input.client.country,
    client_asn: input.client.asn,
    cache: facts.cache ?? null,
    cache_reason: code(facts.cacheReason),
    model: facts.model ?? null,
    prompt_hash: facts.promptHash ?? null,
    entry_id: facts.entryId ?? null,
    similarity: facts.similarity ?? null,
    prompt_tokens: facts.promptTokens ?? null,
    completion_tokens: facts.completionTokens ?? null,
    cost_saved: facts.costSaved ?? null,
    pii: facts.pii ? [...facts.pii] : null,
    upstream: facts.upstream ? [...facts.upstream] : null,
    latency_ms: Math.max(0, input.now - input.receivedAt),
  };
}
