// The embedder port: the in-Worker lexical embedder for real (the caller normalises text with semanticText
// first, as the gateway does), and the Workers AI adapter against a fake that follows the bge models' documented
// contract.
import { describe, expect, it } from "vitest";
import { cosine, LexicalEmbedder, lexicalWords } from "../../src/gateway/adapters/embedder-lexical";
import { type AiRunner, EmbedderError, WorkersAiEmbedder } from "../../src/gateway/adapters/embedder-workers-ai";
import { verifyMatch } from "../../src/gateway/cache/verify";
import { semanticText } from "../../src/gateway/text/semantic-text";
import { FakeWorkersAi } from "../fakes/workers-ai";

const lexical = new LexicalEmbedder(768);
const sim = (a: string, b: string) => cosine(lexical.embedOne(semanticText(a)), lexical.embedOne(semanticText(b)));
const norm = (v: readonly number[]) => Math.hypot(...v);
const BGE = "@cf/baai/bge-base-en-v1.5";

describe("lexical embedder", () => {
  it("returns one unit vector of the configured dimension per text, in order", async () => {
    const texts = ["capital of france", "reverse a list in python", "capital of france"];
    const vectors = await lexical.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toHaveLength(768);
      expect(norm(v)).toBeCloseTo(1, 9);
    }
    expect(vectors[0]).toEqual(vectors[2]);
    expect(vectors[1]).toEqual(lexical.embedOne("reverse a list in python"));
  });

  it("is deterministic across instances and identifies itself", () => {
    const other = new LexicalEmbedder(768);
    expect(other.embedOne("explain tcp handshakes")).toEqual(lexical.embedOne("explain tcp handshakes"));
    expect(other.id).toBe("cordon-lexical-v2");
    expect(new LexicalEmbedder(384).embedOne("explain tcp handshakes")).toHaveLength(384);
  });

  it("embeds text without words to the fixed unit vector in bucket 0", () => {
    const fixed = [1, ...Array(767).fill(0)];
    expect(lexical.embedOne("")).toEqual(fixed);
    expect(lexical.embedOne("  ?!… --- ... ")).toEqual(fixed);
  });

  it("stays a finite unit vector for any string", () => {
    for (const s of [
      "🙂🙃 emoji only",
      "\u0000\u0001 control",
      "x".repeat(20_000),
      "é ü ß 漢字 العربية",
      "c++ c# node.js",
    ]) {
      const v = lexical.embedOne(s);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 9);
    }
    expect(norm(new LexicalEmbedder(8).embedOne("a tiny eight-bucket vector still has unit length"))).toBeCloseTo(1, 9);
  });

  it("refuses a dimension it cannot fill", () => {
    expect(() => new LexicalEmbedder(4)).toThrow(RangeError);
    expect(() => new LexicalEmbedder(767.5)).toThrow(RangeError);
  });

  it.each([
    ["What is the capital of France?", "what is the capital of france"],
    ["What is the capital of France?", "  What's   the capital of FRANCE?!  "],
    ["How do I reverse a list in Python?", "how do i reverse a list in python ??"],
    ["Explain TCP handshakes.", "explain   tcp handshakes"],
  ])("treats the surface variants %j and %j as the same text", (a, b) => {
    expect(sim(a, b)).toBeCloseTo(1, 9);
  });

  // v2 reads canonical content words and unordered pairs: word order is hit verification's job (direction rule).
  it("scores a reordering of the same words, and synonyms, as identical", () => {
    expect(sim("Explain what a linked list is", "Explain what is a linked list")).toBeCloseTo(1, 9);
    expect(sim("How do I fix a leaking faucet?", "How do I repair a leaking faucet?")).toBeCloseTo(1, 9);
  });

  it.each([
    ["Explain what a linked list is", "Explain what a linked list is briefly"],
    ["How do batteries store energy?", "How does a battery store energy?"],
    ["Please quickly explain recursion", "Explain recursion"],
  ])("scores the variant %j ~ %j at 0.9 or more, short of identical", (a, b) => {
    expect(sim(a, b)).toBeGreaterThanOrEqual(0.9);
    expect(sim(a, b)).toBeLessThan(1);
  });

  it.each([
    ["What is the capital of France?", "How do I bake sourdough bread?"],
    ["Explain quantum entanglement", "Write a haiku about autumn"],
    ["How do I center a div in CSS?", "What is the best way to learn Rust?"],
  ])("scores the unrelated questions %j and %j below 0.5", (a, b) => {
    expect(sim(a, b)).toBeLessThan(0.5);
  });

  it("scores France against Germany well below the threshold; hit verification tells them apart anyway", () => {
    const france = "What is the capital of France?";
    const germany = "What is the capital of Germany?";
    const s = sim(france, germany); // ≈ 0.51 with 768 dimensions: the two content words of four differ
    expect(s).toBeGreaterThan(0.3);
    expect(s).toBeLessThan(0.9);
    expect(verifyMatch(france, germany)).toEqual({ ok: false, reason: "entities" });
  });

  it("gives function and soft words a small weight, and no character n-grams to words over 40 characters", () => {
    expect(sim("how do I sort a list", "sort list")).toBeGreaterThan(0.9);
    const long = "x".repeat(41);
    expect(sim(long, `${long}y`)).toBeLessThan(0.1);
  });

  it("splits words linearly, dropping leading and trailing dots", () => {
    expect(lexicalWords("..node.js.. c++ c#... ...")).toEqual(["node.js", "c++", "c#"]);
  });
});

