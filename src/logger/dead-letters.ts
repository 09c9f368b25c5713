// Dead letters: audit messages the consumer could not chain, kept in D1 for the platform operator.
//
// Two kinds of message arrive on the dead-letter queue `cordon-audit-dlq`:
//   - envelopes the audit consumer sends for messages it refuses (an invalid body, or an event id already
//     stored with other content): the original message id, attempts, reason and capped body;
//   - messages the platform moved there after they exhausted their retries on `cordon-audit` (D1 down for
//     the whole retry window): the original body as it was, which may well be a valid event.
// The dead-letter consumer keeps both as rows of audit_dead_letters, once per dead-letter message (a
// redelivery is ignored by its message id), classifying a raw body itself: invalid, id_conflict,
// already_stored (it reached the chain after all) or undelivered (a valid event that is not in the chain:
// replayable). `replayDeadLetter` re-validates a kept body and chains it when it is a valid event that retention
// has not yet put out of reach.
import * as z from "zod";
import { AuditEventSchema } from "../shared/audit-event";
import { decodeIdCursor, encodeIdCursor, parsePage } from "../shared/audit-query";
import { logText } from "../shared/log-text";
import { appendOne, chainItem, chainOf, readState } from "./chain";
import { capUtf8, describeIssues, retryDelaySeconds, serialize } from "./queue-messages";

/** Bodies are kept up to this many bytes of UTF-8: more than the largest valid event, so those stay whole. */
export const DEAD_LETTER_BODY_MAX_BYTES = 16 * 1024;

export const DEAD_LETTER_REASONS = ["invalid", "id_conflict", "undelivered", "already_stored"] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** What the audit consumer sends to the dead-letter queue for a message it refuses. */
export const DeadLetterEnvelopeSchema = z.strictObject({
  cordon_dead_letter: z.literal(1),
  message_id: z.string().min(1).max(128),
  attempts: z.number().int().nonnegative(),
  reason: z.enum(["invalid", "id_conflict"]),
  detail: z.string().max(1024),
  /** JSON.stringify of the refused body, cut to DEAD_LETTER_BODY_MAX_BYTES. */
  body: z.string(),
  body_bytes: z.number().int().nonnegative(),
  event_id: z.string().max(64).nullable(),
  tenant: z.string().max(64).nullable(),
});
export type DeadLetterEnvelope = z.infer<typeof DeadLetterEnvelopeSchema>;

export function deadLetterEnvelope(
  message: Message<unknown>,
  reason: "invalid" | "id_conflict",
  detail: string,
  event: { id: string; tenant: string } | null,
): DeadLetterEnvelope {
  const { text, bytes } = capUtf8(serialize(message.body), DEAD_LETTER_BODY_MAX_BYTES);
  return {
    cordon_dead_letter: 1,
    message_id: message.id,
    attempts: message.attempts,
    reason,
    detail,
    body: text,
    body_bytes: bytes,
    event_id: event?.id ?? null,
    tenant: event?.tenant ?? null,
  };
}

/** One kept dead letter, as `deadLetters` returns it. */
export interface DeadLetter {
  id: number;
  received_at: number;
  message_id: string;
  attempts: number | null;
  reason: DeadLetterReason;
  detail: string;
  event_id: string | null;
  tenant: string | null;
  /** JSON text of the body as received, cut to 16 KiB (`truncated` then true). Unvalidated input. */
  body: string;
  body_bytes: number;
  truncated: boolean;
  replayed_at: number | null;
  replay_result: ReplayResult["result"] | null;
}

interface Row {
  received_at: number;
  dlq_message_id: string;
  message_id: string;
  attempts: number | null;
  reason: DeadLetterReason;
  detail: string;
  event_id: string | null;
  tenant: string | null;
  body: string;
  body_bytes: number;
}
const COLUMNS = [
  "received_at",
  "dlq_message_id",
  "message_id",
  "attempts",
  "reason",
  "detail",
  "event_id",
  "tenant",
  "body",
  "body_bytes",
] as const satisfies readonly (keyof Row)[];
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS.length);

