#!/usr/bin/env node
// Builds the tenant dashboard (dashboard/src, Preact + uPlot) into dashboard/dist, which the gateway serves as
// Workers static assets (wrangler.toml [assets]): index.html and content-hashed assets/ files, nothing inline
// (the page's CSP allows 'self' only). Run by `npm run dev`, the e2e global setup, `.ci/run` and wrangler's
// [build] command (so `wrangler dev` and `wrangler deploy` rebuild it too).
//
//   node scripts/build-dashboard.mjs            build, print each file's size and the page's gzip total
//   buildDashboard({ outdir })                   the same from code (test/node/dashboard-size.test.ts)
//
// The page must stay under PAGE_BUDGET_BYTES gzip: the build fails above it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "dashboard/src");
export const DEFAULT_OUTDIR = join(ROOT, "dashboard/dist");
/** Everything a browser loads for the page, gzip-compressed, at most this many bytes. */
export const PAGE_BUDGET_BYTES = 150 * 1024;

/** Builds into `outdir` (emptied first); returns every file with its raw and gzip size. */
export async function buildDashboard({ outdir = DEFAULT_OUTDIR } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const assets = join(outdir, "assets");
  mkdirSync(assets, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(SRC, "main.tsx")],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: assets,
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => join(ROOT, p));
  const script = outputs.find((p) => p.endsWith(".js"));
  const style = outputs.find((p) => p.endsWith(".css"));
  if (!script || !style) throw new Error("dashboard build: expected one .js and one .css output");
  const icon = readFileSync(join(SRC, "icon.svg"));
  writeFileSync(join(assets, "icon.svg"), icon);
  const html = readFileSync(join(SRC, "index.html"), "utf8")
    .replace("%SCRIPT%", `/dashboard/assets/${basename(script)}`)
    .replace("%STYLE%", `/dashboard/assets/${basename(style)}`)
    .replace("%ICON%", "/dashboard/assets/icon.svg");
  if (html.includes("%")) throw new Error("dashboard build: index.html has an unreplaced placeholder");
  writeFileSync(join(outdir, "index.html"), html);

  const files = [join(outdir, "index.html"), script, style, join(assets, "icon.svg")].map((path) => {
    const bytes = readFileSync(path);
    return { path: relative(outdir, path), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  const gzipBytes = files.reduce((n, f) => n + f.gzipBytes, 0);
  return { outdir, files, gzipBytes, budgetBytes: PAGE_BUDGET_BYTES };
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const built = await buildDashboard();
    for (const f of built.files)
      console.info(`  ${f.path.padEnd(40)} ${kib(f.bytes).padStart(10)} ${kib(f.gzipBytes).padStart(10)} gzip`);
    console.info(`dashboard: ${kib(built.gzipBytes)} gzip in all (budget ${kib(PAGE_BUDGET_BYTES)})`);
    if (built.gzipBytes > PAGE_BUDGET_BYTES) {
      console.error(`dashboard: the page is over its ${kib(PAGE_BUDGET_BYTES)} gzip budget`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
