// Child processes of a benchmark run: `wrangler dev` instances and Node servers, each in its own process group
// (so that workerd goes with its wrangler), stopped together on exit, on error and on Ctrl-C.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { get } from "./http.mjs";

const running = new Set();

/** A free loopback port (the OS picks it; a race with another program is possible but rare). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a process in its own group. Its stderr is kept (the last 8 kB) to explain a failure; stdout is
 * dropped unless BENCH_LOG is set.
 */
export function start(name, command, args, { env = {}, cwd } = {}) {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ["ignore", process.env.BENCH_LOG ? "inherit" : "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  const proc = { name, child, stderr: "", exited: null };
  child.stderr.on("data", (d) => {
    proc.stderr = (proc.stderr + d.toString()).slice(-8000);
    if (process.env.BENCH_LOG) process.stderr.write(`[${name}] ${d}`);
  });
  proc.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  running.add(proc);
  proc.exited.then(() => running.delete(proc));
  return proc;
}

/** `npx wrangler dev` with the given configs on a port, offline and quiet. */
export function startWrangler(name, { configs, port, persist, registry, envFile, extra = [] }) {
  return start(
    name,
    "npx",
    [
      "wrangler",
      "dev",
      ...configs.flatMap((c) => ["-c", c]),
      ...(envFile ? ["--env-file", envFile] : []),
      "--persist-to",
      persist,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      ...(extra.includes("--inspector-port") ? [] : ["--inspector-port", "0"]),
      "--show-interactive-dev-session=false",
      "--log-level",
      process.env.BENCH_LOG ? "log" : "warn",
      ...extra,
    ],
    { env: wranglerEnv(registry) },
  );
}

/**
 * The environment every wrangler command of a run gets: no metrics, no fetch of the `cf` placeholder, and a
 * dev registry of its own, so that a run never binds to another `wrangler dev` on this machine (and no one
 * binds to it) through a shared worker name.
 */
export function wranglerEnv(registry) {
  return {
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    CI: "true",
    ...(registry ? { WRANGLER_REGISTRY_PATH: registry } : {}),
  };
}

/** Waits until GET `path` on `port` (with `host`) answers `status`, or the process exits, or time runs out. */
export async function waitHttp(
  proc,
  port,
  { host = "localhost", path = "/healthz", status = 200, timeoutMs = 180_000 },
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running.has(proc)) throw new Error(`${proc.name} exited:\n${proc.stderr}`);
    try {
      if ((await get(port, host, path)).status === status) return;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`${proc.name} did not answer on port ${port} within ${timeoutMs} ms:\n${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits until a worker has registered itself in the run's dev registry (how other processes find it). */
export async function waitRegistered(proc, registry, worker, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(registry, worker))) {
    if (!running.has(proc)) throw new Error(`${proc.name} exited:\n${proc.stderr}`);
    if (Date.now() > deadline) throw new Error(`${worker} did not register within ${timeoutMs} ms:\n${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Stops one process group: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stop(proc, graceMs = 5000) {
  if (!running.has(proc)) return;
  signalGroup(proc, "SIGTERM");
  const timer = setTimeout(() => signalGroup(proc, "SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
  // The group may outlive its leader (workerd under npx): make sure nothing of it is left.
  signalGroup(proc, "SIGKILL");
}

export async function stopAll() {
  await Promise.all([...running].map((p) => stop(p)));
}

function signalGroup(proc, signal) {
  try {
    process.kill(-proc.child.pid, signal);
  } catch {}
}

export const interrupted = { by: null };

/** Ctrl-C or a kill of the run stops every child first; `cleanup` then removes what the run wrote. */
export function onInterrupt(cleanup) {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, async () => {
      interrupted.by = sig;
      process.stderr.write(`\nbench: ${sig}, stopping the servers…\n`);
      await stopAll();
      cleanup();
      process.exit(130);
    });
  }
}
