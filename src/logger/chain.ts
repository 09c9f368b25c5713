// The per-tenant hash chain. Each stored event gets seq (1, 2, 3… per tenant), prev_hash (the previous event's
// hash, 64 zeros for the first) and hash = hex SHA-256(prev_hash + "\n" + canonical JSON of the event). A
// tenant's new rows and its new head are written in the same D1 batch (one transaction: all or nothing); the
// table's primary key (tenant, seq) makes a concurrent writer that read the same head fail instead of forking
// the chain, and the UNIQUE event id makes a second copy of an event fail instead of being chained twice.
import { type AuditEvent, type StoredAuditEvent, UNRESOLVED_TENANT } from "../shared/audit-event";
import { canonicalJson } from "../shared/canonical-json";
import { sha256Hex } from "../shared/sha256";

export { canonicalJson };

export const GENESIS = "0".repeat(64);

export interface Head {
  seq: number;
  hash: string;
}

export function chainHash(prevHash: string, canonicalEvent: string): Promise<string> {
  return sha256Hex(`${prevHash}\n${canonicalEvent}`);
}

/** The chain an event belongs to: its tenant, or the pseudo-tenant for requests with no resolved tenant. */
export function chainOf(event: StoredAuditEvent): string {
  return event.tenant ?? UNRESOLVED_TENANT;
}

/** The columns copied out of the event for filtering and analytics, in table order. */
export const INDEXED_COLUMNS = [
  "tenant",
  "id",
  "ts",
  "actor",
  "action",
  "outcome",
  "status",
  "cache",
  "model",
  "prompt_tokens",
  "completion_tokens",
  "cost_saved",
  "prompt_tokens_saved",
  "latency_ms",
] as const;

export type IndexedColumns = Record<(typeof INDEXED_COLUMNS)[number], string | number | null>;

/** The values of those columns; verification recomputes them from the hashed JSON, so edited copies are caught. */
export function indexedColumns(event: StoredAuditEvent): IndexedColumns {
  return {
    tenant: chainOf(event),
    id: event.id,
    ts: event.ts,
    actor: event.actor,
    action: event.action,
    outcome: event.outcome,
    status: event.status,
    cache: event.cache,
    model: event.model,
    prompt_tokens: event.prompt_tokens,
    completion_tokens: event.completion_tokens,
    cost_saved: event.cost_saved,
    // Null when absent, as in rows stored before the field (version 1 never has it).
    prompt_tokens_saved: (event.v === 2 ? event.prompt_tokens_saved : undefined) ?? null,
    latency_ms: event.latency_ms,
  };
}

/** A validated event ready to chain: its canonical JSON is exactly what gets hashed and stored. */
export interface ChainItem {
  event: AuditEvent;
  canonical: string;
}

export function chainItem(event: AuditEvent): ChainItem {
  return { event, canonical: canonicalJson(event) };
}

/** A row of audit_events as written and as verification reads it. */
export type ChainRow = IndexedColumns & { seq: number; event: string; prev_hash: string; hash: string };

export const ROW_COLUMNS = [...INDEXED_COLUMNS, "seq", "event", "prev_hash", "hash"] as const;

/** Links `items` (all of one tenant, in order) after `head`: seq, prev_hash and hash of each, and the new head. */
export async function link(head: Head, items: readonly ChainItem[]): Promise<{ rows: ChainRow[]; head: Head }> {
  const rows: ChainRow[] = [];
  let { seq, hash } = head;
  for (const item of items) {
    const next = await chainHash(hash, item.canonical);
    seq += 1;
    rows.push({ ...indexedColumns(item.event), seq, event: item.canonical, prev_hash: hash, hash: next });
    hash = next;
  }
  return { rows, head: { seq, hash } };
}

/** D1 allows 100 bound parameters per statement: rows per multi-row INSERT. */
const ROWS_PER_INSERT = Math.floor(100 / ROW_COLUMNS.length);

/**
 * The statements that append `rows` to `tenant`'s chain and move its head to `head`, for one db.batch. They
 * fail as a whole when another writer took one of the positions or already stored one of the events.
 */
