#!/usr/bin/env node
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
// Benchmarks on loopback, as ratios against a no-op Worker measured in the same run (the machine is noisy).
// Starts its own `wrangler dev` processes (gateway+logger+provider on one port, the no-op Worker on another)
// with a throw-away state directory and fresh secrets, seeds a tenant, then measures with autocannon:
//   no-op Worker · gateway /healthz · exact hit · semantic hit · miss (local provider answering after a fixed
//   latency, via the `slow-<ms>` model).
// Writes BENCHMARKS.md. Usage: node bench/run.mjs [--seconds 10] [--connections 10] [--provider-ms 50]
import autocannon from "autocannon";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const SECONDS = arg("seconds", 10);
const CONNECTIONS = arg("connections", 10);
const PROVIDER_MS = arg("provider-ms", 50);
const GW_PORT = 8797;
const NOOP_PORT = 8798;
const state = mkdtempSync(join(tmpdir(), "cordon-bench-"));
const root = randomBytes(32).toString("base64url");

// Fresh secrets for this run only; an existing .dev.vars is set aside and restored.
const held = existsSync(".dev.vars") ? ".dev.vars.bench-hold" : null;
if (held) renameSync(".dev.vars", held);
writeFileSync(".dev.vars", `ROOT_TOKEN=${root}\nMASTER_KEY=${randomBytes(32).toString("base64")}\n`);

const children = [];
/** Each `wrangler dev` gets its own state directory and process group (so that workerd goes with it). */
function start(name, args) {
  const child = spawn("npx", ["wrangler", "dev", ...args, "--persist-to", join(state, name), "--ip", "127.0.0.1"], {
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  children.push(child);
  return child;
}
function cleanup() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {}
  }
  rmSync(".dev.vars", { force: true });
  if (held) renameSync(held, ".dev.vars");
  rmSync(state, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

function call(port, method, host, path, token, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: {
          host,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(data ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

async function waitUp(port, host) {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await call(port, "GET", host, "/healthz")).status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`port ${port} did not come up`);
}

function run(name, opts) {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, r) => {
      if (err) return reject(err);
      const bad = r.non2xx + r.errors + r.timeouts;
      resolve({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, bad });
    });
  });
}

try {
  execFileSync(
    "npx",
    [
      "wrangler",
      "d1",
      "migrations",
      "apply",
      "cordon-audit",
      "--local",
      "-c",
      "src/logger/wrangler.toml",
      "--persist-to",
      join(state, "gateway"),
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, CI: "true" },
    },
  );
  start("gateway", [
    "-c",
    "wrangler.toml",
    "-c",
    "src/logger/wrangler.toml",
    "-c",
    "src/provider/wrangler.toml",
    "--port",
    String(GW_PORT),
    "--inspector-port",
    "9331",
  ]);
  start("noop", ["-c", "bench/noop/wrangler.toml", "--port", String(NOOP_PORT), "--inspector-port", "9332"]);
  await waitUp(GW_PORT, "localhost");
  await waitUp(NOOP_PORT, "localhost");
  await call(GW_PORT, "POST", "localhost", "/v1/admin/tenants", root, { id: "bench" });
  const keyRes = await call(GW_PORT, "POST", "bench.localhost", "/v1/admin/keys", root, {
    name: "bench",
    role: "developer",
  });
  const key = JSON.parse(keyRes.text).key;
  const host = "bench.localhost";
  const model = `local/slow-${PROVIDER_MS}`;
  const chat = (content) => JSON.stringify({ model, messages: [{ role: "user", content }] });
  const headers = { host, authorization: `Bearer ${key}`, "content-type": "application/json" };
  const prompt = "What is the capital of France?";

  // Prime the cache and check each path answers as it should before measuring it.
  const primed = await call(GW_PORT, "POST", host, "/v1/chat/completions", key, JSON.parse(chat(prompt)));
  await new Promise((r) => setTimeout(r, 500));
  const exact = await call(GW_PORT, "POST", host, "/v1/chat/completions", key, JSON.parse(chat(prompt)));
  const semantic = await call(
    GW_PORT,
    "POST",
    host,
    "/v1/chat/completions",
    key,
    JSON.parse(chat("what is the capital of france")),
  );
  const checks = [primed.headers["x-cache"], exact.headers["x-cache"], semantic.headers["x-cache"]].join(" ");
  if (checks !== "MISS HIT-EXACT HIT-SEMANTIC") throw new Error(`unexpected cache sequence: ${checks}`);

  const gw = `http://127.0.0.1:${GW_PORT}`;
  let n = 0;
  const results = [];
  results.push(await run("no-op Worker (baseline)", { url: `http://127.0.0.1:${NOOP_PORT}/` }));
  results.push(await run("gateway GET /healthz", { url: `${gw}/healthz`, headers: { host: "localhost" } }));
  results.push(
    await run("exact hit", { url: `${gw}/v1/chat/completions`, method: "POST", headers, body: chat(prompt) }),
  );
  results.push(
    await run("semantic hit", {
      url: `${gw}/v1/chat/completions`,
      method: "POST",
      headers,
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            body: chat(
              ["what is the capital of france", "WHAT IS THE CAPITAL OF FRANCE", "what's the capital of France??"][
                n++ % 3
              ],
            ),
          }),
        },
      ],
    }),
  );
  results.push(
    await run(`miss (provider answers after ${PROVIDER_MS} ms)`, {
      url: `${gw}/v1/chat/completions`,
      method: "POST",
      headers,
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            body: chat(`Unique question number ${n++} ${randomBytes(4).toString("hex")}?`),
          }),
        },
      ],
    }),
  );

  const base = results[0];
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / base.rps).toFixed(3)} | ${r.p50} | ${r.p99} | ${r.total} | ${r.bad} |`,
  );
  const cmd = `node bench/run.mjs --seconds ${SECONDS} --connections ${CONNECTIONS} --provider-ms ${PROVIDER_MS}`;
  const md = `# Benchmarks

Produced by \`${cmd}\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} cores, Node ${process.version}).
Loopback only, against \`wrangler dev\` (workerd, local KV, Queue, D1 and Durable Objects), autocannon with
${CONNECTIONS} connections for ${SECONDS} s per row. Absolute numbers depend on the machine; the ratio column
compares each row with the no-op Worker measured in the same run.

| path | req/s | ratio to no-op | p50 ms | p99 ms | requests | non-2xx/errors |
|---|---|---|---|---|---|---|
${rows.join("\n")}

Every Cordon row, /healthz included, sends an audit event to the Queue, consumed into D1 by the logger in the
same process and on the same two cores as the load generator. The chat rows add the Host → tenant record (KV) and API-key hash lookup (KV). Exact hit: one more KV read and AES-GCM
open. Semantic hit: lexical embedding, a query to the tenant's Durable Object (exact cosine), KV read, open and
verification. Miss: both lookups, the provider call, then sealing and storing in KV, the Durable Object catalog
and vector index after the response.

Not measured yet: the Portkey peer, the vector index at 1k/10k/100k entries, and cache quality on a labelled
set (later issues).
`;
  writeFileSync("BENCHMARKS.md", md);
} finally {
  cleanup();
}
