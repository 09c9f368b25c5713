#!/usr/bin/env node
// Deployable as checked: bundles each Worker for production with `wrangler deploy --dry-run` (offline: nothing
// is uploaded) so that a broken production configuration — a binding, an import, an environment — fails CI,
// and reports each bundle's gzip size against the platform's limits (Workers Paid: 10 MB compressed; Free: 3 MB).
//   gateway   wrangler.toml --env production
//   logger    src/logger/wrangler.toml (one file serves development and production)
//   provider  src/provider/wrangler.toml (development and tests only, never deployed; checked to bundle)
// Usage: node scripts/check-deploy.mjs   (exits non-zero if a dry run fails or a bundle is over the Free limit)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const WORKERS = [
  { name: "gateway", args: ["-c", "wrangler.toml", "--env", "production"] },
  { name: "logger", args: ["-c", "src/logger/wrangler.toml"] },
  { name: "provider", args: ["-c", "src/provider/wrangler.toml"] },
];
const FREE_LIMIT = 3 * 1024 * 1024;
const PAID_LIMIT = 10 * 1024 * 1024;

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const files = (dir) =>
  readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile() && !f.endsWith(".map"));

let failed = false;
const rows = [];
for (const w of WORKERS) {
  const out = mkdtempSync(join(tmpdir(), `cordon-deploy-${w.name}-`));
  try {
    execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out, ...w.args], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    const bundle = files(out);
    const raw = bundle.reduce((n, f) => n + statSync(f).size, 0);
    const gzip = bundle.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
    if (gzip > FREE_LIMIT) failed = true;
    rows.push(`| ${w.name} | ${kib(raw)} | ${kib(gzip)} | ${((gzip / PAID_LIMIT) * 100).toFixed(1)}% |`);
  } catch {
    failed = true;
    rows.push(`| ${w.name} | dry run failed | | |`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
process.stdout.write(
  ["| Worker | bundle | gzip | of the 10 MB limit |", "|---|---:|---:|---:|", ...rows, ""].join("\n"),
);
process.exit(failed ? 1 : 0);
