// Starts the gateway, the audit logger and the local provider under one `wrangler dev` — as `npm run dev` does —
// on a free loopback port with fresh secrets and a throw-away state directory, for the Node-side suites. The
// developer's own .dev.vars and .wrangler/state are never read or touched.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { request } from "./client";

export interface CordonUnderTest {
  port: number;
  rootToken: string;
  baseDomain: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    cordon: CordonUnderTest;
  }
}

const CONFIGS = ["wrangler.toml", "src/logger/wrangler.toml", "src/provider/wrangler.toml"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "cordon-e2e-"));
  const rootToken = randomBytes(32).toString("base64url");
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid: `e2e-${randomBytes(4).toString("hex")}` });
  const envFile = join(dir, "secrets.env");
  writeFileSync(
    envFile,
    [
      `ROOT_TOKEN=${rootToken}`,
      `MASTER_KEY=${randomBytes(32).toString("base64")}`,
      `JWT_SIGNING_KEY='${jwk}'`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  // The dashboard's assets, as `npm run dev` builds them (wrangler's [build] would too; building first makes a
  // build error fail here, with its message).
  execFileSync("node", ["scripts/build-dashboard.mjs"], { stdio: ["ignore", "ignore", "inherit"] });
  const persist = join(dir, "state");
  execFileSync(
    "npx",
    ["wrangler", "d1", "migrations", "apply", "cordon-audit", "--local", "-c", CONFIGS[1]!, "--persist-to", persist],
    { stdio: "ignore", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      ...CONFIGS.flatMap((c) => ["-c", c]),
      "--env-file",
      envFile,
      "--persist-to",
      persist,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });

  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {}
  };
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${stderr}`);
    }
    try {
      if ((await request(port, "GET", "localhost", "/healthz")).status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      stop();
      throw new Error(`wrangler dev did not come up within 150 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }

  project.provide("cordon", { port, rootToken, baseDomain: "localhost" });
  return async () => {
    stop();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  };
}
