// Analytics for the gateway's GET /v1/analytics, computed in SQL over one tenant's events with
// from ≤ ts ≤ to (inclusive, ms) but its alerts, optionally grouped by UTC day, model or key (actor). Totals and groups are
// read in one D1 batch, so they describe the same rows; the range is read through the (tenant, ts) index.
//
// Definitions (docs/audit.md, "Analytics"): a lookup is an event with cache HIT-EXACT, HIT-SEMANTIC, STALE or
// MISS; served from cache means HIT-EXACT, HIT-SEMANTIC or STALE. hit_rate = served from cache / lookups.
// Tokens saved are the prompt and completion tokens recorded on events served from cache, and the
// `prompt_tokens_saved` of answers served from it in part (the cached inputs of an embeddings batch); cost saved
// is the sum of `cost_saved` as the gateway recorded it, to 10⁻⁸ dollars as each event's is. Latency percentiles
// are exact, by nearest rank, over every event in the group (refused requests included).
import type { CacheStatus } from "../shared/audit-event";
import { type GroupBy, parseGroupBy, parseRange, parseTenant } from "../shared/audit-query";

export interface AuditMetrics {
  /** Every audited request, refused ones included. */
  requests: number;
  /** Requests per cache status; requests that never reached the cache (refused, admin) are in none. */
  cache: Record<CacheStatus, number>;
  /** Served from cache / lookups (see above); 0 when there were no lookups. */
  hit_rate: number;
  tokens_saved: { prompt: number; completion: number };
  /** US dollars. */
  cost_saved: number;
  /** Nearest-rank percentiles of `latency_ms`; null when there are no requests. */
  latency_ms: { p50: number; p95: number; p99: number } | null;
}

export interface AuditGroup extends AuditMetrics {
  /** `YYYY-MM-DD` (UTC) for day, the model for model, the actor for key; null for events without a model. */
  group: string | null;
}

export interface AuditStats {
  from: number;
  to: number;
  group_by: GroupBy | null;
  totals: AuditMetrics;
  /** One entry per group with at least one request, ordered by group (null last); empty when not grouped. */
  groups: AuditGroup[];
  /** True when there were more than STATS_GROUPS_MAX groups and only the first were returned. */
  groups_truncated: boolean;
}

export const STATS_GROUPS_MAX = 1000;
const DAY_MS = 86_400_000;
const PERCENTILES = [50, 95, 99] as const;

/** The SQL expression each grouping groups by. Never built from input: chosen from this closed table. */
const GROUP_EXPRESSION: Record<GroupBy, string> = {
  day: `ts / ${DAY_MS}`,
  model: "model",
  key: "actor",
};

