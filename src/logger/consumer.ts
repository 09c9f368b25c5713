// Queue consumer: per message, validate → de-duplicate → append to the tenant's hash chain → ack.
// Invalid messages are kept in audit_rejects and acked (nothing lost, nothing retried forever). Any D1 failure
// retries that one message with exponential backoff; nothing is acked on error, nothing for a whole batch.
import { type AuditEvent, AuditEventSchema } from "../shared/audit-event";
import { appendEvent, canonicalJson, chainOf, type Head, readHead, storedEventById } from "./chain";

/** Rejected bodies are kept up to this many bytes of UTF-8. */
export const REJECT_BODY_MAX_BYTES = 8 * 1024;
const REASON_MAX = 1024;
const MAX_DELAY_SECONDS = 300;

/** Exponential backoff from the delivery attempt (1, 2, 3…): 2, 4, 8 … seconds, at most five minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, 2 ** Math.max(1, Math.min(attempts, 16)));
}

export async function consume(batch: MessageBatch<unknown>, db: D1Database): Promise<void> {
  // Heads this batch has read or written, so that several events of one tenant chain without re-reading.
  // Dropped after any failure: the next message re-reads D1.
  const heads = new Map<string, Head>();
  // In order: a tenant's events are chained in delivery order.
  for (const message of batch.messages) {
    try {
      await handle(db, message, heads);
      message.ack();
    } catch (err) {
      heads.clear();
      const delaySeconds = retryDelaySeconds(message.attempts);
      // The error names the failing statement or constraint; the body is not logged.
      console.error(
        `audit: message ${message.id} not stored (attempt ${message.attempts}, retry in ${delaySeconds}s): ${String(err)}`,
      );
      message.retry({ delaySeconds });
    }
  }
}

async function handle(db: D1Database, message: Message<unknown>, heads: Map<string, Head>): Promise<void> {
  const parsed = AuditEventSchema.safeParse(message.body);
  if (!parsed.success) {
    await reject(db, message, describeIssues(parsed.error.issues));
    return;
  }
  const event: AuditEvent = parsed.data;
  const canonical = canonicalJson(event);
  const stored = await storedEventById(db, event.id);
  if (stored !== null) {
    // A redelivery is acked without a second row. The same id with other content is not a redelivery.
    if (stored !== canonical) await reject(db, message, "duplicate id with different content");
    return;
  }
  const tenant = chainOf(event);
  const head = heads.get(tenant) ?? (await readHead(db, tenant));
  heads.set(tenant, await appendEvent(db, event, canonical, head));
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const text = issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
  return (text || "invalid").slice(0, REASON_MAX);
}

async function reject(db: D1Database, message: Message<unknown>, reason: string): Promise<void> {
  const { text, bytes } = capUtf8(serialize(message.body), REJECT_BODY_MAX_BYTES);
  await db
    .prepare("INSERT INTO audit_rejects (received_at, message_id, reason, body, body_bytes) VALUES (?, ?, ?, ?, ?)")
    .bind(Date.now(), message.id, reason, text, bytes)
    .run();
}

function serialize(body: unknown): string {
  try {
    return JSON.stringify(body) ?? String(body);
  } catch {
    // BigInt, cycles: keep what can be said about it.
    return String(body);
  }
}

/** Cuts `text` to at most `max` bytes of UTF-8 without splitting a character; `bytes` is the full length. */
export function capUtf8(text: string, max: number): { text: string; bytes: number } {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= max) return { text, bytes: encoded.length };
  let cut = max;
  while (cut > 0 && (encoded[cut]! & 0xc0) === 0x80) cut -= 1; // back off continuation bytes
  return { text: new TextDecoder().decode(encoded.subarray(0, cut)), bytes: encoded.length };
}
