#!/usr/bin/env node
// `npm run bench`: Cordon's request paths against the platform's limit and a peer, in one run, on loopback.
//
// Measured at each concurrency (closed loop, autocannon, every response checked):
//   noop              a Worker that does nothing, under the same `wrangler dev` (the physical limit)
//   floor             an exact hit's unavoidable I/O and nothing else (bench/floor): POST body, two KV reads in a
//                     row, one Queue message after the response, consumed in its process — the platform's share
//   floor-semantic    a semantic hit's I/O alone: three KV reads, a call to a Durable Object that does not search,
//                     the Queue message (the embedding, computed in the isolate here, is not part of it)
//   floor-post, floor-kv1, floor-kv2   the floor a step at a time, at c=16 only: the POST answered, then one and
//                     two KV reads (no Queue message); the differences are what each step costs here
//   healthz           the gateway's GET /healthz: routing and response headers, no storage, no audit event
//   provider          the local provider directly, model slow-<ms> (answers after a fixed latency)
//   portkey-miss      @portkey-ai/gateway (Node server) proxying to that provider, same model
//   exact-hit         Cordon, POST /v1/chat/completions answered by the exact tier (API key)
//   semantic-hit      answered by the semantic tier, the tenant's index holding --entries entries
//   miss              a new prompt every time: both tiers looked up, the provider called, the answer stored
//   miss-nostore      the same with `x-cache-control: no-store`: looked up and called, nothing stored
//   miss-exactonly    a miss of the tenant with its semantic tier off (similarity_threshold 1): the exact tier looked
//                     up, the provider called, the answer stored; nothing embedded, searched or indexed
//   …-oauth           the same with an OAuth access token (client credentials, the key as client)
//   exact-hit-noconsumer  exact hits with the logger acking audit batches unread (the producer's cost alone)
//   exact-hit-user    an exact hit in one user's cache (x-cache-user): the user's salt read from the tenant's object
//   …-devtopology     the same paths with the three Workers in one `wrangler dev` (`npm run dev`)
//   noop-end          the no-op Worker again at the end, to show how much the machine drifted
// The base names are the production-like topology (each Worker its own process) with API keys.
//
// Usage: node bench/run.mjs [--seconds 5] [--connections 1,16,64] [--provider-ms 50] [--entries 10000]
//                           [--warmup 1] [--rows name,name…] [--no-devtopology] [--write]
// Without --write the table is printed and the results go to a temporary directory; with it they go to
// BENCHMARKS.md (between its generated-section markers) and bench/results/latest.json.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  accessToken,
  createTenant,
  secrets,
  startDevTopology,
  startProductionLike,
  stopTopology,
  TENANT,
  TENANT_HOST,
  updatePolicy,
} from "./harness/cordon.mjs";
import { expect, request } from "./harness/http.mjs";
import { expect200, measure } from "./harness/load.mjs";
import { CpuMonitor } from "./harness/machine.mjs";
import { freePort, interrupted, onInterrupt, start, startWrangler, stopAll, waitHttp } from "./harness/processes.mjs";
import { writeResults } from "./harness/report.mjs";
import { EXACT_PROMPT, freshPrompt, paraphrase, chatBody as requestBody, seedEntries } from "./harness/requests.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const options = {
  seconds: Number(opt("seconds", 5)),
  connections: String(opt("connections", "1,16,64")).split(",").map(Number),
  providerMs: Number(opt("provider-ms", 50)),
  entries: Number(opt("entries", 10_000)),
  warmup: Number(opt("warmup", 1)),
  rows: opt("rows", null)?.split(",") ?? null,
  devTopology: !args.includes("--no-devtopology"),
  write: args.includes("--write"),
};
const command = `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`;
const wanted = (name) => options.rows === null || options.rows.includes(name);

const dir = mkdtempSync(join(tmpdir(), "cordon-bench-run-"));
const registry = join(dir, "registry");
mkdirSync(registry);
const cleanup = () => rmSync(dir, { recursive: true, force: true });
onInterrupt(cleanup);

const monitor = new CpuMonitor();
const t0 = Date.now();
const log = (what) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);
const startedProcesses = (topology) => {
  for (const p of topology.processes) monitor.own(p.child.pid);
};
const results = [];
const notes = { audit: [], remeasured: [] };

