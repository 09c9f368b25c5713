// The audit logger (src/logger) in its own `wrangler dev` process, for the benchmark's production-like topology.
// Its consumer is the logger's own `queue` handler, called with the batches the gateway's process relays
// (bench/audit-relay) as the Queues runtime would call it: one decision per message, returned to the relay,
// which acks or retries the real message. Also serves the logger's RPC (AuditLog), and on HTTP:
//   GET  /stats          messages relayed, dropped, dead-lettered (with the first few refusals: why, and which
//                        action and outcome the event recorded); events stored per tenant
//   POST /drop?on=1|0    ack relayed messages without consuming them (the producer's cost alone)
import { WorkerEntrypoint } from "cloudflare:workers";
import logger from "../../src/logger/index";

export { AuditLog } from "../../src/logger/index";

export interface RelayedMessage {
  id: string;
  timestamp: number;
  attempts: number;
  body: unknown;
}
export type Fate = { ack: true } | { ack: false; delaySeconds?: number };

const counts = { relayed: 0, dropped: 0, deadLettered: 0, retried: 0 };
/** The first dead letters' reasons, so that a run that fails on one says why (never more than ten). */
const refusals: Record<string, unknown>[] = [];

function noteRefusal(envelope: unknown): void {
  if (refusals.length >= 10 || envelope === null || typeof envelope !== "object") return;
  const { reason, detail, body } = envelope as { reason?: unknown; detail?: unknown; body?: unknown };
  let event: Record<string, unknown> = {};
  try {
    event = typeof body === "string" ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {}
  refusals.push({ reason, detail, action: event.action, status: event.status, code: event.code, why: event.reason });
}
let dropping = false;

export class QueueRelay extends WorkerEntrypoint<CordonLogger.Env> {
  async consume(queue: string, relayed: RelayedMessage[]): Promise<Fate[]> {
    counts.relayed += relayed.length;
    if (dropping) {
      counts.dropped += relayed.length;
      return relayed.map(() => ({ ack: true }));
    }
    const fates: Fate[] = relayed.map(() => ({ ack: false }));
    const messages = relayed.map((m, i) => ({
      id: m.id,
      timestamp: new Date(m.timestamp),
      attempts: m.attempts,
      body: m.body,
      ack: () => {
        fates[i] = { ack: true };
      },
      retry: (options?: { delaySeconds?: number }) => {
        counts.retried += 1;
        fates[i] = {
          ack: false,
          ...(options?.delaySeconds === undefined ? {} : { delaySeconds: options.delaySeconds }),
        };
      },
    }));
    const batch = {
      queue,
      messages,
      ackAll: () => {
        for (const m of messages) m.ack();
      },
      retryAll: (options?: { delaySeconds?: number }) => {
        for (const m of messages) m.retry(options);
      },
    } as unknown as MessageBatch<unknown>;
    const dlq = this.env.AUDIT_DLQ;
    const env = {
      ...this.env,
      AUDIT_DLQ: {
        send: (body: unknown, options?: QueueSendOptions) => {
          counts.deadLettered += 1;
          noteRefusal(body);
          return dlq.send(body, options);
        },
        sendBatch: (bodies: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
          const all = [...bodies];
          counts.deadLettered += all.length;
          for (const b of all) noteRefusal(b.body);
          return dlq.sendBatch(all, options);
        },
      },
    } as CordonLogger.Env;
    await logger.queue(batch, env);
    return fates;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/stats") {
      const { results } = await env.AUDIT_DB.prepare(
        "SELECT tenant, COUNT(*) AS events FROM audit_events GROUP BY tenant",
      ).all<{ tenant: string; events: number }>();
      return Response.json({
        ...counts,
        refusals,
        dropping,
        stored: Object.fromEntries(results.map((r) => [r.tenant, r.events])),
      });
    }
    if (url.pathname === "/drop" && request.method === "POST") {
      dropping = url.searchParams.get("on") === "1";
      return Response.json({ dropping });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<CordonLogger.Env>;
