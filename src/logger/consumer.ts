// Queue consumer: per message, validate → de-duplicate → append to the tenant's hash chain → ack.
// Invalid messages are kept in audit_rejects and acked; a storage failure retries that message with
// exponential backoff. Nothing is acked on error, and nothing is acked for a whole batch at once.
import { type AuditEvent, AuditEventSchema, UNRESOLVED_TENANT } from "../shared/audit";
import { canonicalJson, chainHash, GENESIS } from "./chain";

const REJECT_BODY_MAX = 8 * 1024;

/** Exponential backoff: 2, 4, 8 … seconds, at most five minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts));
}

interface Head {
  seq: number;
  hash: string;
}

export async function consume(batch: MessageBatch<unknown>, db: D1Database): Promise<void> {
  // Heads read during this batch; dropped after any failure so the next message re-reads D1.
  const heads = new Map<string, Head>();
  for (const message of batch.messages) {
    try {
      const parsed = AuditEventSchema.safeParse(message.body);
      if (!parsed.success) {
        await reject(db, message.body, parsed.error.issues[0]?.message ?? "invalid");
      } else {
        await append(db, parsed.data, heads);
      }
      message.ack();
    } catch (err) {
      heads.clear();
      console.error(`audit message ${message.id} not stored (attempt ${message.attempts}): ${String(err)}`);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}

async function append(db: D1Database, event: AuditEvent, heads: Map<string, Head>): Promise<void> {
  const exists = await db.prepare("SELECT 1 FROM audit_events WHERE id = ?").bind(event.id).first();
  if (exists) return;

  const tenant = event.tenant ?? UNRESOLVED_TENANT;
  const head = heads.get(tenant) ?? (await readHead(db, tenant));
  const canonical = canonicalJson(event);
  const hash = await chainHash(head.hash, canonical);
  const seq = head.seq + 1;
  // One atomic batch. UNIQUE(tenant, seq) makes a concurrent writer's batch fail instead of forking the chain.
  await db.batch([
    db
      .prepare(
        `INSERT INTO audit_events (tenant, seq, id, ts, actor, action, outcome, status, cache, event, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(tenant, seq, event.id, event.ts, event.actor, event.action, event.outcome, event.status, event.cache, canonical, head.hash, hash),
    db
      .prepare("INSERT INTO audit_chain (tenant, seq, hash) VALUES (?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
      .bind(tenant, seq, hash),
  ]);
  heads.set(tenant, { seq, hash });
}

async function readHead(db: D1Database, tenant: string): Promise<Head> {
  const row = await db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant).first<Head>();
  return row ?? { seq: 0, hash: GENESIS };
}

async function reject(db: D1Database, body: unknown, reason: string): Promise<void> {
  let text: string;
  try {
    text = JSON.stringify(body) ?? String(body);
  } catch {
    text = String(body);
  }
  await db
    .prepare("INSERT INTO audit_rejects (received_at, reason, body) VALUES (?, ?, ?)")
    .bind(Date.now(), reason.slice(0, 256), text.slice(0, REJECT_BODY_MAX))
    .run();
}
