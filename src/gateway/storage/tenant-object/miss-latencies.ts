// The latencies of the tenant's recent misses, one ring of MISS_LATENCY_SLOTS per kind of request (a chat
// answer and an embedding take very different times): timing protection holds a hit back toward one of them.
import { fail } from "./checks";

/** How many recent miss latencies a tenant's object keeps per kind, for timing protection. */
export const MISS_LATENCY_SLOTS = 128;

export const LATENCY_KINDS = ["chat", "embeddings"] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

function checkKind(kind: unknown): LatencyKind {
  if (!LATENCY_KINDS.includes(kind as LatencyKind)) fail(`invalid latency kind: one of ${LATENCY_KINDS.join(", ")}`);
  return kind as LatencyKind;
}

export function recordMissLatency(storage: DurableObjectStorage, kind: LatencyKind, ms: number): void {
  checkKind(kind);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 600_000) return;
  const sql = storage.sql;
  const cursor = `miss_latency_next:${kind}`;
  const next = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, cursor).toArray()[0];
  const slot = next ? Number(next.value) % MISS_LATENCY_SLOTS : 0;
  storage.transactionSync(() => {
    sql.exec(`INSERT OR REPLACE INTO miss_latency_ring (kind, slot, ms) VALUES (?, ?, ?)`, kind, slot, ms);
    sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`, cursor, String((slot + 1) % MISS_LATENCY_SLOTS));
  });
}

/** One recorded miss latency of the kind drawn at random, or null before any was recorded. */
export function sampleMissLatency(storage: DurableObjectStorage, kind: LatencyKind): number | null {
  checkKind(kind);
  const rows = storage.sql.exec<{ ms: number }>(`SELECT ms FROM miss_latency_ring WHERE kind = ?`, kind).toArray();
  if (rows.length === 0) return null;
  return rows[crypto.getRandomValues(new Uint32Array(1))[0]! % rows.length]!.ms;
}
