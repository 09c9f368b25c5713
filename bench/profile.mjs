#!/usr/bin/env node
// Where the gateway's CPU goes on one request path: the production-like topology of `npm run bench`, the
// gateway built without minification, and workerd's V8 sampling profiler (the inspector of the workerd that
// runs the gateway's isolate; the runtime's own per-Worker inspector serves wrangler alone) running while
// autocannon drives the path. Prints the functions with the most self time, and the inclusive
// time of the gateway's named steps; the servers' CPU per request (all processes, runtime and local KV/Queue
// simulators included) is printed too, for comparison with what the isolate itself uses.
//
// Usage: node --experimental-websocket bench/profile.mjs [--path exact-hit|semantic-hit|miss|healthz]
//          [--seconds 10] [--connections 16] [--entries 10000] [--top 40] [--out profile.cpuprofile]
//          [--worker cordon-gateway|cordon-bench-audit-relay]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTenant, secrets, startProductionLike, TENANT, TENANT_HOST } from "./harness/cordon.mjs";
import { request } from "./harness/http.mjs";
import { expect200, measure } from "./harness/load.mjs";
import { CpuMonitor } from "./harness/machine.mjs";
import { onInterrupt, stopAll } from "./harness/processes.mjs";
import { chatBody, EXACT_PROMPT, freshPrompt, paraphrase, seedEntries } from "./harness/requests.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const path = opt("path", "exact-hit");
const seconds = Number(opt("seconds", 10));
const connections = Number(opt("connections", 16));
const entries = Number(opt("entries", path === "semantic-hit" ? 10_000 : 0));
const top = Number(opt("top", 40));
const out = opt("out", null);
const worker = opt("worker", "cordon-gateway");
const model = "local/slow-50";
const say = (line) => process.stdout.write(`${line}\n`);

if (typeof WebSocket === "undefined") {
  console.error("run with node --experimental-websocket (Node 20) or Node ≥ 22");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "cordon-bench-profile-"));
const registry = join(dir, "registry");
mkdirSync(registry);
onInterrupt(() => rmSync(dir, { recursive: true, force: true }));

/** The ports a process listens on (from /proc: its socket inodes in the TCP LISTEN table). */
function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  const ports = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === "0A" && inodes.has(f[9])) ports.push(Number.parseInt(f[1].split(":")[1], 16));
  }
  return ports;
}

/** workerd's own inspector in a process group: the listening port whose /json lists the isolates. */
async function workerdInspector(pgid) {
  // Every inspector in the process group that lists targets; a process's core:user:… targets are wrangler's
  // (it holds their one DevTools session), so the other inspector — the one serving the isolate — is used.
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0")[0];
      for (const port of listeningPorts(Number(name))) {
        const targets = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.json())
          .catch(() => null);
        if (Array.isArray(targets) && targets.length) found.push({ command, port, targets });
      }
    } catch {}
  }
  const open = found.find((f) => !f.targets.some((t) => String(t.id).startsWith("core:user:")));
  if (open) return open.targets;
  if (found[0]) return found[0].targets;
  throw new Error(`no inspector in process group ${pgid}`);
}

/** A minimal Chrome DevTools Protocol client. */
async function devtools(url) {
  // wrangler's proxy admits DevTools from a local origin only (undici takes headers as a second argument).
  const ws = new WebSocket(url, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const n = ++id;
        pending.set(n, (msg) => (msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result)));
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self and inclusive time per function (name + location) from a V8 CPU profile. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  const interval = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    interval.set(profile.samples[i], (interval.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  let total = 0;
  let idle = 0;
  for (const [id, us] of interval) {
    const n = byId.get(id);
    total += us;
    if (["(idle)", "(program)", "(garbage collector)"].includes(n.callFrame.functionName)) {
      if (n.callFrame.functionName === "(idle)") idle += us;
    }
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at));
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  return { self, inclusive, total, idle };
}

try {
  const { rootToken, envFile } = secrets(dir);
  let key;
  let samples = [];
  const prod = await startProductionLike({
    dir,
    registry,
    envFile,
    gatewayArgs: ["--minify=false"],
    seed: async (port) => {
      key = await createTenant(port, rootToken);
      if (entries > 0) samples = (await seedEntries(port, rootToken, { tenant: TENANT, model, entries })).samples;
      return entries;
    },
  });
  const monitor = new CpuMonitor();
  for (const p of prod.processes) monitor.own(p.child.pid);
  const headers = { host: TENANT_HOST, authorization: `Bearer ${key.secret}`, "content-type": "application/json" };
  const port = prod.gatewayPort;
  const ask = (content) =>
    request({
      port,
      method: "POST",
      host: TENANT_HOST,
      path: "/v1/chat/completions",
      headers,
      body: chatBody(model, content),
    });
  await ask(EXACT_PROMPT);
  await new Promise((r) => setTimeout(r, 500));
  let n = 0;
  const loads = {
    healthz: { method: "GET", path: "/healthz", headers: { host: "localhost" }, check: expect200() },
    "exact-hit": {
      method: "POST",
      path: "/v1/chat/completions",
      headers,
      body: () => chatBody(model, EXACT_PROMPT),
      check: expect200("HIT-EXACT"),
    },
    "semantic-hit": {
      method: "POST",
      path: "/v1/chat/completions",
      headers,
      body: () => chatBody(model, paraphrase(samples[n++ % samples.length])),
      check: expect200("HIT-SEMANTIC"),
    },
    miss: {
      method: "POST",
      path: "/v1/chat/completions",
      headers,
      body: () => chatBody(model, freshPrompt()),
      check: expect200("MISS"),
    },
  };
  const load = loads[path];
  if (!load) throw new Error(`unknown path ${path}`);
  await measure(path, port, load, { connections, seconds: 2 }); // warm-up

  // workerd's own inspector (wrangler proxies only one Worker of a process): every isolate is a target.
  const targets = await workerdInspector(prod.processes[0].child.pid);
  const target = targets.find((t) => t.id === `core:user:${worker}`) ?? targets[0];
  if (!target) throw new Error(`no inspector target for ${worker}: ${JSON.stringify(targets.map((t) => t.id))}`);
  const cdp = await devtools(target.webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const snap = monitor.snapshot();
  const r = await measure(path, port, load, { connections, seconds });
  const serverMs = (monitor.serverSecondsSince(snap) * 1000) / r.requests;
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();
  if (out) writeFileSync(out, JSON.stringify(profile));

  const { self, inclusive, total, idle } = summarise(profile);
  const busy = total - idle;
  const perReq = (us) => (us / 1000 / r.requests).toFixed(3);
  say(`${path}: ${r.requests} requests, ${r.rps.toFixed(0)} req/s, p50 ${r.p50_ms.toFixed(1)} ms at c=${connections}`);
  const byProcess = prod.processes
    .map((p) => `${p.name} ${((monitor.groupSecondsSince(snap, p.child.pid) * 1000) / r.requests).toFixed(2)}`)
    .join(", ");
  say(`servers' CPU: ${serverMs.toFixed(2)} ms per request (${byProcess})`);
  say(`gateway isolate busy: ${perReq(busy)} ms per request (${((100 * busy) / total).toFixed(0)}% of the profile)\n`);
  say("self time, ms per request:");
  for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) say(`  ${perReq(us)}  ${l}`);
  say("\ninclusive time of src/ functions, ms per request:");
  for (const [l, us] of [...inclusive]
    .filter(([l]) => / (src\/|index\.js)/.test(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    say(`  ${perReq(us)}  ${l}`);
} catch (err) {
  console.error(err.stack ?? err);
  process.exitCode = 1;
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
