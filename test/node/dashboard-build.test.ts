// The dashboard as it is built for deployment (scripts/build-dashboard.mjs, into a scratch directory): the whole
// page — HTML, script, style and icon — under its 150 KiB gzip budget, and nothing in it that the page's CSP
// would have to allow: no inline script or style, no event-handler attributes, no other origin.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard, PAGE_BUDGET_BYTES } from "../../scripts/build-dashboard.mjs";

let built: Awaited<ReturnType<typeof buildDashboard>>;
const scratch = mkdtempSync(join(tmpdir(), "cordon-dashboard-"));

beforeAll(async () => {
  built = await buildDashboard({ outdir: join(scratch, "dist") });
}, 60_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the dashboard build", () => {
  it(`keeps the whole page under ${PAGE_BUDGET_BYTES / 1024} KiB gzip`, () => {
    expect(built.files.map((f) => f.path.split("/")[0]).sort()).toEqual(["assets", "assets", "assets", "index.html"]);
    console.info(`dashboard page: ${(built.gzipBytes / 1024).toFixed(1)} KiB gzip`);
    expect(built.gzipBytes).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it("loads only its own files, none of them inline", () => {
    const html = readFileSync(join(built.outdir, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toMatch(/\bsrc="\/dashboard\/assets\/main-[A-Z0-9]+\.js"/);
    expect(scripts[0]![2]).toBe("");
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
    for (const url of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url[1]).toMatch(/^\/dashboard\/assets\//);
  });

  it("names every script and style by its content, so a new build is never served stale", () => {
    for (const f of built.files.filter((f) => /\.(js|css)$/.test(f.path))) {
      expect(f.path).toMatch(/^assets\/main-[A-Z0-9]{8}\.(js|css)$/);
    }
  });
});
