// Usage and savings over time, from GET /v1/analytics?group_by=day: requests and what the cache answered, hit
// rate, tokens and cost saved, and latency percentiles, per UTC day of the chosen range.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, query } from "../api";
import { Chart, type Series } from "../chart";
import { ErrorNote, fmtInt, fmtPct, fmtUsd, inputValue, ViewHeading } from "../ui";

interface Metrics {
  requests: number;
  cache: Record<"HIT-EXACT" | "HIT-SEMANTIC" | "MISS" | "BYPASS" | "STALE", number>;
  hit_rate: number;
  tokens_saved: { prompt: number; completion: number };
  cost_saved: number;
  latency_ms: { p50: number; p95: number; p99: number } | null;
}
interface Analytics {
  totals: Metrics;
  groups: (Metrics & { group: string | null })[];
}

const DAY = 86_400_000;
const RANGES = [7, 30, 90] as const;

export function Overview() {
  const [days, setDays] = useState<number>(30);
  const [data, setData] = useState<Analytics | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    const from = new Date(Math.floor(Date.now() / DAY) * DAY - (days - 1) * DAY).toISOString();
    setError(null);
    api<Analytics>("GET", `/v1/analytics${query({ group_by: "day", from })}`)
      .then((d) => live && setData(d))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [days]);

  const charts = useMemo(() => (data ? perDay(data, days) : null), [data, days]);
  const t = data?.totals;
  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Usage and savings</ViewHeading>
      <label class="inline">
        Range{" "}
        <select value={String(days)} onChange={(e) => setDays(Number(inputValue(e)))}>
          {RANGES.map((d) => (
            <option value={String(d)}>Last {d} days</option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} />
      {t && (
        <dl class="cards" aria-label="Totals for the range">
          <Card label="Requests" value={fmtInt(t.requests)} />
          <Card label="Hit rate" value={fmtPct(t.hit_rate)} />
          <Card label="Tokens saved" value={fmtInt(t.tokens_saved.prompt + t.tokens_saved.completion)} />
          <Card label="Cost saved" value={fmtUsd(t.cost_saved)} />
          <Card label="Latency p50 / p95" value={t.latency_ms ? `${t.latency_ms.p50} / ${t.latency_ms.p95} ms` : "—"} />
        </dl>
      )}
      {charts && (
        <div class="charts">
          <Chart title="Requests per day" x={charts.x} series={charts.requests} format={fmtInt} />
          <Chart title="Hit rate" x={charts.x} series={charts.hitRate} format={fmtPct} />
          <Chart title="Saved per day" x={charts.x} series={charts.saved} format={fmtInt} formatRight={fmtUsd} />
          <Chart title="Latency" x={charts.x} series={charts.latency} format={(v) => `${Math.round(v)} ms`} />
        </div>
      )}
    </section>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div class="card">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** One point per UTC day of the range (days without requests are zero; their latency is a gap). */
function perDay(data: Analytics, days: number) {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const byDay = new Map(data.groups.map((g) => [g.group, g]));
  const x: number[] = [];
  const rows: (Metrics | undefined)[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = today - i * DAY;
    x.push(day / 1000);
    rows.push(byDay.get(new Date(day).toISOString().slice(0, 10)));
  }
  const col = (f: (m: Metrics) => number | null, empty: number | null = 0) => rows.map((m) => (m ? f(m) : empty));
  const hits = (m: Metrics) => m.cache["HIT-EXACT"] + m.cache["HIT-SEMANTIC"] + m.cache.STALE;
  const requests: Series[] = [
    { label: "Requests", values: col((m) => m.requests), color: "#1d4ed8" },
    { label: "Cache hits", values: col(hits), color: "#15803d" },
    { label: "Misses", values: col((m) => m.cache.MISS), color: "#b45309" },
  ];
  const hitRate: Series[] = [{ label: "Hit rate", values: col((m) => m.hit_rate), color: "#15803d" }];
  const saved: Series[] = [
    { label: "Tokens saved", values: col((m) => m.tokens_saved.prompt + m.tokens_saved.completion), color: "#7c3aed" },
    { label: "Cost saved ($)", values: col((m) => m.cost_saved), color: "#0f766e", right: true },
  ];
  const latency: Series[] = (["p50", "p95", "p99"] as const).map((p, i) => ({
    label: `p${p.slice(1)}`,
    values: col((m) => m.latency_ms?.[p] ?? null, null),
    color: ["#1d4ed8", "#b45309", "#b91c1c"][i]!,
  }));
  return { x, requests, hitRate, saved, latency };
}
