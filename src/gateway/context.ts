// What a request carries through the pipeline. Each stage adds what it established: the tenant once the Host
// resolved to one, the principal once authenticated. Handlers receive the narrowest type they need.
import type { AuditEvent } from "../shared/audit-event";
import type { Principal } from "./auth/authenticate";
import type { TenantKeyring } from "./crypto/key-hierarchy";
import type { Runtime } from "./runtime";
import type { TenantRecord } from "./storage/tenant-directory";

/** Audit fields a stage may fill in; the pipeline adds status, outcome, timing and route at the end. */
export type AuditFields = Pick<
  AuditEvent,
  | "tenant"
  | "actor"
  | "action"
  | "detail"
  | "cache"
  | "model"
  | "prompt_hash"
  | "entry_id"
  | "similarity"
  | "prompt_tokens"
  | "completion_tokens"
  | "cost_saved"
>;

export interface RequestContext {
  readonly id: string;
  readonly receivedAt: number;
  readonly request: Request;
  readonly url: URL;
  readonly rt: Runtime;
  readonly exec: ExecutionContext;
  readonly audit: AuditFields;
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
}

export interface TenantContext extends RequestContext {
  readonly tenant: TenantRecord;
  readonly keys: TenantKeyring;
}

export interface AuthedContext extends TenantContext {
  readonly principal: Principal;
}

export function newAuditFields(): AuditFields {
  return {
    tenant: null,
    actor: "anonymous",
    action: "request",
    detail: null,
    cache: null,
    model: null,
    prompt_hash: null,
    entry_id: null,
    similarity: null,
    prompt_tokens: null,
    completion_tokens: null,
    cost_saved: null,
  };
}
