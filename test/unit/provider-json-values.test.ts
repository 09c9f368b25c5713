// The local provider's JSON value generator: for each supported schema construct, generated values validate
// against the schema (written with zod and converted with z.toJSONSchema, so the validator is independent of
// the generator), and the same seed gives the same value.
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { Rng } from "../../src/provider/determinism";
import { valueFor } from "../../src/provider/json-values";

const SEED = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const generate = (schema: unknown, text = "the question asked", seed = SEED) =>
  valueFor(schema, { text, rng: new Rng(seed) });

const Node: z.ZodType<{ label: string; children: unknown[] }> = z.lazy(() =>
  z.strictObject({ label: z.string(), children: z.array(Node).max(2) }),
);

const CASES: [string, z.ZodType][] = [
  [
    "strings with length bounds",
    z.strictObject({ short: z.string().max(3), long: z.string().min(150), exact: z.string().length(5) }),
  ],
  [
    "string formats",
    z.strictObject({ when: z.iso.datetime(), day: z.iso.date(), mail: z.email(), link: z.url(), id: z.uuid() }),
  ],
  [
    "integers with bounds",
    z.strictObject({ a: z.int(), b: z.int().min(-5).max(-3), c: z.int().gt(1000), d: z.int().multipleOf(7).min(50) }),
  ],
  [
    "numbers with exclusive bounds",
    z.strictObject({ p: z.number().gt(0).lt(1), q: z.number().min(0.5).max(0.75), r: z.number().multipleOf(0.25) }),
  ],
  ["booleans and nulls", z.strictObject({ flag: z.boolean(), nothing: z.null() })],
  [
    "enums and literals",
    z.strictObject({ colour: z.enum(["red", "green", "blue"]), kind: z.literal("fixed"), code: z.literal(3) }),
  ],
  [
    "nullable and optional",
    z.strictObject({ maybe: z.string().nullable(), later: z.int().optional(), either: z.union([z.int(), z.string()]) }),
  ],
  [
    "arrays with bounds",
    z.strictObject({
      none: z.array(z.string()).max(0),
      some: z.array(z.int()).min(3).max(5),
      free: z.array(z.boolean()),
    }),
  ],
  [
    "nested objects",
    z.strictObject({
      outer: z.strictObject({ inner: z.strictObject({ deep: z.array(z.strictObject({ v: z.number() })) }) }),
    }),
  ],
  ["a recursive schema through $ref", z.strictObject({ tree: Node })],
  ["records", z.strictObject({ loose: z.record(z.string(), z.int()) })],
];

describe("generated values validate", () => {
  it.each(CASES)("%s", (_name, schema) => {
    const json = z.toJSONSchema(schema);
    for (const seed of [SEED, SEED.split("").reverse().join(""), `${"0".repeat(63)}1`]) {
      const value = generate(json, "the question asked", seed);
      expect(() => schema.parse(value), JSON.stringify(value)).not.toThrow();
    }
  });

  it("draft-4 style exclusive bounds, type lists and definitions", () => {
    const schema = {
      type: "object",
      definitions: {
        score: { type: "number", minimum: 0, maximum: 10, exclusiveMinimum: true, exclusiveMaximum: true },
      },
      properties: {
        score: { $ref: "#/definitions/score" },
        label: { type: ["null", "string"] },
        all: { allOf: [{ type: "integer", minimum: 2, maximum: 2 }] },
        at: { type: "string", format: "time" },
      },
    };
    const value = generate(schema) as { score: number; label: string; all: number; at: string };
    expect(value.at).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(value.score).toBeGreaterThan(0);
    expect(value.score).toBeLessThan(10);
    expect(typeof value.label).toBe("string");
    expect(value.all).toBe(2);
  });
});

describe("generated values", () => {
  it("cut strings from the given text", () => {
    expect(generate({ type: "object", properties: { q: { type: "string" } } }, "Where is Oslo?")).toEqual({
      q: "Where is Oslo?",
    });
  });

  it("are the same for the same seed and differ for another", () => {
    const json = z.toJSONSchema(
      z.strictObject({ n: z.int().min(0).max(1000), c: z.enum(["a", "b", "c", "d", "e", "f"]), id: z.uuid() }),
    );
    expect(generate(json)).toEqual(generate(json));
    expect(generate(json, "x", "1".repeat(64))).not.toEqual(generate(json));
  });

  it("do not honour patterns (a documented limit)", () => {
    expect(generate({ type: "string", pattern: "^[0-9]+$" }, "words")).toBe("words");
  });

  it("end a schema that only refers to itself", () => {
    const loop = { type: "object", $defs: { a: { $ref: "#/$defs/a" } }, properties: { x: { $ref: "#/$defs/a" } } };
    expect(generate(loop)).toEqual({ x: expect.anything() });
  });

  it("treat a missing or non-object schema as a free value", () => {
    expect(typeof generate(undefined)).toBe("string");
    expect(typeof generate(true)).toBe("string");
  });
});