describe("Workers AI embedder (fake binding)", () => {
  const make = (ai: FakeWorkersAi | AiRunner, extra: { dimensions?: number; gatewayId?: string } = {}) =>
    new WorkersAiEmbedder({
      ai,
      model: BGE,
      dimensions: extra.dimensions ?? 768,
      ...(extra.gatewayId ? { gatewayId: extra.gatewayId } : {}),
    });

  it("sends more than 100 texts as several calls of at most 100, keeping the order", async () => {
    const ai = new FakeWorkersAi();
    const texts = Array.from({ length: 250 }, (_, i) => `question number ${i}`);
    const vectors = await make(ai).embed(texts);
    expect(ai.calls.map((c) => c.texts.length)).toEqual([100, 100, 50]);
    expect(ai.calls.flatMap((c) => c.texts)).toEqual(texts);
    expect(vectors).toHaveLength(250);
    expect(vectors[137]).toEqual((await make(new FakeWorkersAi()).embed(["question number 137"]))[0]);
    expect(norm(vectors[249]!)).toBeCloseTo(1, 9);
  });

  it("names the model in its id and makes no call for an empty list", async () => {
    const ai = new FakeWorkersAi();
    expect(await make(ai).embed([])).toEqual([]);
    expect(ai.callCount).toBe(0);
    expect(make(ai).id).toBe(`workers-ai:${BGE}`);
  });

  // Regression: through AI Gateway, every text embedded (a no-store request's prompt included) was kept in the
  // gateway's logs, in clear, and answered from its cache across tenants.
  it("routes through AI Gateway only when a gateway id is configured, with no AI Gateway cache or log", async () => {
    const ai = new FakeWorkersAi();
    await make(ai, { gatewayId: "cordon-gw" }).embed(["x"]);
    await make(ai).embed(["y"]);
    expect(ai.calls.map((c) => c.options)).toEqual([
      { gateway: { id: "cordon-gw", skipCache: true, collectLog: false } },
      undefined,
    ]);
  });

  it("throws a dimension_mismatch EmbedderError when the model answers another dimension", async () => {
    const ai = new FakeWorkersAi();
    ai.wrongDimensions = 384;
    const failure = await make(ai)
      .embed(["x"])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EmbedderError);
    expect((failure as EmbedderError).code).toBe("dimension_mismatch");
    await expect(make(new FakeWorkersAi(), { dimensions: 1024 }).embed(["x"])).rejects.toThrow(/1024/);
  });

  it("checks the answer's shape and vector count, and normalises what it returns", async () => {
    const answer = (result: unknown): AiRunner => ({ run: async () => result });
    const v = Array.from({ length: 768 }, (_, i) => (i === 0 ? 3 : i === 1 ? 4 : 0));
    await expect(make(answer({ shape: [1, 384], data: [v] })).embed(["x"])).rejects.toMatchObject({
      code: "dimension_mismatch",
    });
    await expect(make(answer({ shape: [2, 768], data: [v, v] })).embed(["x"])).rejects.toMatchObject({
      code: "bad_response",
    });
    await expect(make(answer({ request_id: "async" })).embed(["x"])).rejects.toMatchObject({ code: "bad_response" });
    await expect(make(answer({ data: [v.map(() => 0)] })).embed(["x"])).rejects.toMatchObject({ code: "no_direction" });
    const [unit] = await make(answer({ shape: [1, 768], data: [v] })).embed(["x"]);
    expect(unit!.slice(0, 2)).toEqual([0.6, 0.8]);
  });

  it("wraps a platform failure in an upstream EmbedderError that keeps the cause", async () => {
    const ai = new FakeWorkersAi();
    const platform = new Error("AiError: 3040: Capacity temporarily exceeded");
    ai.failWith(platform);
    const failure = (await make(ai)
      .embed(["x"])
      .catch((e: unknown) => e)) as EmbedderError;
    expect(failure).toMatchObject({ name: "EmbedderError", code: "upstream", cause: platform });
    expect(failure.message).toMatch(/Capacity/);
    expect(await make(ai).embed(["x"])).toHaveLength(1);
  });

  it("refuses empty texts before calling the model, which would reject them (minLength 1)", async () => {
    const ai = new FakeWorkersAi();
    await expect(make(ai).embed(["fine", ""])).rejects.toMatchObject({ code: "empty_text" });
    expect(ai.callCount).toBe(0);
    await expect(ai.run(BGE, { text: [""] })).rejects.toThrow(/validation/);
  });

  it("has a fake that holds to the documented contract: known models, 1–100 texts, shape [n, dims]", async () => {
    const ai = new FakeWorkersAi();
    await expect(ai.run("@cf/baai/bge-huge", { text: ["x"] })).rejects.toThrow(/No such model/);
    await expect(ai.run(BGE, { text: Array(101).fill("x") })).rejects.toThrow(/100/);
    await expect(ai.run(BGE, { text: [] })).rejects.toThrow(/validation/);
    const single = await ai.run("@cf/baai/bge-small-en-v1.5", { text: "one string" });
    expect(single.shape).toEqual([1, 384]);
    expect(single.pooling).toBe("mean");
    const cls = await ai.run("@cf/baai/bge-small-en-v1.5", { text: "one string", pooling: "cls" });
    expect(cls.data[0]).not.toEqual(single.data[0]);
  });
});
