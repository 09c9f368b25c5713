// Cordon audit logger Worker: consumes the gateway's audit Queue into D1 and answers audit queries over RPC.
import { WorkerEntrypoint } from "cloudflare:workers";
import { type ListQuery, listEvents, verifyChain } from "./audit-log";
import { consume } from "./consumer";

export class AuditLog extends WorkerEntrypoint<CordonLogger.Env> {
  list(tenant: string, query: ListQuery = {}) {
    return listEvents(this.env.AUDIT_DB, tenant, query);
  }

  verify(tenant: string) {
    return verifyChain(this.env.AUDIT_DB, tenant);
  }
}

export default {
  async queue(batch, env) {
    await consume(batch, env.AUDIT_DB);
  },
} satisfies ExportedHandler<CordonLogger.Env, unknown>;
