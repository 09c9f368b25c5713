// The audit Queue's consumer: validate → de-duplicate → chain per tenant → ack, one decision per message.
//
// The chain work is batched, so that an event's cost does not depend on the batch around it or on the history
// stored: one round trip reads what is stored under the batch's event ids and the head of each tenant in it
// (both through an index); each tenant's new events are hashed in delivery order after its head; and one D1
// batch (one transaction) writes every tenant's rows and new head. When that batch fails — D1 unavailable, a
// concurrent writer took a position, an acknowledgement lost after the commit — the events are written one by
// one, each re-reading its id and its tenant's head, so one message that cannot be written never holds back
// another: it alone is retried, with exponential backoff.
//
// Messages that are not valid events, and events whose id is stored with other content, are sent to the
// dead-letter queue (kept in D1 by its consumer, see dead-letters.ts) and acked once sent. Nothing is acked
// before it is stored or dead-lettered; every message is acked or retried explicitly, never implicitly.
import { AuditEventSchema } from "../shared/audit-event";
import { logText } from "../shared/log-text";
import {
  appendOne,
  appendStatements,
  type ChainItem,
  chainItem,
  chainOf,
  type Head,
  headOf,
  link,
  readState,
} from "./chain";
import { type DeadLetterEnvelope, deadLetterEnvelope } from "./dead-letters";
import { describeIssues, retryDelaySeconds } from "./queue-messages";

export interface ConsumerDeps {
  db: D1Database;
  deadLetters: Queue<DeadLetterEnvelope>;
}

/** A message's fate, applied once at the end of the batch. */
type Decision = "ack" | "retry";

interface Pending extends ChainItem {
  message: Message<unknown>;
  /** Later messages of this batch carrying the same event: they share its fate. */
  copies: Message<unknown>[];
}

interface Refused {
  message: Message<unknown>;
  envelope: DeadLetterEnvelope;
}

class Decisions {
  private readonly byMessage = new Map<Message<unknown>, { decision: Decision; why?: string }>();

  ack(...messages: Message<unknown>[]): void {
    for (const m of messages) this.byMessage.set(m, { decision: "ack" });
  }

  retry(why: unknown, ...messages: Message<unknown>[]): void {
    for (const m of messages)
      this.byMessage.set(m, { decision: "retry", why: typeof why === "string" ? why : logText(why) });
  }

  /** Acks or retries every message of the batch; a message nothing decided is retried. */
  apply(messages: readonly Message<unknown>[]): void {
    for (const m of messages) {
      const d = this.byMessage.get(m) ?? { decision: "retry", why: "not processed" };
      if (d.decision === "ack") {
        m.ack();
        continue;
      }
      const delaySeconds = retryDelaySeconds(m.attempts);
      // The reason names the failing statement or constraint; the body is not logged.
      console.error(`audit: message ${m.id} not stored (attempt ${m.attempts}, retry in ${delaySeconds}s): ${d.why}`);
      m.retry({ delaySeconds });
    }
  }
}

export async function consumeAuditBatch(batch: MessageBatch<unknown>, deps: ConsumerDeps): Promise<void> {
  const decisions = new Decisions();
  try {
    const { pending, refused } = validate(batch.messages);
    refused.push(...(await chain(deps.db, pending, decisions)));
    await deadLetter(deps.deadLetters, refused, decisions);
  } catch (err) {
    // Unexpected (a bug, not D1): whatever was not decided yet is retried below.
    console.error(`audit: batch of ${batch.messages.length} interrupted: ${logText(err)}`);
  } finally {
    decisions.apply(batch.messages);
  }
}

/** Splits the batch into events to chain (first copy of each id) and messages to refuse. */
function validate(messages: readonly Message<unknown>[]): { pending: Pending[]; refused: Refused[] } {
  const byId = new Map<string, Pending>();
  const refused: Refused[] = [];
  for (const message of messages) {
    const parsed = AuditEventSchema.safeParse(message.body);
    if (!parsed.success) {
      refused.push({
        message,
        envelope: deadLetterEnvelope(message, "invalid", describeIssues(parsed.error.issues), null),
      });
      continue;
    }
    const item = chainItem(parsed.data);
    const first = byId.get(item.event.id);
    if (!first) byId.set(item.event.id, { ...item, message, copies: [] });
    else if (first.canonical === item.canonical) first.copies.push(message);
    else refused.push({ message, envelope: conflict(message, item) });
  }
  return { pending: [...byId.values()], refused };
}

