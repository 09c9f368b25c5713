#!/usr/bin/env node
// The embedded vector index at 1k, 10k and 100k entries of 768 dimensions (bge-base's): query latency and
// recall@1 against exact search over the same rows.
//
// Runs the index in a Durable Object under `wrangler dev` (wrangler's `unstable_dev`: the same workerd and
// SQLite storage as `npm run dev`) through a harness Worker (bench/vector-index/worker.ts), grown in place from
// one size to the next. Latency is timed from outside, per query, HTTP round trip included (inside workerd the
// clock only moves on I/O): the first query after the codes are dropped from memory (as after a restart of
// the object) reads them from SQLite, and is reported apart. Recall is measured for queries near a stored vector (what a semantic cache asks: noise 0.3 gives a
// cosine of about 0.95 with it, 0.6 about 0.85) and for unrelated queries (the hard case, where no answer
// would pass a similarity threshold anyway).
//
// Usage: node bench/vector-index.mjs [--sizes 1000,10000,100000] [--dims 768] [--queries 200] [--recall 50]
//                                    [--write]
// With --write the results also go to bench/results/vector-index.json. The table is printed either way.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev } from "wrangler";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const SIZES = String(opt("sizes", "1000,10000,100000")).split(",").map(Number);
const DIMS = Number(opt("dims", 768));
const QUERIES = Number(opt("queries", 200));
const RECALL = Number(opt("recall", 50));
const WRITE = args.includes("--write");

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const state = mkdtempSync(join(tmpdir(), "cordon-bench-vectors-"));
const worker = await unstable_dev("bench/vector-index/worker.ts", {
  config: "bench/vector-index/wrangler.toml",
  persistTo: state,
  ip: "127.0.0.1",
  logLevel: process.env.BENCH_LOG ?? "error",
  experimental: { disableExperimentalWarning: true },
});

async function call(path) {
  const res = await worker.fetch(`http://bench${path}`, { method: "POST" });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function recall(size, noise, n) {
  let agree = 0;
  for (let k = 0; k < n; k++) {
    const i = (k * 7_919) % size;
    const r = await call(`/query?i=${i}&noise=${noise}&dims=${DIMS}&exact=1`);
    if (r.id === r.exact) agree++;
  }
  return agree / n;
}

const results = [];
try {
  let stored = 0;
  for (const size of SIZES) {
    const fillStart = Date.now();
    for (; stored < size; stored += 5000) {
      await call(`/fill?from=${stored}&n=${Math.min(5000, size - stored)}&dims=${DIMS}`);
    }
    stored = size;
    const fillMs = Date.now() - fillStart;
    await call(`/forget?dims=${DIMS}`);
    const first = Date.now();
    await call(`/query?i=1&noise=0.3&dims=${DIMS}`);
    const firstMs = Date.now() - first;
    const times = [];
    const pings = [];
    for (let k = 0; k < QUERIES; k++) {
      let t = performance.now();
      await call(`/ping?dims=${DIMS}`);
      pings.push(performance.now() - t);
      t = performance.now();
      await call(`/query?i=${(k * 104_729) % size}&noise=0.3&dims=${DIMS}`);
      times.push(performance.now() - t);
    }
    const n = size >= 100_000 ? Math.min(RECALL, 20) : RECALL;
    const stats = await call(`/stats?dims=${DIMS}`);
    const row = {
      entries: size,
      dims: DIMS,
      p50_ms: +percentile(times, 50).toFixed(2),
      p99_ms: +percentile(times, 99).toFixed(2),
      round_trip_p50_ms: +percentile(pings, 50).toFixed(2),
      first_query_ms: firstMs,
      recall_near_095: await recall(size, 0.3, n),
      recall_near_085: await recall(size, 0.6, n),
      recall_unrelated: await recall(size, 50, n),
      recall_queries: n,
      code_mb: +(stats.code_bytes / 1e6).toFixed(1),
      fill_s: +(fillMs / 1000).toFixed(1),
    };
    results.push(row);
    console.error(JSON.stringify(row));
  }
} finally {
  await worker.stop();
  rmSync(state, { recursive: true, force: true });
}

const table = [
  "| entries | query p50 | query p99 | first query after a restart (reads codes) | recall@1 near (cos≈0.95) | near (cos≈0.85) | unrelated | codes in memory |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...results.map(
    (r) =>
      `| ${r.entries.toLocaleString("en")} | ${r.p50_ms} ms | ${r.p99_ms} ms | ${r.first_query_ms} ms | ${r.recall_near_095} | ${r.recall_near_085} | ${r.recall_unrelated} | ${r.code_mb} MB |`,
  ),
].join("\n");
process.stdout.write(`${table}\n`);
if (WRITE) {
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/vector-index.json", `${JSON.stringify(results, null, 2)}\n`);
}
