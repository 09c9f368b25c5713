// Sends the request's audit event to the Queue after the response, inside waitUntil. Sending is retried; an
// event that still cannot be sent is logged by id (never by content) so that the gap is visible.
import type { AuditEvent } from "../../shared/audit-event";
import type { RequestContext } from "../context";

export function buildAuditEvent(
  rc: Pick<RequestContext, "id" | "receivedAt" | "request" | "audit">,
  res: { status: number; code: string | null; route: string },
): AuditEvent {
  const status = res.status;
  return {
    v: 1,
    id: crypto.randomUUID(),
    ts: rc.receivedAt,
    request_id: rc.id,
    ...rc.audit,
    detail: rc.audit.detail?.slice(0, 256) ?? null,
    outcome: status < 400 ? "allowed" : status >= 500 ? "error" : "denied",
    status,
    code: res.code,
    method: rc.request.method.slice(0, 16) || "?",
    route: res.route.slice(0, 256) || "/",
    latency_ms: Math.max(0, Date.now() - rc.receivedAt),
  };
}

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