const model = `local/slow-${options.providerMs}`;
/** The floor Worker's steps (bench/floor): the POST alone, then one and two KV reads, without the Queue message. */
const FLOOR_STEPS = [
  ["floor-post", "?kv=0&queue=0"],
  ["floor-kv1", "?kv=1&queue=0"],
  ["floor-kv2", "?kv=2&queue=0"],
];
const chatBody = (content, m = model) => requestBody(m, content);

/** Measures one row at each concurrency; false when the row was not asked for. */
async function row(name, port, load, levels = options.connections) {
  if (!wanted(name)) return false;
  if (options.warmup > 0) await measure(name, port, load, { connections: 16, seconds: options.warmup });
  for (const connections of levels) {
    let snap = monitor.snapshot();
    let r;
    try {
      r = await measure(name, port, load, { connections, seconds: options.seconds });
    } catch (err) {
      // wrangler dev's proxy, not the server measured, dropped requests: the cell is measured once more, and the
      // report says so. Any other failure, or the same again, fails the run.
      if (!err.devProxyOnly) throw err;
      log(`${name} c=${connections}: ${err.message.split("\n")[0]} (wrangler dev's proxy); measured again`);
      notes.remeasured.push({ name, connections, reason: err.message.split("\n")[0] });
      snap = monitor.snapshot();
      r = await measure(name, port, load, { connections, seconds: options.seconds });
    }
    const cpuMs = (monitor.serverSecondsSince(snap) * 1000) / r.requests;
    const others = monitor.othersShareSince(snap);
    results.push({ name, connections, ...r, cpu_ms: cpuMs, others_cpu: others });
    log(
      `${name.padEnd(28)} c=${String(connections).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50_ms.toFixed(1).padStart(6)} ms  p99 ${r.p99_ms.toFixed(1).padStart(6)} ms  ${cpuMs.toFixed(2).padStart(5)} CPU ms/req  (others ${(others * 100).toFixed(0)}% CPU)`,
    );
  }
  return true;
}

/** Waits until `count()` stops changing for 1.5 s (the audit consumer has caught up), at most 60 s. */
async function settle(count) {
  const deadline = Date.now() + 60_000;
  let last = await count();
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await count();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1500) {
      log(`audit settled at ${now} events`);
      return now;
    }
  }
  log(`audit still moving after 60 s (${last} events)`);
  return last;
}

