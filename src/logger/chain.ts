// The per-tenant hash chain. Each stored event gets seq (1, 2, 3… per tenant), prev_hash (the previous event's
// hash, 64 zeros for the first) and hash = hex SHA-256(prev_hash + "\n" + canonical JSON of the event). The
// event row and the tenant's new head are written in one D1 batch (atomic); the table's UNIQUE (tenant, seq)
// makes a concurrent writer that read the same head fail instead of forking the chain.
import { type AuditEvent, UNRESOLVED_TENANT } from "../shared/audit-event";
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
export function chainOf(event: AuditEvent): string {
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
  "prompt_tokens",
  "completion_tokens",
  "cost_saved",
  "latency_ms",
] as const;

export type IndexedColumns = Record<(typeof INDEXED_COLUMNS)[number], string | number | null>;

/** The values of those columns; verification recomputes them from the hashed JSON, so edited copies are caught. */
export function indexedColumns(event: AuditEvent): IndexedColumns {
  return {
    tenant: chainOf(event),
    id: event.id,
    ts: event.ts,
    actor: event.actor,
    action: event.action,
    outcome: event.outcome,
    status: event.status,
    cache: event.cache,
    prompt_tokens: event.prompt_tokens,
    completion_tokens: event.completion_tokens,
    cost_saved: event.cost_saved,
    latency_ms: event.latency_ms,
  };
}

export async function readHead(db: D1Database, tenant: string): Promise<Head> {
  const row = await db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant).first<Head>();
  return row ?? { seq: 0, hash: GENESIS };
}

/** What is already stored under an event id, if anything (ids are unique across tenants). */
export async function storedEventById(db: D1Database, id: string): Promise<string | null> {
  const row = await db.prepare("SELECT event FROM audit_events WHERE id = ?").bind(id).first<{ event: string }>();
  return row?.event ?? null;
}

/**
 * Appends one event after `head` and returns the new head. Throws when D1 fails, including when another
 * writer already took seq head.seq + 1 (UNIQUE (tenant, seq)): nothing is then written.
 */
export async function appendEvent(db: D1Database, event: AuditEvent, canonical: string, head: Head): Promise<Head> {
  const columns = indexedColumns(event);
  const seq = head.seq + 1;
  const hash = await chainHash(head.hash, canonical);
  const names = [...INDEXED_COLUMNS, "seq", "event", "prev_hash", "hash"];
  const values = [...INDEXED_COLUMNS.map((c) => columns[c]), seq, canonical, head.hash, hash];
  await db.batch([
    db
      .prepare(`INSERT INTO audit_events (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`)
      .bind(...values),
    db
      .prepare(
        `INSERT INTO audit_chain (tenant, seq, hash) VALUES (?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      )
      .bind(columns.tenant, seq, hash),
  ]);
  return { seq, hash };
}
