// Sends an audit event to the Queue after the response, inside waitUntil. Sending is retried; an event that
// still cannot be sent is logged by id (never by content) so that the gap is visible.
import type { AuditEvent } from "../../shared/audit-event";

export async function sendAuditEvent(queue: Queue, event: AuditEvent): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.send(event, { contentType: "json" });
      return;
    } catch (err) {
      if (attempt >= 3) {
        console.error(`audit event ${event.id} (request ${event.request_id}) not sent: ${String(err)}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}
