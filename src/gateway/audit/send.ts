// Sends an audit event to the Queue. Two ways, for two kinds of request:
//   - after the response (waitUntil), for everything: retried, and an event that still cannot be sent is
//     logged by id (never by content) and counted in the metrics — cache traffic fails open;
//   - before the change, for administrative actions (recordBeforeChange): if the event cannot be enqueued the
//     action is refused and nothing changes — no administrative change without a record.
import type { AuditEvent } from "../../shared/audit-event";
import { logText } from "../../shared/log-text";
import type { Metrics } from "./metrics";

export async function sendAuditEvent(queue: Queue, event: AuditEvent, metrics?: Metrics): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.send(event, { contentType: "json" });
      return true;
    } catch (err) {
      if (attempt >= 3) {
        console.error(`audit event ${event.id} (request ${event.request_id}) not sent: ${logText(err)}`);
        metrics?.auditEventLost(event.tenant, event.action);
        return false;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** Enqueues an administrative action's event before the action; false when the Queue refused it. */
export async function recordBeforeChange(queue: Queue, event: AuditEvent): Promise<boolean> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await queue.send(event, { contentType: "json" });
      return true;
    } catch (err) {
      console.error(`audit event ${event.id} (request ${event.request_id}) not enqueued: ${logText(err)}`);
      if (attempt < 2) await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}