export function appendStatements(db: D1Database, tenant: string, rows: readonly ChainRow[], head: Head) {
  const statements: D1PreparedStatement[] = [];
  const placeholders = `(${ROW_COLUMNS.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    statements.push(
      db
        .prepare(
          `INSERT INTO audit_events (${ROW_COLUMNS.join(", ")}) VALUES ${chunk.map(() => placeholders).join(", ")}`,
        )
        .bind(...chunk.flatMap((row) => ROW_COLUMNS.map((c) => row[c]))),
    );
  }
  statements.push(
    db
      .prepare(
        `INSERT INTO audit_chain (tenant, seq, hash) VALUES (?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      )
      .bind(tenant, head.seq, head.hash),
  );
  return statements;
}

export interface ChainState {
  /** Canonical JSON already stored under each of the asked ids that exists. */
  stored: Map<string, string>;
  /** Head of each asked tenant that has one (absent: the chain starts at GENESIS). */
  heads: Map<string, Head>;
  /** Seq of each asked tenant's anchor, where retention stopped pruning (absent: nothing was pruned). */
  anchors: Map<string, number>;
}

/**
 * Where `tenant`'s next event is chained: after its head. A head missing or behind the anchor (its row deleted or
 * moved back) would chain events into the positions retention freed, so that throws: the events are retried
 * until the head is restored, as a head moved back elsewhere makes them fail on the primary key.
 */
export function headOf(state: ChainState, tenant: string): Head {
  const head = state.heads.get(tenant) ?? { seq: 0, hash: GENESIS };
  const anchor = state.anchors.get(tenant) ?? 0;
  if (head.seq < anchor) throw new Error(`chain head of ${tenant} at seq ${head.seq}, behind its anchor at ${anchor}`);
  return head;
}

/**
 * What is stored under `ids`, and the heads and anchors of `tenants`, in one round trip (one batch: one
 * snapshot). Each list travels as one JSON parameter; every lookup goes through an index (the UNIQUE id, the
 * head's and the anchor's keys).
 */
export async function readState(db: D1Database, ids: readonly string[], tenants: readonly string[]) {
  const [stored, heads, anchors] = await db.batch([
    db
      .prepare("SELECT id, event FROM audit_events WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(ids)),
    db
      .prepare("SELECT tenant, seq, hash FROM audit_chain WHERE tenant IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(tenants)),
    db
      .prepare("SELECT tenant, seq FROM audit_anchors WHERE tenant IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(tenants)),
  ]);
  const state: ChainState = { stored: new Map(), heads: new Map(), anchors: new Map() };
  for (const r of (stored?.results ?? []) as { id: string; event: string }[]) state.stored.set(r.id, r.event);
  for (const r of (heads?.results ?? []) as ({ tenant: string } & Head)[]) {
    state.heads.set(r.tenant, { seq: r.seq, hash: r.hash });
  }
  for (const r of (anchors?.results ?? []) as { tenant: string; seq: number }[]) state.anchors.set(r.tenant, r.seq);
  return state;
}

export type AppendResult =
  | { kind: "chained"; tenant: string; seq: number }
  | { kind: "already_stored"; tenant: string }
  | { kind: "id_conflict"; tenant: string };

/**
 * Chains one event on its own: reads its id and its tenant's head, then appends. A redelivery of a stored
 * event is `already_stored`, the same id with other content `id_conflict`. Throws when D1 fails, including
 * when another writer took the position first (nothing is then written).
 */
export async function appendOne(db: D1Database, item: ChainItem): Promise<AppendResult> {
  const tenant = chainOf(item.event);
  const state = await readState(db, [item.event.id], [tenant]);
  const stored = state.stored.get(item.event.id);
  if (stored !== undefined) return { kind: stored === item.canonical ? "already_stored" : "id_conflict", tenant };
  const linked = await link(headOf(state, tenant), [item]);
  await db.batch(appendStatements(db, tenant, linked.rows, linked.head));
  return { kind: "chained", tenant, seq: linked.head.seq };
}
