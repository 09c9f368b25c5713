// The reranker port's Workers AI adapter against a fake that follows the bge reranker's documented contract.
import { describe, expect, it } from "vitest";
import {
  BGE_RERANKER,
  type RerankerAiRunner,
  RerankerError,
  WorkersAiReranker,
} from "../../src/gateway/adapters/reranker-workers-ai";
import type { Reranker } from "../../src/gateway/ports/reranker";
import { FakeWorkersAiReranker } from "../fakes/reranker";

const answer = (result: unknown): RerankerAiRunner => ({ run: async () => result });
const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (e: unknown) => e as RerankerError,
  );

describe("Workers AI reranker (fake binding)", () => {
  it("implements the port: a score from 0 to 1, higher for the same question than for another", async () => {
    const reranker: Reranker = new WorkersAiReranker({ ai: new FakeWorkersAiReranker() });
    const same = await reranker.score("how do I sort a list in python", "how to sort a list in python");
    const other = await reranker.score("how do I sort a list in python", "best pizza in naples");
    expect(same).toBeGreaterThan(0.5);
    expect(same).toBeLessThanOrEqual(1);
    expect(other).toBeLessThan(0.5);
    expect(other).toBeGreaterThanOrEqual(0);
    expect(reranker.id).toBe(`workers-ai:${BGE_RERANKER}`);
  });

  it("sends the query and the candidate as one context, through AI Gateway (no cache, no log) only when configured", async () => {
    const ai = new FakeWorkersAiReranker();
    await new WorkersAiReranker({ ai, gatewayId: "cordon-gw" }).score("q", "c");
    await new WorkersAiReranker({ ai }).score("q", "c");
    expect(ai.calls).toEqual([
      {
        model: BGE_RERANKER,
        query: "q",
        texts: ["c"],
        topK: undefined,
        options: { gateway: { id: "cordon-gw", skipCache: true, collectLog: false } },
      },
      { model: BGE_RERANKER, query: "q", texts: ["c"], topK: undefined, options: undefined },
    ]);
  });

  it("scores several candidates in one call and answers in their order, whatever order the model ranks them", async () => {
    const ai = new FakeWorkersAiReranker();
    const reranker = new WorkersAiReranker({ ai });
    const scores = await reranker.scoreAll("capital of france", ["weather in oslo", "capital of france", "capital"]);
    expect(ai.callCount).toBe(1);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
    expect(scores[2]).toBeGreaterThan(scores[0]!);
    expect(await reranker.scoreAll("q", [])).toEqual([]);
    expect(ai.callCount).toBe(1);
  });

  it("refuses empty texts before calling the model, which would reject them (minLength 1)", async () => {
    const ai = new FakeWorkersAiReranker();
    const reranker = new WorkersAiReranker({ ai });
    expect(await failureOf(reranker.score("", "c"))).toMatchObject({ code: "empty_text" });
    expect(await failureOf(reranker.score("q", ""))).toMatchObject({ code: "empty_text" });
    expect(ai.callCount).toBe(0);
    await expect(ai.run(BGE_RERANKER, { query: "", contexts: [{ text: "c" }] })).rejects.toThrow(/validation/);
    await expect(ai.run(BGE_RERANKER, { query: "q", contexts: [{ text: "" }] })).rejects.toThrow(/validation/);
  });

  it("wraps a platform failure in an upstream RerankerError that keeps the cause", async () => {
    const ai = new FakeWorkersAiReranker();
    const platform = new Error("AiError: 3040: Capacity temporarily exceeded");
    ai.failWith(platform);
    const failure = await failureOf(new WorkersAiReranker({ ai }).score("q", "c"));
    expect(failure).toBeInstanceOf(RerankerError);
    expect(failure).toMatchObject({ name: "RerankerError", code: "upstream", cause: platform });
    expect(failure!.message).toMatch(/Capacity/);
    expect(await new WorkersAiReranker({ ai }).score("q", "q")).toBeGreaterThan(0.5);
  });

  it.each<[string, unknown]>([
    ["no response", {}],
    ["an async request id", { request_id: "x" }],
    ["too few scores", { response: [] }],
    ["an unknown id", { response: [{ id: 1, score: 0.5 }] }],
    ["a fractional id", { response: [{ id: 0.5, score: 0.5 }] }],
    ["a missing score", { response: [{ id: 0 }] }],
    ["a non-finite score", { response: [{ id: 0, score: Number.NaN }] }],
    ["a score above 1, as raw logits would be", { response: [{ id: 0, score: 3.2 }] }],
    ["a negative score", { response: [{ id: 0, score: -0.1 }] }],
  ])("refuses an answer with %s as a bad response", async (_name, result) => {
    expect(await failureOf(new WorkersAiReranker({ ai: answer(result) }).score("q", "c"))).toMatchObject({
      code: "bad_response",
    });
  });

  it("refuses a repeated id among several contexts", async () => {
    const ai = answer({
      response: [
        { id: 0, score: 0.9 },
        { id: 0, score: 0.1 },
      ],
    });
    expect(await failureOf(new WorkersAiReranker({ ai }).scoreAll("q", ["a", "b"]))).toMatchObject({
      code: "bad_response",
    });
  });

  it("maps raw logits through a sigmoid when told the platform answers logits, and says so in its id", async () => {
    const ai = new FakeWorkersAiReranker();
    ai.scores = "logit";
    const reranker = new WorkersAiReranker({ ai, scores: "logit" });
    expect(reranker.id).toBe(`workers-ai:${BGE_RERANKER}:sigmoid`);
    expect(await reranker.score("a b", "a b")).toBeCloseTo(1 / (1 + Math.exp(-6)), 9);
    expect(
      await new WorkersAiReranker({ ai: answer({ response: [{ id: 0, score: 0 }] }), scores: "logit" }).score("q", "c"),
    ).toBe(0.5);
    expect(await failureOf(new WorkersAiReranker({ ai }).score("a b", "a b"))).toMatchObject({ code: "bad_response" });
  });

  it("has a fake that holds to the documented contract: known model, required fields, top_k, best first", async () => {
    const ai = new FakeWorkersAiReranker();
    await expect(ai.run("@cf/baai/bge-reranker-large", { query: "q", contexts: [] })).rejects.toThrow(/No such model/);
    await expect(ai.run(BGE_RERANKER, { query: "q" })).rejects.toThrow(/contexts/);
    await expect(ai.run(BGE_RERANKER, { query: "q", contexts: [{}] })).rejects.toThrow(/validation/);
    for (const topK of [0, 1.5, "2"])
      await expect(ai.run(BGE_RERANKER, { query: "q", contexts: [{ text: "c" }], top_k: topK })).rejects.toThrow(
        /top_k/,
      );
    const ranked = await ai.run(BGE_RERANKER, {
      query: "red apple pie",
      contexts: [{ text: "blue car" }, { text: "red apple pie" }, { text: "apple" }],
      top_k: 2,
    });
    expect(ranked.response.map((r) => r.id)).toEqual([1, 2]);
    expect(ranked.response[0]!.score).toBeGreaterThan(ranked.response[1]!.score);
    expect(await ai.run(BGE_RERANKER, { query: "q", contexts: [] })).toEqual({ response: [] });
  });

  it("refuses to be built without a model", () => {
    expect(() => new WorkersAiReranker({ ai: new FakeWorkersAiReranker(), model: "" })).toThrow(RangeError);
  });
});
