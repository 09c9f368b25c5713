// Analytics for the gateway's GET /v1/analytics, computed in SQL over one tenant's events with
// from ≤ ts ≤ to (inclusive, ms). Both queries run in one D1 batch, so they see the same rows.
import type { CacheStatus } from "../shared/audit-event";
import { parseRange, parseTenant } from "./query";

export interface AuditStats {
  from: number;
  to: number;
  /** Every audited request in the range, refused ones included. */
  requests: number;
  /** Requests per cache status; requests that never reached the cache (refused, admin) are in none. */
  cache: Record<CacheStatus, number>;
  /** (HIT-EXACT + HIT-SEMANTIC) / (HIT-EXACT + HIT-SEMANTIC + MISS); BYPASS is not a lookup. 0 when no lookups. */
  hit_rate: number;
  /** Tokens the provider did not have to process: the token counts recorded on hits. */
  tokens_saved: { prompt: number; completion: number };
  /** Sum of `cost_saved` (US dollars). */
  cost_saved: number;
  /** Nearest-rank percentiles of `latency_ms` over all requests in the range; null when there are none. */
  latency_ms: { p50: number; p95: number; p99: number } | null;
}

const PERCENTILES = [50, 95, 99] as const;

interface Totals {
  requests: number;
  hit_exact: number;
  hit_semantic: number;
  miss: number;
  bypass: number;
  stale: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_saved: number;
}

export async function statsFor(db: D1Database, tenant: string, from: number, to: number): Promise<AuditStats> {
  const chain = parseTenant(tenant);
  const range = parseRange(from, to);
  const where = "tenant = ? AND ts >= ? AND ts <= ?";
  const args = [chain, range.from, range.to];
  const hit = "cache IN ('HIT-EXACT', 'HIT-SEMANTIC')";
  // The nearest rank of percentile p among n values is ceil(p·n / 100) = (p·n + 99) / 100 in integer arithmetic.
  const ranks = PERCENTILES.map((p) => `(n * ${p} + 99) / 100`).join(", ");
  const [totalsResult, ranksResult] = await db.batch([
    db
      .prepare(
        `SELECT COUNT(*) AS requests,
                COUNT(CASE WHEN cache = 'HIT-EXACT' THEN 1 END) AS hit_exact,
                COUNT(CASE WHEN cache = 'HIT-SEMANTIC' THEN 1 END) AS hit_semantic,
                COUNT(CASE WHEN cache = 'MISS' THEN 1 END) AS miss,
                COUNT(CASE WHEN cache = 'BYPASS' THEN 1 END) AS bypass,
                COUNT(CASE WHEN cache = 'STALE' THEN 1 END) AS stale,
                COALESCE(SUM(CASE WHEN ${hit} THEN prompt_tokens END), 0) AS prompt_tokens,
                COALESCE(SUM(CASE WHEN ${hit} THEN completion_tokens END), 0) AS completion_tokens,
                TOTAL(cost_saved) AS cost_saved
           FROM audit_events WHERE ${where}`,
      )
      .bind(...args),
    db
      .prepare(
        `SELECT rn, latency_ms FROM (
           SELECT latency_ms, ROW_NUMBER() OVER (ORDER BY latency_ms) AS rn, COUNT(*) OVER () AS n
             FROM audit_events WHERE ${where}
         ) WHERE rn IN (${ranks})`,
      )
      .bind(...args),
  ]);
  const t = totalsResult?.results[0] as Totals | undefined;
  if (!t) throw new Error("audit stats: no totals row");
  const byRank = new Map(
    ((ranksResult?.results ?? []) as { rn: number; latency_ms: number }[]).map((r) => [r.rn, r.latency_ms]),
  );
  const at = (p: number) => byRank.get(Math.floor((t.requests * p + 99) / 100)) ?? 0;
  const lookups = t.hit_exact + t.hit_semantic + t.miss;
  return {
    from: range.from,
    to: range.to,
    requests: t.requests,
    cache: { "HIT-EXACT": t.hit_exact, "HIT-SEMANTIC": t.hit_semantic, MISS: t.miss, BYPASS: t.bypass, STALE: t.stale },
    hit_rate: lookups === 0 ? 0 : (t.hit_exact + t.hit_semantic) / lookups,
    tokens_saved: { prompt: t.prompt_tokens, completion: t.completion_tokens },
    cost_saved: t.cost_saved,
    latency_ms: t.requests === 0 ? null : { p50: at(50), p95: at(95), p99: at(99) },
  };
}
