#!/usr/bin/env node
// Deployable as checked: bundles each Worker for production with `wrangler deploy --dry-run` (offline: nothing
// is uploaded) so that a broken production configuration — a binding, an import, an environment — fails CI,
// and reports each bundle's gzip size against the platform's limits (Workers Paid: 10 MB compressed; Free: 3 MB).
//   gateway   wrangler.toml --env production
//   logger    src/logger/wrangler.toml (one file serves development and production)
//   provider  src/provider/wrangler.toml (development and tests only, never deployed; checked to bundle)
// Then checks what a dry run cannot see (scripts/deploy-config.mjs): that the production configuration would start
// — the gateway's and the logger's vars and bindings through their own parsers — and that the gateway's audit
// Queue and audit queries reach the logger.
// Usage: node scripts/check-deploy.mjs [--strict]   (exits non-zero if a dry run fails, a bundle is over the Free
// limit or the configuration would not start; --strict: also while a value is still the checked-in example)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { checkDeployConfig } from "./deploy-config.mjs";

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

const strict = process.argv.includes("--strict");
const { errors, warnings } = await checkDeployConfig();
for (const e of errors) process.stderr.write(`configuration: ${e}\n`);
for (const w of warnings) process.stderr.write(`configuration: ${strict ? "" : "warning: "}still the example: ${w}\n`);
if (errors.length > 0 || (strict && warnings.length > 0)) failed = true;
process.exit(failed ? 1 : 0);
