// The Responses API's cache plan: which requests are stateless, what the prompt is, and what the partition
// holds — never the same as a chat request's.
import { describe, expect, it } from "vitest";
import { planChat } from "../../src/gateway/cache/plan";
import { planResponses, RESPONSES_ANSWER_NEUTRAL_FIELDS } from "../../src/gateway/cache/plan-responses";
import { isStateless, type ResponsesRequest, ResponsesRequestSchema } from "../../src/gateway/protocol/responses";

const req = (input: ResponsesRequest["input"], extra: Record<string, unknown> = {}): ResponsesRequest => ({
  model: "gpt-4o-mini",
  input,
  store: false,
  ...extra,
});
const planOf = (r: ResponsesRequest) => {
  const p = planResponses(r);
  if (!p.cacheable) throw new Error(`not cacheable: ${p.reason}`);
  return p;
};

describe("stateless", () => {
  it.each([
    [{}, false],
    [{ store: true }, false],
    [{ store: null }, false],
    [{ store: false }, true],
    [{ store: false, previous_response_id: "resp_1" }, false],
    [{ store: false, previous_response_id: null }, true],
    [{ store: false, conversation: "conv_1" }, false],
    [{ store: false, conversation: { id: "conv_1" } }, false],
    [{ store: false, background: true }, false],
    [{ store: false, background: false }, true],
  ])("%j → %s", (fields, expected) => {
    expect(isStateless({ model: "m", input: "hi", ...fields } as ResponsesRequest)).toBe(expected);
  });
});

describe("plan", () => {
  it("the prompt is the last user text; string input and message forms are one request", () => {
    const a = planOf(req("What is a monad?"));
    const b = planOf(
      req([{ type: "message", role: "user", content: [{ type: "input_text", text: "What is a monad?" }] }]),
    );
    expect(a.prompt).toBe("What is a monad?");
    expect(b).toEqual(a);
  });

  it("answer-neutral fields stay out of the partition; everything else is in", () => {
    const base = planOf(req("Hi there, what is new?")).partition;
    for (const field of RESPONSES_ANSWER_NEUTRAL_FIELDS) {
      const value =
        field === "store" ? false : field === "background" ? false : field === "metadata" ? { a: "1" } : null;
      expect(planOf(req("Hi there, what is new?", { [field]: value })).partition, field).toBe(base);
    }
    for (const extra of [
      { instructions: "Be brief." },
      { temperature: 0.3 },
      { include: ["message.output_text.logprobs"] },
      { reasoning: { effort: "low" } },
      { text: { format: { type: "json_object" } } },
      { tools: [{ type: "web_search" }] },
      { frobnicate: 1 },
      { model: "gpt-4o" },
    ]) {
      expect(planOf(req("Hi there, what is new?", extra)).partition, JSON.stringify(extra)).not.toBe(base);
    }
  });

  it("a field named like a derived part (last, code, input) cannot stand in for it: each value its own partition", () => {
    for (const field of ["last", "code", "fields", "derived"]) {
      const seen = new Set<string>();
      for (const value of [1, 2, { x: 1 }, { x: 2 }, ["fn main() {}"], null]) {
        seen.add(planOf(req("Hi there, what is new?", { [field]: value })).partition);
      }
      seen.add(planOf(req("Hi there, what is new?")).partition);
      expect(seen.size, field).toBe(7);
    }
  });

  // Regression: as chat's (unit/cache-plan), a field on an input_text part of the last message left the partition.
  it("an input_text part's other fields are part of the partition; a plain part is the string", () => {
    const parts = (part: Record<string, unknown>) =>
      req([{ role: "user", content: [{ type: "input_text", text: "Hi there, what is new?", ...part }] }]);
    const base = planOf(req("Hi there, what is new?")).partition;
    expect(planOf(parts({})).partition).toBe(base);
    const seen = new Set([base]);
    for (const extra of [{ frobnicate: 1 }, { frobnicate: 2 }]) seen.add(planOf(parts(extra)).partition);
    expect(seen.size).toBe(3);
  });

  it("bypasses a last item that is not user text", () => {
    expect(planResponses(req([{ role: "assistant", content: "Hi" }]))).toEqual({
      cacheable: false,
      reason: "last_item_not_user",
    });
    expect(planResponses(req([{ type: "function_call_output", call_id: "c", output: "1" }]))).toMatchObject({
      reason: "last_item_not_user",
    });
    const image = [{ role: "user" as const, content: [{ type: "input_image", image_url: "https://x.test/a.png" }] }];
    expect(planResponses(req(image))).toMatchObject({ reason: "non_text_content" });
    expect(planResponses(req("   "))).toMatchObject({ reason: "empty_prompt" });
  });

  it("a prompt template named without its version bypasses the cache: its text can change under the same id", () => {
    for (const prompt of [{ id: "pmpt_1" }, { id: "pmpt_1", version: null }, { id: "pmpt_1", version: "" }]) {
      expect(planResponses(req("Tell me about owls.", { prompt })), JSON.stringify(prompt)).toEqual({
        cacheable: false,
        reason: "prompt_unversioned",
      });
    }
    const v1 = planOf(req("Tell me about owls.", { prompt: { id: "pmpt_1", version: "1" } })).partition;
    const v2 = planOf(req("Tell me about owls.", { prompt: { id: "pmpt_1", version: "2" } })).partition;
    expect(v1).not.toBe(v2);
  });

  it("a request that is all stored prompt template, with no input, is valid (as OpenAI's) and bypasses the cache", () => {
    const body = {
      model: "gpt-4o-mini",
      store: false,
      prompt: { id: "pmpt_1", version: "2", variables: { city: "Oslo" } },
    };
    const parsed = ResponsesRequestSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(planResponses(parsed.data!)).toEqual({ cacheable: false, reason: "last_item_not_user" });
  });

  it("a Responses partition is never a chat partition, even for look-alike requests", () => {
    const chat = planChat({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Why is the sky blue?" }] });
    const responses = planResponses(req("Why is the sky blue?"));
    if (!chat.cacheable || !responses.cacheable) throw new Error("not cacheable");
    expect(responses.partition.startsWith("{")).toBe(false);
    expect(chat.partition.startsWith("{")).toBe(true);
  });
});