/** The dead-letter queue's consumer: keeps every message, acks it once kept, retries it when D1 fails. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, db: D1Database, now: number): Promise<void> {
  const decided = new Set<Message<unknown>>();
  const retry = (m: Message<unknown>, err: unknown) => {
    const delaySeconds = retryDelaySeconds(m.attempts);
    console.error(`audit dead letters: message ${m.id} not kept (retry in ${delaySeconds}s): ${logText(err)}`);
    m.retry({ delaySeconds });
    decided.add(m);
  };
  try {
    const rows = await classify(batch.messages, db, now);
    if (rows.size === 0) return;
    try {
      await db.batch(insertStatements(db, [...rows.values()]));
      for (const m of rows.keys()) {
        m.ack();
        decided.add(m);
      }
    } catch (err) {
      // One message at a time, so that one that cannot be written does not hold back the others.
      for (const [m, row] of rows) {
        try {
          await db.batch(insertStatements(db, [row]));
          m.ack();
          decided.add(m);
        } catch (e) {
          retry(m, `${logText(e)} (batch: ${logText(err)})`);
        }
      }
    }
  } finally {
    for (const m of batch.messages) if (!decided.has(m)) retry(m, "not processed");
  }
}

async function classify(messages: readonly Message<unknown>[], db: D1Database, now: number) {
  const rows = new Map<Message<unknown>, Row>();
  const raw: { message: Message<unknown>; row: Row; canonical: string }[] = [];
  for (const m of messages) {
    const envelope = DeadLetterEnvelopeSchema.safeParse(m.body);
    const base = { received_at: now, dlq_message_id: m.id };
    if (envelope.success) {
      const e = envelope.data;
      rows.set(m, {
        ...base,
        message_id: e.message_id,
        attempts: e.attempts,
        reason: e.reason,
        detail: e.detail,
        event_id: e.event_id,
        tenant: e.tenant,
        body: e.body,
        body_bytes: e.body_bytes,
      });
      continue;
    }
    // A message the platform moved here after its retries ran out: its original body.
    const { text, bytes } = capUtf8(serialize(m.body), DEAD_LETTER_BODY_MAX_BYTES);
    const row: Row = {
      ...base,
      message_id: m.id,
      attempts: null,
      reason: "invalid",
      detail: "",
      event_id: null,
      tenant: null,
      body: text,
      body_bytes: bytes,
    };
    rows.set(m, row);
    const event = AuditEventSchema.safeParse(m.body);
    if (!event.success) {
      row.detail = describeIssues(event.error.issues);
      continue;
    }
    row.event_id = event.data.id;
    row.tenant = chainOf(event.data);
    raw.push({ message: m, row, canonical: chainItem(event.data).canonical });
  }
  if (raw.length > 0) {
    const { stored } = await readState(
      db,
      raw.map((r) => r.row.event_id!),
      [],
    );
    for (const { row, canonical } of raw) {
      const existing = stored.get(row.event_id!);
      row.reason = existing === undefined ? "undelivered" : existing === canonical ? "already_stored" : "id_conflict";
      row.detail =
        row.reason === "undelivered"
          ? "retries exhausted; not in the chain (replayable)"
          : row.reason === "already_stored"
            ? "retries exhausted; the event is in the chain"
            : "retries exhausted; the event id is stored with other content";
    }
  }
  return rows;
}

function insertStatements(db: D1Database, rows: readonly Row[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const placeholders = `(${COLUMNS.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    statements.push(
      db
        .prepare(
          `INSERT INTO audit_dead_letters (${COLUMNS.join(", ")}) VALUES ${chunk.map(() => placeholders).join(", ")}
           ON CONFLICT (dlq_message_id) DO NOTHING`,
        )
        .bind(...chunk.flatMap((row) => COLUMNS.map((c) => row[c]))),
    );
  }
  return statements;
}

export interface DeadLetterPage {
  dead_letters: DeadLetter[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

export const DEAD_LETTER_LIMIT_DEFAULT = 50;
export const DEAD_LETTER_LIMIT_MAX = 100;

/** Kept dead letters, newest first. Throws RangeError `invalid_query`, `invalid_limit` or `invalid_cursor`. */
export async function listDeadLetters(db: D1Database, query: unknown): Promise<DeadLetterPage> {
  const page = parsePage(query, DEAD_LETTER_LIMIT_DEFAULT, DEAD_LETTER_LIMIT_MAX);
  const before = page.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeIdCursor(page.cursor);
  const { results } = await db
    .prepare(
      `SELECT id, received_at, message_id, attempts, reason, detail, event_id, tenant, body, body_bytes,
              replayed_at, replay_result
         FROM audit_dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?`,
    )
    .bind(before, page.limit + 1)
    .all<Omit<DeadLetter, "truncated">>();
  const rows = results.slice(0, page.limit);
  const last = rows[rows.length - 1];
  return {
    dead_letters: rows.map((r) => ({ ...r, truncated: isTruncated(r) })),
    next_cursor: results.length > page.limit && last ? encodeIdCursor(last.id) : null,
  };
}