/** The Cordon rows of one topology; `suffix` names the topology's variants. */
async function cordonRows(port, credentials, suffix, between) {
  const headersFor = (credential) => ({
    host: TENANT_HOST,
    authorization: `Bearer ${credential}`,
    "content-type": "application/json",
  });
  const chat = { method: "POST", path: "/v1/chat/completions" };
  // Prime and check each path once before measuring it.
  const ask = (credential, content, headers = {}) =>
    request({
      port,
      method: "POST",
      host: TENANT_HOST,
      path: chat.path,
      headers: { ...headersFor(credential), ...headers },
      body: chatBody(content),
    });
  /** Asks the exact prompt (with `headers`) until the exact tier answers it: the first ask stores it. */
  const primeExact = async (headers = {}) => {
    for (let i = 0; ; i++) {
      const res = await ask(credentials.key, EXACT_PROMPT, headers);
      if (res.status !== 200) throw new Error(`priming the exact entry: ${res.status} ${res.text}`);
      if (res.headers["x-cache"] === "HIT-EXACT") return;
      if (i > 50) throw new Error(`the exact entry was not stored: ${res.headers["x-cache"]} ${res.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await primeExact();
  if (credentials.samples.length > 0) {
    const probe = await ask(credentials.token, paraphrase(credentials.samples[0]));
    if (probe.headers["x-cache"] !== "HIT-SEMANTIC") {
      throw new Error(
        `a filler entry is not found semantically: ${probe.status} ${probe.headers["x-cache"]} ${probe.text}`,
      );
    }
  }

  /** The API key's rows, and in the production-like topology the access token's too (`-oauth`). */
  const variants = [["", credentials.key], ...(suffix === "" ? [["-oauth", credentials.token]] : [])];
  /** Each request asks `prompt()` with `credential` (and `headers`); every answer must be a 200 with `cache`. */
  const chatLoad = (credential, prompt, cache, headers = {}) => ({
    ...chat,
    headers: { ...headersFor(credential), ...headers },
    body: () => chatBody(prompt()),
    check: expect200(cache),
  });
  const exactPrompt = () => EXACT_PROMPT;

  if (suffix === "") {
    await row("healthz", port, { method: "GET", path: "/healthz", headers: { host: "localhost" }, check: expect200() });
  }
  for (const [variant, credential] of variants) {
    const ran = await row(`exact-hit${variant}${suffix}`, port, chatLoad(credential, exactPrompt, "HIT-EXACT"));
    if (ran) await between();
  }
  if (suffix === "" && wanted("exact-hit-noconsumer")) {
    await credentials.dropAudit(true);
    await row("exact-hit-noconsumer", port, chatLoad(credentials.key, exactPrompt, "HIT-EXACT"));
    await credentials.dropAudit(false);
    await between();
  }
  if (suffix === "" && wanted("exact-hit-user")) {
    // The same prompt in one user's cache: the user's salt comes from the tenant's object too, read alongside the
    // exact tier's value.
    const user = { "x-cache-user": "bench-user" };
    await primeExact(user);
    await row("exact-hit-user", port, chatLoad(credentials.key, exactPrompt, "HIT-EXACT", user));
    await between();
  }
  for (const [variant, credential] of variants) {
    let n = 0;
    const sample = () => paraphrase(credentials.samples[n++ % credentials.samples.length]);
    const ran = await row(`semantic-hit${variant}${suffix}`, port, chatLoad(credential, sample, "HIT-SEMANTIC"));
    if (ran) await between();
  }
  for (const [variant, credential] of variants) {
    const ran = await row(`miss${variant}${suffix}`, port, chatLoad(credential, freshPrompt, "MISS"));
    if (ran) await between();
  }
  if (suffix === "") {
    // Both lookups and the provider call, nothing stored after the response: how much of a miss's overhead here
    // is the store of the miss before it, competing for the same cores.
    const noStore = { "x-cache-control": "no-store" };
    const ran = await row("miss-nostore", port, chatLoad(credentials.key, freshPrompt, "MISS", noStore));
    if (ran) await between();
  }
  if (suffix === "" && wanted("miss-exactonly")) {
    // The tenant's policy at threshold 1 for this row only: what a miss costs with the exact tier alone.
    const before = await credentials.updatePolicy({ similarity_threshold: 1 });
    await row("miss-exactonly", port, chatLoad(credentials.key, freshPrompt, "MISS"));
    await credentials.updatePolicy({ similarity_threshold: before.similarity_threshold });
    await between();
  }
}

try {
  const { rootToken, envFile } = secrets(dir);

  // The no-op Worker and the production-like topology; the tenant is created and seeded on the way.
  /** A baseline Worker of bench/ (noop, floor) in its own `wrangler dev`. */
  const startBaseline = async (name) => {
    const port = await freePort();
    const proc = startWrangler(name, {
      configs: [`bench/${name}/wrangler.toml`],
      port,
      persist: join(dir, "state", name),
      registry,
    });
    monitor.own(proc.child.pid);
    return { proc, port };
  };
  const { proc: noop, port: noopPort } = await startBaseline("noop");
  const { proc: floor, port: floorPort } = await startBaseline("floor");
  let key;
  let samples;
  const prod = await startProductionLike({
    dir,
    registry,
    envFile,
    seed: async (port) => {
      log("seeder up; creating the tenant and seeding");
      key = await createTenant(port, rootToken);
      const seeded =
        options.entries > 0
          ? await seedEntries(port, rootToken, { tenant: TENANT, model, entries: options.entries })
          : { stored: 0, samples: [], seconds: 0 };
      samples = seeded.samples;
      notes.seed = { entries: seeded.stored, seconds: seeded.seconds };
      log(`seeded ${seeded.stored} entries in ${seeded.seconds.toFixed(0)} s`);
      return seeded.stored;
    },
  });
  log("production-like topology up");
  startedProcesses(prod);
  await waitHttp(noop, noopPort, { path: "/" });
  await waitHttp(floor, floorPort, { path: "/" });

  const portkeyPort = await freePort();
  const portkey = start("portkey", "node", [
    "node_modules/@portkey-ai/gateway/build/start-server.js",
    `--port=${portkeyPort}`,
    "--headless",
  ]);
  monitor.own(portkey.child.pid);
  const portkeyHeaders = {
    "content-type": "application/json",
    authorization: "Bearer bench",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `http://127.0.0.1:${prod.providerPort}/v1`,
  };
  for (let i = 0; ; i++) {
    const res = await request({
      port: portkeyPort,
      method: "POST",
      path: "/v1/chat/completions",
      headers: portkeyHeaders,
      body: chatBody("ping", `slow-${options.providerMs}`),
    }).catch(() => null);
    if (res?.status === 200) break;
    if (i > 100)
      throw new Error(`Portkey did not proxy to the provider: ${res?.status} ${res?.text}\n${portkey.stderr}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  const token = await accessToken(prod.gatewayPort, key);
  const credentials = {
    key: key.secret,
    token,
    samples,
    dropAudit: prod.dropAudit,
    updatePolicy: (fields) => updatePolicy(prod.gatewayPort, rootToken, fields),
  };

  await row("noop", noopPort, { method: "GET", path: "/", headers: {}, check: expect200() });
  // The same request an exact hit gets (its host, credential and body), answered with the platform's work alone.
  const floorLoad = (query) => ({
    method: "POST",
    path: `/v1/chat/completions${query}`,
    headers: { host: TENANT_HOST, authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
    body: () => chatBody(EXACT_PROMPT),
    check: expect200(),
  });
  await row("floor", floorPort, floorLoad(""));
  await row("floor-semantic", floorPort, floorLoad("?path=semantic"));
  // The exact hit's I/O one step at a time, at c=16: what each step costs on this machine.
  for (const [name, query] of FLOOR_STEPS) await row(name, floorPort, floorLoad(query), [16]);
  await row("provider", prod.providerPort, {
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: () => chatBody("What is the capital of France?", `slow-${options.providerMs}`),
    check: expect200(),
  });
  await row("portkey-miss", portkeyPort, {
    method: "POST",
    path: "/v1/chat/completions",
    headers: portkeyHeaders,
    body: () => chatBody(freshPrompt(), `slow-${options.providerMs}`),
    check: expect200(),
  });

  const answered = () => results.filter((r) => !/noop|floor|provider|portkey|healthz|devtopology/.test(r.name));
  await cordonRows(prod.gatewayPort, credentials, "", () => settle(prod.relayed));
  // Every response of the production-like rows must have its event in the logger's process (or, for the
  // no-consumer row, have been handed to it): the Queue, the relay and the logger all worked.
  const stats = (await expect(200, { port: prod.loggerPort, path: "/stats" })).json();
  const counted = answered().reduce((sum, r) => sum + r.requests, 0);
  notes.audit.push({
    topology: "production-like",
    stored: stats.stored[TENANT] ?? 0,
    dropped: stats.dropped,
    answered: counted,
    deadLettered: stats.deadLettered,
  });
  if ((stats.stored[TENANT] ?? 0) + stats.dropped < counted || stats.deadLettered > 0) {
    throw new Error(`audit events missing: ${JSON.stringify(stats)} for ${counted} measured responses`);
  }
  await stopTopology(prod);

  if (options.devTopology) {
    const dev = await startDevTopology({ dir, registry, envFile });
    log("npm run dev topology up");
    startedProcesses(dev);
    const devToken = await accessToken(dev.gatewayPort, key);
    const analytics = async () => {
      const res = await expect(200, {
        port: dev.gatewayPort,
        host: TENANT_HOST,
        path: "/v1/analytics",
        headers: { authorization: `Bearer ${key.secret}` },
      });
      // Cache lookups only: the analytics request itself is audited, and would keep the count moving.
      return Object.values(res.json().totals.cache).reduce((a, b) => a + b, 0);
    };
    await cordonRows(dev.gatewayPort, { ...credentials, token: devToken }, "-devtopology", () => settle(analytics));
    await stopTopology(dev);
  }

  await row("noop-end", noopPort, { method: "GET", path: "/", headers: {}, check: expect200() }, [16]);
  await stopAll();
  const machine = monitor.stop();
  writeResults({ results, options, command, machine, notes, write: options.write, tmp: dir });
} catch (err) {
  // After Ctrl-C the servers are being stopped under the requests in flight: their errors are expected.
  if (interrupted.by) await new Promise(() => {});
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  if (!process.exitCode) cleanup();
  else process.stderr.write(`bench: state kept in ${dir} for inspection\n`);
}
