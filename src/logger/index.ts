// Cordon audit logger Worker: consumes the gateway's audit Queue into D1 (hash-chained per tenant, see
// chain.ts), keeps what it cannot chain (dead-letters.ts), prunes by retention (retention.ts) and answers
// audit and analytics queries over a service binding (RPC, entrypoint `AuditLog`). docs/audit.md has the rest.
//
// ── RPC contract ────────────────────────────────────────────────────────────────────────────────────────────
// The caller (the gateway) authenticates and authorises; it passes the tenant it resolved from the Host. The
// logger checks the shape of every argument and trusts nothing else. Times are ms since the epoch.
//
//   list(tenant, { from?, to?, actor?, action?, outcome?, limit?, cursor? }) → AuditPage
//       { events: StoredEvent[], next_cursor: string | null }
//       Newest first by (ts, seq). from/to inclusive. outcome: "allowed" | "denied" | "error". limit default
//       100, values above 1000 are cut to 1000. cursor: the previous page's next_cursor (opaque). Each event is
//       the stored event (version 2, or 1 for rows stored before it: see `v`) plus its `seq` and `hash`; a row
//       whose event is not JSON or not a valid event is an UnreadableEvent in its place: { v: null,
//       unreadable: "not_json" | "invalid_event", seq, hash } and the columns copied from the event (audit-log.ts).
//
//   verify(tenant, { from_seq?, max_rows?, checkpoint?: { seq, hash } }?) → ChainVerification
//       { ok, complete, checked, from_seq, next_seq, first_break: { seq, reason } | null,
//         head: { seq, hash } | null, anchor: { seq, hash, ts } | null,
//         checkpoint: "match" | "mismatch" | "pruned" | null }
//       Walks the chain from its anchor (or seq 1), at most max_rows rows per call (default and maximum
//       100,000); when complete is false, call again with from_seq = next_seq. reason: "edited" | "deleted" |
//       "reordered" | "inserted" | "head_mismatch" | "anchor_mismatch" | "checkpoint_mismatch" (verify.ts).
//       Record `head` outside D1 and pass it back later as `checkpoint` to detect a rewrite of the whole chain.
//
//   stats(tenant, from, to, groupBy?: "day" | "model" | "key") → AuditStats
//       { from, to, group_by, totals: AuditMetrics, groups: (AuditMetrics & { group })[], groups_truncated }
//       AuditMetrics: { requests, cache: { "HIT-EXACT", "HIT-SEMANTIC", MISS, BYPASS, STALE }, hit_rate,
//       tokens_saved: { prompt, completion }, cost_saved, latency_ms: { p50, p95, p99 } | null }.
//       group: "YYYY-MM-DD" (UTC) | model | actor, null for events without a model; ascending, null last;
//       at most 1000 groups.
//
//   deadLetters({ limit?, cursor? }?) → { dead_letters: DeadLetter[], next_cursor }      platform operator only
//       Newest first; limit default 50, cut to 100. DeadLetter: { id, received_at, message_id, attempts,
//       reason: "invalid" | "id_conflict" | "undelivered" | "already_stored", detail, event_id, tenant, body,
//       body_bytes, truncated, replayed_at, replay_result }. Bodies are unvalidated input from the Queue.
//
//   replayDeadLetter(id) → { id, result, event_id, tenant, seq, detail }                platform operator only
//       Re-validates the kept body; chains it when it is a valid event not yet stored, within the retention
//       period. result: "chained" | "already_stored" | "id_conflict" | "invalid" | "truncated" | "expired".
//       Replaying again is harmless.
//
// Refusals: a bad argument is answered as a value, `{ refused: code }`, with a stable code — invalid_tenant,
// invalid_query, invalid_limit, invalid_cursor, invalid_range, invalid_group_by, invalid_from_seq,
// invalid_max_rows, invalid_checkpoint, invalid_dead_letter_id, dead_letter_not_found (map to 400, or 404 for
// dead_letter_not_found). A caller's mistake is not the logger's failure: thrown across RPC it would be logged
// as an uncaught exception in this Worker. The functions behind the methods throw RangeError with that code.
// Anything else (D1 unavailable) rejects: an internal error, to map to 500 without its message.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { GroupBy, ListQuery, PageQuery, VerifyOptions } from "../shared/audit-query";
import { type AuditPage, listEvents } from "./audit-log";
import { loggerConfig } from "./config";
import { consumeAuditBatch } from "./consumer";
import {
  consumeDeadLetters,
  type DeadLetterPage,
  listDeadLetters,
  type ReplayResult,
  replayDeadLetter,
} from "./dead-letters";
import { AUDIT_QUEUE, DEAD_LETTER_QUEUE, retryDelaySeconds } from "./queue-messages";
import { pruneExpired } from "./retention";
import { type AuditStats, statsFor } from "./stats";
import { type ChainVerification, verifyChain } from "./verify";