const isTruncated = (r: { body: string; body_bytes: number }) => new TextEncoder().encode(r.body).length < r.body_bytes;

export interface ReplayResult {
  id: number;
  /**
   * chained: the body was a valid event, now in its chain at `seq`; already_stored: it already was;
   * id_conflict: its id is stored with other content (nothing written); invalid: it is not a valid event
   * (`detail` says why); truncated: the kept body was cut, so it cannot be replayed; expired: the event is older
   * than the retention period, or not after its tenant's anchor — retention may have deleted its stored copy (or
   * the copy an id conflict lost to), so whether it is already in the chain can no longer be told (nothing
   * written).
   */
  result: "chained" | "already_stored" | "id_conflict" | "invalid" | "truncated" | "expired";
  event_id: string | null;
  tenant: string | null;
  seq: number | null;
  detail: string | null;
}

const REPLAY_ATTEMPTS = 3;

const DAY_MS = 86_400_000;

/**
 * Re-validates a kept dead letter and chains it when it is a valid event not yet stored and still within the
 * retention period, then records the outcome on the row (replaying again is harmless: `already_stored`).
 * Throws RangeError `invalid_dead_letter_id` or `dead_letter_not_found`; a D1 failure throws as it is.
 */
export async function replayDeadLetter(
  db: D1Database,
  id: unknown,
  now: number,
  retentionDays: number,
): Promise<ReplayResult> {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) throw new RangeError("invalid_dead_letter_id");
  const row = await db
    .prepare("SELECT body, body_bytes FROM audit_dead_letters WHERE id = ?")
    .bind(id)
    .first<{ body: string; body_bytes: number }>();
  if (!row) throw new RangeError("dead_letter_not_found");
  const result = await replay(db, id, row, now - retentionDays * DAY_MS);
  await db
    .prepare("UPDATE audit_dead_letters SET replayed_at = ?, replay_result = ? WHERE id = ?")
    .bind(now, result.result, id)
    .run();
  return result;
}

async function replay(
  db: D1Database,
  id: number,
  row: { body: string; body_bytes: number },
  cutoff: number,
): Promise<ReplayResult> {
  const none = { id, event_id: null, tenant: null, seq: null, detail: null };
  if (isTruncated(row)) return { ...none, result: "truncated" };
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    return { ...none, result: "invalid", detail: "(root): not JSON" };
  }
  const parsed = AuditEventSchema.safeParse(body);
  if (!parsed.success) return { ...none, result: "invalid", detail: describeIssues(parsed.error.issues) };
  const item = chainItem(parsed.data);
  const known = { ...none, event_id: item.event.id, tenant: chainOf(item.event) };
  // Retention deletes events older than the cutoff: an event that old may have been stored and deleted since (or
  // the event its id conflicted with may have), so "not stored" no longer means "never chained".
  if (item.event.ts < cutoff || item.event.ts <= (await anchorTs(db, known.tenant))) {
    return { ...known, result: "expired" };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const appended = await appendOne(db, item);
      if (appended.kind === "chained") return { ...known, result: "chained", seq: appended.seq };
      return { ...known, result: appended.kind };
    } catch (err) {
      // Another writer may have taken the position between our read and our write: read again.
      if (attempt >= REPLAY_ATTEMPTS) throw err;
    }
  }
}

/** ts of the last event retention deleted from the tenant's chain (-Infinity when none was). */
async function anchorTs(db: D1Database, tenant: string): Promise<number> {
  const anchor = await db.prepare("SELECT ts FROM audit_anchors WHERE tenant = ?").bind(tenant).first<{ ts: number }>();
  return anchor?.ts ?? Number.NEGATIVE_INFINITY;
}
