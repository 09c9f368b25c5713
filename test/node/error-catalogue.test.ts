// The error catalogue is complete in both directions: every code the table defines is raised somewhere in the
// gateway (found by the TypeScript parser as a string literal outside the table), and docs/errors.md — the
// published catalogue — is exactly what the table generates. `npm run docs` rewrites the document.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ERROR_CATALOG, ERROR_CODES, errorTypeFor } from "../../src/gateway/http/error-catalog";

const ROOT = join(import.meta.dirname, "../..");
const CATALOG_FILE = "src/gateway/http/error-catalog.ts";
const DOC = join(ROOT, "docs/errors.md");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function stringLiterals(file: string): Set<string> {
  const out = new Set<string>();
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteralLike(node)) out.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function renderCatalogue(): string {
  const rows = ERROR_CODES.map((code) => {
    const e = ERROR_CATALOG[code];
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    const anchor = `<a id="${code}"></a>\`${code}\``;
    return `| ${anchor} | ${e.status} | ${errorTypeFor(e.status)} | ${cell(e.message)} | ${cell(e.fix)} |`;
  });
  return [
    "# Error codes",
    "",
    "Generated from `src/gateway/http/error-catalog.ts` by `npm run docs`; do not edit by hand. The gateway",
    "serves the same table at `/docs/errors`, and every error response links its entry there: at the end of its",
    'message, and in a `Link: <…/docs/errors#code>; rel="help"` header.',
    "",
    'Every error response has one shape: `{"error":{"type","code","message","request_id"}}`. The `message` says',
    "what went wrong and what to do next; give the operator the `request_id` when asking about one.",
    "",
    "| code | status | type | meaning | what to do |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

describe("error catalogue", () => {
  it("every code is raised by the gateway", () => {
    const used = new Set<string>();
    for (const file of sourceFiles(join(ROOT, "src/gateway"))) {
      if (relative(ROOT, file) === CATALOG_FILE) continue;
      for (const s of stringLiterals(file)) used.add(s);
    }
    const unused = ERROR_CODES.filter((c) => !used.has(c));
    expect(unused, "codes defined but never raised").toEqual([]);
  });

  it("docs/errors.md is generated from the table", () => {
    const expected = renderCatalogue();
    if (process.env.UPDATE_DOCS === "1") writeFileSync(DOC, expected);
    let actual = "";
    try {
      actual = readFileSync(DOC, "utf8");
    } catch {}
    expect(actual, "docs/errors.md is stale: run `npm run docs`").toBe(expected);
  });

  it("every entry says what went wrong and what to do, in sentences", () => {
    for (const code of ERROR_CODES) {
      const e = ERROR_CATALOG[code];
      expect(e.message, code).toMatch(/^\S.*\.$/);
      expect(e.fix, code).toMatch(/^[A-Z].*\.$/);
    }
  });
});