export type { GroupBy, ListQuery, PageQuery, VerifyOptions } from "../shared/audit-query";
export type { AuditPage, StoredEvent, UnreadableEvent, UnreadableReason } from "./audit-log";
export type { DeadLetter, DeadLetterPage, ReplayResult } from "./dead-letters";
export type { AuditGroup, AuditMetrics, AuditStats } from "./stats";
export type { BreakReason, ChainBreak, ChainVerification } from "./verify";

/** A refused argument, answered as a value (see above). */
export interface Refusal {
  readonly refused: string;
}

async function answer<T>(work: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RangeError) return { refused: err.message };
    throw err;
  }
}

export class AuditLog extends WorkerEntrypoint<CordonLogger.Env> {
  async list(tenant: string, query: ListQuery = {}): Promise<AuditPage | Refusal> {
    return answer(() => listEvents(this.env.AUDIT_DB, tenant, query));
  }

  async verify(tenant: string, options: VerifyOptions = {}): Promise<ChainVerification | Refusal> {
    return answer(() => verifyChain(this.env.AUDIT_DB, tenant, options));
  }

  async stats(tenant: string, from: number, to: number, groupBy?: GroupBy): Promise<AuditStats | Refusal> {
    return answer(() => statsFor(this.env.AUDIT_DB, tenant, from, to, groupBy));
  }

  async deadLetters(query: PageQuery = {}): Promise<DeadLetterPage | Refusal> {
    return answer(() => listDeadLetters(this.env.AUDIT_DB, query));
  }

  async replayDeadLetter(id: number): Promise<ReplayResult | Refusal> {
    return answer(() => replayDeadLetter(this.env.AUDIT_DB, id, Date.now(), loggerConfig(this.env).retentionDays));
  }
}

export default {
  async queue(batch, env) {
    switch (batch.queue) {
      case AUDIT_QUEUE:
        return consumeAuditBatch(batch, { db: env.AUDIT_DB, deadLetters: env.AUDIT_DLQ });
      case DEAD_LETTER_QUEUE:
        return consumeDeadLetters(batch, env.AUDIT_DB, Date.now());
      default:
        // A binding this code does not know: keep the messages (retry) rather than guess what they are.
        console.error(`audit: messages from unknown queue ${batch.queue} left for retry`);
        for (const m of batch.messages) m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
    }
  },

  /** Retention (retention.ts): prunes each tenant's expired events, keeping its chain verifiable. */
  async scheduled(controller, env) {
    const { retentionDays } = loggerConfig(env);
    const report = await pruneExpired(env.AUDIT_DB, controller.scheduledTime, retentionDays);
    const pruned = Object.values(report.pruned).reduce((a, b) => a + b, 0);
    const more = report.complete ? "" : "; more left for the next run";
    console.info(
      `audit retention: ${pruned} events pruned in ${Object.keys(report.pruned).length} tenants before ${new Date(report.cutoff).toISOString()}, ${report.dead_letters} dead letters${more}`,
    );
  },
} satisfies ExportedHandler<CordonLogger.Env, unknown>;
