// The price table of docs/audit.md ("Price table") is the one the gateway computes cost_saved with
// (KNOWN_MODELS, src/gateway/models.ts): every model, both prices, nothing more.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_MODELS } from "../../src/gateway/models";

const DOC = readFileSync(join(import.meta.dirname, "../../docs/audit.md"), "utf8");

describe("docs/audit.md price table", () => {
  it("lists every known model with its input and output price, and no other", () => {
    const section = DOC.slice(DOC.indexOf("### Price table"));
    const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| model")));
    const rows = [...table.matchAll(/^\| `([^`]+)`\s*\|\s*([\d.]+)\s*\|\s*([\d.]+|—)\s*\|$/gm)].map((m) => [
      m[1],
      Number(m[2]),
      m[3] === "—" ? 0 : Number(m[3]),
    ]);
    expect(rows).toEqual(KNOWN_MODELS.map((m) => [m.id, m.input, m.output]));
  });
});
