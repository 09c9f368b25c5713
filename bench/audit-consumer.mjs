#!/usr/bin/env node
// What one audit event costs in the logger's Queue consumer (validation, de-duplication, chain hash, D1
// writes), and how that cost grows with the history already stored.
//
// Runs the consumer under `wrangler dev` (wrangler's `unstable_dev`: the same workerd and local D1 — SQLite
// on disk — as `npm run dev`), through a harness Worker (bench/audit-consumer/worker.ts) that hands it
// synthetic Queue batches. vitest-pool-workers was the other choice; it runs the same runtime, but a
// benchmark wants one long-lived process with a persistent database it can grow to a million rows, and a
// clock outside the Worker (inside workerd the clock only moves on I/O).
//
// For each stored-history size it seeds the database up to that many events (one INSERT … SELECT per
// 100k rows, in SQLite), then times batches of fresh events through the consumer, spread over the
// tenants whose chains were seeded. Reports events/s and ms per event (median of the runs).
//
// Usage: node bench/audit-consumer.mjs [--sizes 0,10000,1000000] [--events 2000] [--runs 3]
//                                      [--batch 50] [--tenants 10] [--write]
// Without --write nothing is written outside a temporary directory; with it the results also go to
// bench/results/audit-consumer.json (git-ignored). The markdown table is printed to stdout either way.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev, unstable_splitSqlQuery } from "wrangler";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const SIZES = String(opt("sizes", "0,10000,1000000")).split(",").map(Number);
const EVENTS = Number(opt("events", 2000));
const RUNS = Number(opt("runs", 3));
const BATCH = Number(opt("batch", 50));
const TENANTS = Number(opt("tenants", 10));
const WRITE = args.includes("--write");
const SEED_CHUNK = 100_000;
/** Batches per request to the harness: short requests, so that a runtime restart costs little. */
const REQUEST_BATCHES = 5;
const CPU_REPS = 5000;

// Offline: no fetch of the `Request.cf` placeholder (a failed fetch can restart the Worker mid-request).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const state = mkdtempSync(join(tmpdir(), "cordon-bench-audit-"));
const worker = await unstable_dev("bench/audit-consumer/worker.ts", {
  config: "bench/audit-consumer/wrangler.toml",
  persistTo: state,
  ip: "127.0.0.1",
  logLevel: process.env.BENCH_LOG ?? "error",
  experimental: { disableExperimentalWarning: true },
});

async function call(path, body) {
  for (let attempt = 1; ; attempt++) {
    const res = await worker.fetch(`http://bench${path}`, {
      method: body === undefined ? "GET" : "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.ok) return JSON.parse(text);
    // `wrangler dev` occasionally restarts its runtime; the request is then not counted and sent again.
    if (res.status === 503 && /restarted mid-request/.test(text) && attempt < 3) continue;
    throw new Error(`${path}: ${res.status} ${text.slice(0, 500)}`);
  }
}

/** Consumes `events` fresh events in requests of a few batches each; returns the ms they took, summed. */
async function timeConsume(events) {
  let ms = 0;
  let done = 0;
  while (done < events) {
    const batches = Math.min(REQUEST_BATCHES, Math.ceil((events - done) / BATCH));
    const t0 = process.hrtime.bigint();
    const out = await call(`/consume?batches=${batches}&size=${BATCH}&tenants=${TENANTS}`, {});
    ms += Number(process.hrtime.bigint() - t0) / 1e6;
    if (out.acked !== out.events || out.retried !== 0) throw new Error(`not all acked: ${JSON.stringify(out)}`);
    done += out.events;
  }
  return { ms, events: done };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const dir = "src/logger/migrations";
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    await call("/migrate", unstable_splitSqlQuery(readFileSync(join(dir, file), "utf8")));
  }

  const rows = [];
  let seeded = 0;
  for (const size of SIZES) {
    const stored = (await call("/count")).events;
    // Seed up to `size` stored events (events consumed by earlier rows count too).
    const started = Date.now();
    for (let left = size - stored; left > 0; left -= SEED_CHUNK) {
      const n = Math.min(SEED_CHUNK, left);
      await call(`/seed?from=${seeded}&n=${n}&tenants=${TENANTS}`, {});
      seeded += n;
    }
    if (size > stored)
      console.error(`seeded ${size - stored} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const before = (await call("/count")).events;
    await timeConsume(2 * BATCH); // warm-up
    const perEvent = [];
    for (let r = 0; r < RUNS; r++) {
      const run = await timeConsume(EVENTS);
      perEvent.push(run.ms / run.events);
    }
    const ms = median(perEvent);
    rows.push({ stored: before, events: EVENTS, runs: RUNS, ms_per_event: ms, events_per_s: 1000 / ms });
    console.error(`stored ${before}: ${ms.toFixed(3)} ms/event`);
  }

  // What the CPU steps of one event cost, each timed over CPU_REPS repetitions against a request doing none.
  const cpu = {};
  const timeCpu = async (what) => {
    const t0 = process.hrtime.bigint();
    await call(`/cpu?what=${what}&n=${CPU_REPS}`, {});
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (const what of ["none", "validate", "canonical", "hash"]) await timeCpu(what); // warm-up
  for (const what of ["validate", "canonical", "hash"]) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(((await timeCpu(what)) - (await timeCpu("none"))) / CPU_REPS);
    cpu[what] = Math.max(0, median(runs));
  }

  const table = [
    `Audit consumer, batches of ${BATCH} events over ${TENANTS} tenants, ${RUNS} runs of ${EVENTS} events each (median)`,
    `on ${cpus().length} cores, Node ${process.version}, \`node bench/audit-consumer.mjs${args.length ? ` ${args.join(" ")}` : ""}\`:`,
    "",
    "| stored events | events/s | ms per event |",
    "| ------------- | -------- | ------------ |",
    ...rows.map(
      (r) => `| ${r.stored.toLocaleString("en")} | ${Math.round(r.events_per_s)} | ${r.ms_per_event.toFixed(3)} |`,
    ),
    "",
    `CPU steps per event (median of ${RUNS} runs of ${CPU_REPS}; the rest of an event's cost is D1):`,
    "",
    "| validation | canonical JSON | chain hash (SHA-256) |",
    "| ---------- | -------------- | -------------------- |",
    `| ${(cpu.validate * 1000).toFixed(1)} µs | ${(cpu.canonical * 1000).toFixed(1)} µs | ${(cpu.hash * 1000).toFixed(1)} µs |`,
  ].join("\n");
  process.stdout.write(`${table}\n`);
  if (WRITE) {
    mkdirSync("bench/results", { recursive: true });
    const result = {
      date: new Date().toISOString(),
      cores: cpus().length,
      node: process.version,
      batch: BATCH,
      tenants: TENANTS,
      rows,
      cpu_ms_per_event: cpu,
    };
    writeFileSync("bench/results/audit-consumer.json", `${JSON.stringify(result, null, 2)}\n`);
  }
} finally {
  await worker.stop();
  rmSync(state, { recursive: true, force: true });
}
