// The local provider's embeddings: OpenAI's list shape, deterministic unit vectors of the model's length,
// `dimensions` as a renormalised prefix, base64 that decodes to the same float32 values, token-array inputs,
// usage, and OpenAI's 400s.
import { describe, expect, it } from "vitest";
import { expectError, ok, post } from "./provider-helpers";

const EMBEDDINGS = "/v1/embeddings";

interface EmbeddingList<T = number[]> {
  object: string;
  data: { object: string; index: number; embedding: T }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

const embed = <T = number[]>(body: Record<string, unknown>) => ok<EmbeddingList<T>>(post(EMBEDDINGS, body));
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));

function decodeBase64Floats(text: string): number[] {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

describe("embeddings", () => {
  it("answers OpenAI's list object with one unit vector per input and usage", async () => {
    const list = await embed({ model: "text-embedding-3-small", input: ["first text", "a second, longer text"] });
    expect(Object.keys(list).sort()).toEqual(["data", "model", "object", "usage"]);
    expect(list.object).toBe("list");
    expect(list.model).toBe("text-embedding-3-small");
    expect(list.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
    ]);
    for (const d of list.data) {
      expect(d.embedding).toHaveLength(1536);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
      expect(d.embedding.every((x) => Math.fround(x) === x)).toBe(true);
    }
    const tokens = Math.ceil("first text".length / 4) + Math.ceil("a second, longer text".length / 4);
    expect(list.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it.each([
    ["text-embedding-3-small", 1536],
    ["openai/text-embedding-3-large", 3072],
    ["text-embedding-ada-002", 1536],
    ["echo", 1536],
  ])("%s gives %i dimensions", async (model, length) => {
    expect((await embed({ model, input: "hello" })).data[0]!.embedding).toHaveLength(length);
  });

  it("is deterministic per (model, input), and different inputs or models give unrelated vectors", async () => {
    const [a, again, other, otherModel] = await Promise.all([
      embed({ model: "text-embedding-3-small", input: "the same text" }),
      embed({ model: "text-embedding-3-small", input: ["the same text"] }),
      embed({ model: "text-embedding-3-small", input: "another text" }),
      embed({ model: "gpt-4o-mini", input: "the same text" }),
    ]);
    const v = a.data[0]!.embedding;
    expect(again.data[0]!.embedding).toEqual(v);
    expect(Math.abs(cosine(v, other.data[0]!.embedding))).toBeLessThan(0.2);
    expect(Math.abs(cosine(v, otherModel.data[0]!.embedding))).toBeLessThan(0.2);
  });

  it("shortens with dimensions as text-embedding-3 does: the renormalised prefix of the full vector", async () => {
    const full = (await embed({ model: "text-embedding-3-large", input: "shorten me" })).data[0]!.embedding;
    const short = (await embed({ model: "text-embedding-3-large", input: "shorten me", dimensions: 256 })).data[0]!
      .embedding;
    expect(short).toHaveLength(256);
    expect(norm(short)).toBeCloseTo(1, 5);
    const prefix = full.slice(0, 256);
    const scale = 1 / norm(prefix);
    for (const [i, x] of short.entries()) expect(x).toBeCloseTo(prefix[i]! * scale, 6);
  });

  it("encodes base64 as little-endian float32 that decodes to exactly the float values", async () => {
    const body = { model: "text-embedding-3-small", input: ["one", "two"], dimensions: 64 };
    const floats = await embed(body);
    const base64 = await embed<string>({ ...body, encoding_format: "base64" });
    expect(base64.data.map((d) => d.index)).toEqual([0, 1]);
    for (const [i, d] of base64.data.entries()) {
      expect(d.embedding).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(decodeBase64Floats(d.embedding)).toEqual(floats.data[i]!.embedding);
    }
    expect(base64.usage).toEqual(floats.usage);
  });

  it("accepts token arrays, one or several, counting one token per entry", async () => {
    const one = await embed({ model: "text-embedding-3-small", input: [1, 2, 3] });
    expect(one.data).toHaveLength(1);
    expect(one.usage.prompt_tokens).toBe(3);
    const two = await embed({ model: "text-embedding-3-small", input: [[1, 2, 3], [4]] });
    expect(two.data).toHaveLength(2);
    expect(two.data[0]!.embedding).toEqual(one.data[0]!.embedding);
    expect(two.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it.each([
    ["no input", { model: "text-embedding-3-small" }, "input", "missing_required_parameter"],
    ["no model", { input: "x" }, "model", "missing_required_parameter"],
    ["an empty string", { model: "text-embedding-3-small", input: "" }, "input", null],
    ["an empty array", { model: "text-embedding-3-small", input: [] }, "input", null],
    ["an empty token array", { model: "text-embedding-3-small", input: [[]] }, "input", null],
    ["a negative token", { model: "text-embedding-3-small", input: [1, -2] }, "input[1]", "invalid_value"],
    ["mixed strings and numbers", { model: "text-embedding-3-small", input: ["a", 1] }, "input[1]", "invalid_type"],
    ["an input over 8192 tokens", { model: "text-embedding-3-small", input: "abcd".repeat(8193) }, "input", null],
    ["2049 inputs", { model: "text-embedding-3-small", input: Array(2049).fill("a") }, "input", null],
    ["dimensions 0", { model: "text-embedding-3-small", input: "x", dimensions: 0 }, "dimensions", "invalid_value"],
    [
      "dimensions over the model's",
      { model: "text-embedding-3-small", input: "x", dimensions: 1537 },
      "dimensions",
      null,
    ],
    ["dimensions on ada-002", { model: "text-embedding-ada-002", input: "x", dimensions: 8 }, "dimensions", null],
    [
      "an unknown encoding",
      { model: "text-embedding-3-small", input: "x", encoding_format: "hex" },
      "encoding_format",
      "invalid_value",
    ],
  ])("answers 400 to %s", async (_name, body, param, code) => {
    const err = await expectError(await post(EMBEDDINGS, body), 400, code);
    expect(err.error).toMatchObject({ type: "invalid_request_error", param });
  });
});