function conflict(message: Message<unknown>, item: ChainItem): DeadLetterEnvelope {
  return deadLetterEnvelope(message, "id_conflict", "event id already used with different content", {
    id: item.event.id,
    tenant: chainOf(item.event),
  });
}

/** Chains the pending events; returns the ones refused for reusing a stored id. */
async function chain(db: D1Database, pending: readonly Pending[], decisions: Decisions): Promise<Refused[]> {
  if (pending.length === 0) return [];
  const refused: Refused[] = [];
  const byTenant = new Map<string, Pending[]>();
  for (const p of pending) {
    const tenant = chainOf(p.event);
    const items = byTenant.get(tenant);
    if (items) items.push(p);
    else byTenant.set(tenant, [p]);
  }
  let state: Awaited<ReturnType<typeof readState>>;
  try {
    state = await readState(
      db,
      pending.map((p) => p.event.id),
      [...byTenant.keys()],
    );
  } catch (err) {
    decisions.retry(err, ...pending.flatMap(all));
    return [];
  }

  const writes: { tenant: string; fresh: Pending[]; linked: Awaited<ReturnType<typeof link>> }[] = [];
  for (const [tenant, items] of byTenant) {
    const fresh: Pending[] = [];
    for (const p of items) {
      const stored = state.stored.get(p.event.id);
      if (stored === undefined) {
        fresh.push(p);
      } else if (stored === p.canonical) {
        decisions.ack(...all(p)); // a redelivery: no second row
      } else {
        refused.push(...conflicts(p));
      }
    }
    if (fresh.length === 0) continue;
    let head: Head;
    try {
      head = headOf(state, tenant);
    } catch (err) {
      decisions.retry(err, ...fresh.flatMap(all)); // this tenant's only: the other chains are written
      continue;
    }
    writes.push({ tenant, fresh, linked: await link(head, fresh) });
  }
  if (writes.length === 0) return refused;
  try {
    await db.batch(writes.flatMap((w) => appendStatements(db, w.tenant, w.linked.rows, w.linked.head)));
    decisions.ack(...writes.flatMap((w) => w.fresh.flatMap(all)));
  } catch (err) {
    const count = writes.reduce((n, w) => n + w.fresh.length, 0);
    console.error(`audit: ${count} events not stored as one batch, now one by one: ${logText(err)}`);
    for (const w of writes) refused.push(...(await oneByOne(db, w.fresh, decisions)));
  }
  return refused;
}

/** The fallback: each event re-reads its id and head and is written alone. */
async function oneByOne(db: D1Database, items: readonly Pending[], decisions: Decisions): Promise<Refused[]> {
  const refused: Refused[] = [];
  for (const p of items) {
    try {
      const result = await appendOne(db, p);
      if (result.kind === "id_conflict") refused.push(...conflicts(p));
      else decisions.ack(...all(p));
    } catch (err) {
      decisions.retry(err, ...all(p));
    }
  }
  return refused;
}

const all = (p: Pending): Message<unknown>[] => [p.message, ...p.copies];
const conflicts = (p: Pending): Refused[] => all(p).map((message) => ({ message, envelope: conflict(message, p) }));

/** Queues accept at most 100 messages and 256 KB per sendBatch (and 128 KB per message: an envelope's body is
 * capped at 16 KiB, at most 96 KiB once escaped). */
const SEND_BATCH_MESSAGES = 100;
const SEND_BATCH_BYTES = 192 * 1024;

/** Sends refused messages to the dead-letter queue; each is acked once sent, retried when the send fails. */
async function deadLetter(queue: Queue<DeadLetterEnvelope>, refused: readonly Refused[], decisions: Decisions) {
  const chunks: Refused[][] = [];
  let bytes = 0;
  for (const r of refused) {
    const size = new TextEncoder().encode(JSON.stringify(r.envelope)).length + 64;
    const last = chunks[chunks.length - 1];
    if (!last || last.length >= SEND_BATCH_MESSAGES || bytes + size > SEND_BATCH_BYTES) {
      chunks.push([r]);
      bytes = size;
    } else {
      last.push(r);
      bytes += size;
    }
  }
  for (const chunk of chunks) {
    try {
      await queue.sendBatch(chunk.map((r) => ({ body: r.envelope, contentType: "json" })));
      decisions.ack(...chunk.map((r) => r.message));
    } catch (err) {
      decisions.retry(`dead-letter queue: ${logText(err)}`, ...chunk.map((r) => r.message));
    }
  }
}
