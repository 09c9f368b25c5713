// What a request carries through the pipeline. Each stage adds what it established: the tenant once the Host
// resolved to one, the principal once authenticated. Handlers receive the narrowest type they need and return
// their response with the facts the audit trail should record (see audit/event.ts): nothing is written into a
// shared object along the way.
import type { AuditFacts, ClientFacts } from "./audit/facts";
import type { TenantKeyring } from "./crypto/tenant-keyring";
import type { IpAddress } from "./policy/network";
import type { Principal } from "./policy/principal";
import type { Runtime } from "./runtime";
import type { TenantRecord } from "./storage/records";

export interface RequestContext {
  readonly id: string;
  readonly receivedAt: number;
  readonly request: Request;
  readonly url: URL;
  readonly rt: Runtime;
  readonly exec: ExecutionContext;
  readonly client: ClientFacts;
  /** The caller's address (CF-Connecting-IP; loopback in development), or null when unknown. */
  readonly address: IpAddress | null;
  /**
   * Raises an audit alert (a separate event of this request): action, reason code, target id, and the tenant
   * it concerns when the request's own steps have not resolved one (a route that resolves its tenant itself).
   */
  readonly alert: (action: string, reason: string, target: string | null, tenant?: string | null) => void;
  /**
   * For administrative actions: records the action in the audit trail BEFORE making it. Throws 503
   * `audit_unavailable` when the event cannot be enqueued — the caller then changes nothing. `status`: what the
   * change answers once made (201 for a creation; 200 unless told), as the event records it.
   */
  readonly recordChange: (facts?: AuditFacts, status?: number) => Promise<void>;
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
}

export interface TenantContext extends RequestContext {
  readonly tenant: TenantRecord;
  readonly keyring: TenantKeyring;
}

export interface AuthedContext extends TenantContext {
  readonly principal: Principal;
}

/** A handler's result: the response, and what the audit trail should know (resolved later for streams). */
export interface Handled {
  readonly response: Response;
  readonly facts?: AuditFacts | Promise<AuditFacts>;
}

export function handled(response: Response, facts?: AuditFacts | Promise<AuditFacts>): Handled {
  return facts === undefined ? { response } : { response, facts };
}