interface Totals {
  grp: string | number | null;
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

export async function statsFor(
  db: D1Database,
  tenant: string,
  from: number,
  to: number,
  groupBy?: GroupBy | null,
): Promise<AuditStats> {
  const chain = parseTenant(tenant);
  const range = parseRange(from, to);
  const by = parseGroupBy(groupBy);
  const args = [chain, range.from, range.to];
  const statements = [totalsQuery(db, null, args), ranksQuery(db, null, args)];
  if (by) statements.push(totalsQuery(db, GROUP_EXPRESSION[by], args), ranksQuery(db, GROUP_EXPRESSION[by], args));
  const [totalRows, totalRanks, groupRows, groupRanks] = await db.batch(statements);

  const total = (totalRows?.results[0] as Totals | undefined) ?? null;
  if (!total) throw new Error("audit stats: no totals row");
  const groups = ((groupRows?.results ?? []) as Totals[]).sort(byGroup);
  const kept = groups.slice(0, STATS_GROUPS_MAX);
  const ranks = percentileRows(groupRanks?.results);
  const label = (grp: Totals["grp"]) =>
    grp === null ? null : by === "day" ? new Date(Number(grp) * DAY_MS).toISOString().slice(0, 10) : String(grp);
  return {
    from: range.from,
    to: range.to,
    group_by: by,
    totals: metrics(total, percentileRows(totalRanks?.results).get(null)),
    groups: kept.map((g) => ({ group: label(g.grp), ...metrics(g, ranks.get(g.grp)) })),
    groups_truncated: groups.length > kept.length,
  };
}

const hit = "cache IN ('HIT-EXACT', 'HIT-SEMANTIC', 'STALE')";
/** The requests in range: every event but the alerts (`alert.*`), which a request raises beside its own event. */
const WHERE = "tenant = ? AND ts >= ? AND ts <= ? AND action NOT LIKE 'alert.%'";

/** One row per group, or one row in all (even for an empty range) when `group` is null. */
function totalsQuery(db: D1Database, group: string | null, args: (string | number)[]) {
  return db
    .prepare(
      `SELECT ${group ?? "NULL"} AS grp,
              COUNT(*) AS requests,
              COUNT(CASE WHEN cache = 'HIT-EXACT' THEN 1 END) AS hit_exact,
              COUNT(CASE WHEN cache = 'HIT-SEMANTIC' THEN 1 END) AS hit_semantic,
              COUNT(CASE WHEN cache = 'MISS' THEN 1 END) AS miss,
              COUNT(CASE WHEN cache = 'BYPASS' THEN 1 END) AS bypass,
              COUNT(CASE WHEN cache = 'STALE' THEN 1 END) AS stale,
              COALESCE(SUM(CASE WHEN ${hit} THEN prompt_tokens ELSE prompt_tokens_saved END), 0) AS prompt_tokens,
              COALESCE(SUM(CASE WHEN ${hit} THEN completion_tokens END), 0) AS completion_tokens,
              TOTAL(cost_saved) AS cost_saved
         FROM audit_events WHERE ${WHERE} ${group === null ? "" : "GROUP BY grp"}`,
    )
    .bind(...args);
}

/**
 * The latencies at the nearest ranks of each group: rank ceil(p·n / 100) of n sorted values, written
 * (p·n + 99) / 100 in integer arithmetic.
 */
function ranksQuery(db: D1Database, group: string | null, args: (string | number)[]) {
  const ranks = PERCENTILES.map((p) => `(n * ${p} + 99) / 100`).join(", ");
  const partition = group === null ? "" : `PARTITION BY ${group}`;
  return db
    .prepare(
      `SELECT grp, rn, latency_ms FROM (
         SELECT ${group ?? "NULL"} AS grp, latency_ms,
                ROW_NUMBER() OVER (${partition} ORDER BY latency_ms) AS rn,
                COUNT(*) OVER (${partition}) AS n
           FROM audit_events WHERE ${WHERE}
       ) WHERE rn IN (${ranks})`,
    )
    .bind(...args);
}

type Ranks = Map<number, number>;

function percentileRows(rows: unknown[] | undefined): Map<Totals["grp"], Ranks> {
  const out = new Map<Totals["grp"], Ranks>();
  for (const r of (rows ?? []) as { grp: Totals["grp"]; rn: number; latency_ms: number }[]) {
    const ranks = out.get(r.grp) ?? new Map<number, number>();
    ranks.set(r.rn, r.latency_ms);
    out.set(r.grp, ranks);
  }
  return out;
}

function metrics(t: Totals, ranks: Ranks | undefined): AuditMetrics {
  const at = (p: number) => ranks?.get(Math.floor((t.requests * p + 99) / 100)) ?? 0;
  const served = t.hit_exact + t.hit_semantic + t.stale;
  const lookups = served + t.miss;
  return {
    requests: t.requests,
    cache: { "HIT-EXACT": t.hit_exact, "HIT-SEMANTIC": t.hit_semantic, MISS: t.miss, BYPASS: t.bypass, STALE: t.stale },
    hit_rate: lookups === 0 ? 0 : served / lookups,
    tokens_saved: { prompt: t.prompt_tokens, completion: t.completion_tokens },
    // Each event's saving is a whole number of 10⁻⁸ dollars; their floating-point sum is not, quite.
    cost_saved: Math.round(t.cost_saved * 1e8) / 1e8,
    latency_ms: t.requests === 0 ? null : { p50: at(50), p95: at(95), p99: at(99) },
  };
}

/** Ascending by group, null last (numbers for days, strings otherwise). */
function byGroup(a: Totals, b: Totals): number {
  if (a.grp === b.grp) return 0;
  if (a.grp === null) return 1;
  if (b.grp === null) return -1;
  return a.grp < b.grp ? -1 : 1;
}
