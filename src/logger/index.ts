// Cordon audit logger Worker: consumes the gateway's audit Queue into D1 (hash-chained per tenant, see
// chain.ts) and answers audit and analytics queries over a service binding (RPC, `AuditLog`).
//
// RPC contract (the gateway resolves and authorises the tenant; the logger trusts nothing else it receives):
//   async list(tenant, { from?, to?, actor?, action?, limit?, cursor? }) → { events, next_cursor }   newest first
//   async verify(tenant) → { ok, count, head, first_bad_seq }
//   async stats(tenant, from, to) → AuditStats
// Bad arguments throw RangeError with a stable code as its message (see query.ts).
import { WorkerEntrypoint } from "cloudflare:workers";
import { type AuditPage, listEvents } from "./audit-log";
import { consume } from "./consumer";
import type { ListQuery } from "./query";
import { type AuditStats, statsFor } from "./stats";
import { type ChainVerification, verifyChain } from "./verify";

export type { AuditPage, StoredEvent } from "./audit-log";
export type { ListQuery } from "./query";
export type { AuditStats } from "./stats";
export type { ChainVerification } from "./verify";

export class AuditLog extends WorkerEntrypoint<CordonLogger.Env> {
  /** One page of the tenant's events, newest first; ts range inclusive; limit default 100, at most 1000. */
  async list(tenant: string, query: ListQuery = {}): Promise<AuditPage> {
    return listEvents(this.env.AUDIT_DB, tenant, query);
  }

  /** Recomputes the tenant's whole chain from the stored canonical JSON. */
  async verify(tenant: string): Promise<ChainVerification> {
    return verifyChain(this.env.AUDIT_DB, tenant);
  }

  /** Requests, cache statuses, hit rate, tokens and cost saved, latency percentiles for from ≤ ts ≤ to. */
  async stats(tenant: string, from: number, to: number): Promise<AuditStats> {
    return statsFor(this.env.AUDIT_DB, tenant, from, to);
  }
}

export default {
  async queue(batch, env) {
    await consume(batch, env.AUDIT_DB);
  },
} satisfies ExportedHandler<CordonLogger.Env, unknown>;
