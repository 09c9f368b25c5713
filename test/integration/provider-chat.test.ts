// The local provider's chat completions, non-stream: deterministic answers in the text format the gateway's
// tests rely on, OpenAI's completion object (usage details, refusal, service tier, fingerprint), n choices,
// logprobs, refusals, JSON mode and structured outputs that validate against their schema.
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { type Completion, chat, expectError, ok, post } from "./provider-helpers";

const CHAT = "/v1/chat/completions";
const completion = (body: unknown) => ok<Completion>(post(CHAT, body));
const contentOf = async (body: unknown) => (await completion(body)).choices[0]!.message.content!;

describe("deterministic answers", () => {
  it("gives identical content for identical bodies and different content for different questions", async () => {
    const a = await contentOf(chat("What is 2+2?"));
    expect(await contentOf(chat("What is 2+2?"))).toBe(a);
    expect(await contentOf(chat("What is 3+3?"))).not.toBe(a);
    expect(a).toMatch(
      /^Local answer [0-9a-f]{8}: you asked "What is 2\+2\?"\. This deterministic reply comes from Cordon's local provider\.$/,
    );
  });

  it("ignores key order, stream and stream_options but not the model or sampling parameters", async () => {
    const base = await contentOf({ model: "echo", temperature: 0, messages: [{ role: "user", content: "Order?" }] });
    const same = [
      { messages: [{ content: "Order?", role: "user" }], temperature: 0, model: "echo" },
      { model: "echo", temperature: 0, stream: false, messages: [{ role: "user", content: "Order?" }] },
    ];
    for (const body of same) expect(await contentOf(body)).toBe(base);
    const different = [
      { model: "echo", temperature: 1, messages: [{ role: "user", content: "Order?" }] },
      { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "Order?" }] },
    ];
    for (const body of different) expect(await contentOf(body)).not.toBe(base);
  });

  it("restates the last user message, from text parts too, in at most 200 characters", async () => {
    const content = await contentOf({
      model: "echo",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "First question" },
        { role: "assistant", content: "First answer" },
        {
          role: "user",
          content: [
            { type: "text", text: "Second" },
            { type: "image_url", image_url: { url: "x" } },
            { type: "text", text: "question" },
          ],
        },
      ],
    });
    expect(content).toContain('you asked "Second question"');
    expect(content).not.toContain("First question");

    const long = await contentOf(chat(`${"why ".repeat(200)}end`));
    const restated = /you asked "([^"]*)"/.exec(long)![1]!;
    expect(restated).toHaveLength(200);
    expect(restated.endsWith("...")).toBe(true);
  });

  it.each([
    ["max_tokens", { max_tokens: 5 }],
    ["max_completion_tokens", { max_completion_tokens: 5 }],
    ["max_completion_tokens over max_tokens", { max_completion_tokens: 5, max_tokens: 50 }],
  ])("cuts the answer at %s with finish_reason length", async (_name, limit) => {
    const cut = await completion(chat("Cut me", limit));
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.choices[0]!.message.content).toHaveLength(20);
    expect(cut.usage.completion_tokens).toBe(5);
    expect((await completion(chat("Cut me"))).choices[0]!.finish_reason).toBe("stop");
  });
});

describe("chat.completion object", () => {
  it("has OpenAI's fields: message with refusal and annotations, usage details, tier, fingerprint", async () => {
    const before = Math.floor(Date.now() / 1000);
    const c = await completion({
      model: "local/echo",
      messages: [
        { role: "system", content: "12345678" },
        { role: "user", content: "Hello there" },
      ],
    });
    expect(Object.keys(c).sort()).toEqual(
      ["choices", "created", "id", "model", "object", "service_tier", "system_fingerprint", "usage"].sort(),
    );
    expect(c).toMatchObject({ object: "chat.completion", model: "local/echo", service_tier: "default" });
    expect(c.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(c.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(c.created).toBeGreaterThanOrEqual(before);
    const content = c.choices[0]!.message.content!;
    expect(c.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content, refusal: null, annotations: [] },
        finish_reason: "stop",
        logprobs: null,
      },
    ]);
    const prompt = Math.ceil((8 + 11) / 4);
    const completionTokens = Math.ceil(content.length / 4);
    expect(c.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  it("gives every request its own id but one system_fingerprint per model", async () => {
    const [a, b, other] = await Promise.all([
      completion(chat("Same")),
      completion(chat("Same")),
      completion(chat("Same", { model: "gpt-4o" })),
    ]);
    expect(a.id).not.toBe(b.id);
    expect(a.system_fingerprint).toBe(b.system_fingerprint);
    expect(other.system_fingerprint).not.toBe(a.system_fingerprint);
  });

  it.each([
    [undefined, "default"],
    ["auto", "default"],
    ["default", "default"],
    ["flex", "flex"],
    ["priority", "priority"],
    ["fast", "priority"],
  ])("reports service_tier %s as %s", async (asked, served) => {
    expect((await completion(chat("Tier?", { service_tier: asked }))).service_tier).toBe(served);
  });

  it("answers n choices, each deterministic and different from the others", async () => {
    const c = await completion(chat("Three ways", { n: 3 }));
    expect(c.choices.map((x) => x.index)).toEqual([0, 1, 2]);
    const contents = c.choices.map((x) => x.message.content!);
    expect(new Set(contents).size).toBe(3);
    for (const content of contents) expect(content).toContain('you asked "Three ways"');
    expect(contents[0]).toBe(await contentOf(chat("Three ways", { n: 3 })));
    expect((await completion(chat("Three ways", { n: 3 }))).choices.map((x) => x.message.content)).toEqual(contents);
    expect(c.usage.completion_tokens).toBe(contents.reduce((n, s) => n + Math.ceil(s.length / 4), 0));
  });
});

describe("logprobs", () => {
  it("lists one entry per four-character token, with bytes and descending top_logprobs", async () => {
    const c = await completion(chat("Probabilities", { logprobs: true, top_logprobs: 3 }));
    const { content, refusal } = c.choices[0]!.logprobs!;
    expect(refusal).toBeNull();
    const text = c.choices[0]!.message.content!;
    expect(content!.map((t) => t.token).join("")).toBe(text);
    expect(content).toHaveLength(c.usage.completion_tokens);
    for (const t of content!) {
      expect(t.token.length).toBeLessThanOrEqual(4);
      expect(t.bytes).toEqual(Array.from(new TextEncoder().encode(t.token)));
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0]).toEqual({ token: t.token, logprob: t.logprob, bytes: t.bytes });
      const values = t.top_logprobs.map((x) => x.logprob);
      expect([...values].sort((a, b) => b - a)).toEqual(values);
      expect(new Set(t.top_logprobs.map((x) => x.token)).size).toBe(3);
    }
    expect(await completion(chat("Probabilities", { logprobs: true, top_logprobs: 3 }))).toMatchObject({
      choices: [{ logprobs: { content } }],
    });
  });

  it("gives empty top_logprobs without top_logprobs, and none without logprobs", async () => {
    const c = await completion(chat("Probabilities", { logprobs: true }));
    expect(c.choices[0]!.logprobs!.content!.every((t) => t.top_logprobs.length === 0)).toBe(true);
    expect((await completion(chat("Probabilities", { logprobs: false }))).choices[0]!.logprobs).toBeNull();
  });
});

describe("refusals", () => {
  it.each([
    ["the word refuse in the question", chat("Please refuse this one")],
    ["the refuse model", chat("Anything", { model: "local/refuse" })],
  ])("%s gives message.refusal, content null, finish stop", async (_name, body) => {
    const c = await completion(body);
    expect(c.choices[0]).toMatchObject({
      message: { role: "assistant", content: null, refusal: expect.stringMatching(/can't help/) },
      finish_reason: "stop",
    });
    expect(c.choices[0]!.message.tool_calls).toBeUndefined();
    expect(c.usage.completion_tokens).toBe(Math.ceil(c.choices[0]!.message.refusal!.length / 4));
  });

  it("refuses before calling tools or writing JSON, with logprobs of the refusal", async () => {
    const c = await completion(
      chat("refuse, in json", {
        tools: [{ type: "function", function: { name: "f" } }],
        tool_choice: "required",
        response_format: { type: "json_object" },
        logprobs: true,
      }),
    );
    expect(c.choices[0]!.message).toMatchObject({ content: null, refusal: expect.any(String) });
    expect(c.choices[0]!.logprobs).toMatchObject({ content: null, refusal: expect.any(Array) });
  });

  it("does not refuse words that only contain it (refused, refusal)", async () => {
    expect((await completion(chat("Was it refused? a refusal?"))).choices[0]!.message.refusal).toBeNull();
  });
});

describe("JSON outputs", () => {
  it("json_object answers a JSON object holding the answer sentence", async () => {
    const c = await completion(chat("Answer in JSON please", { response_format: { type: "json_object" } }));
    const parsed = JSON.parse(c.choices[0]!.message.content!) as unknown;
    expect(parsed).toEqual({ answer: expect.stringMatching(/you asked "Answer in JSON please"/) });
  });

  it("json_object without the word json in the messages is refused, as OpenAI does", async () => {
    const err = await expectError(
      await post(CHAT, chat("No format word", { response_format: { type: "json_object" } })),
      400,
      null,
    );
    expect(err.error).toMatchObject({ type: "invalid_request_error", param: "messages" });
  });

  const Recipe = z.strictObject({
    title: z.string().min(3).max(40),
    servings: z.int().min(1).max(12),
    rating: z.number().gt(0).lt(5),
    vegetarian: z.boolean(),
    course: z.enum(["starter", "main", "dessert"]),
    ingredients: z
      .array(z.strictObject({ name: z.string(), grams: z.int().multipleOf(5).min(0) }))
      .min(1)
      .max(4),
    source: z.strictObject({ url: z.url(), added: z.iso.date(), author_email: z.email() }),
    note: z.string().nullable(),
    tags: z.array(z.string()).optional(),
  });

  it("json_schema answers JSON that validates against the schema, the same for the same request", async () => {
    const body = chat("A recipe for soup", {
      response_format: {
        type: "json_schema",
        json_schema: { name: "recipe", strict: true, schema: z.toJSONSchema(Recipe) },
      },
    });
    const content = (await completion(body)).choices[0]!.message.content!;
    const recipe = Recipe.parse(JSON.parse(content));
    expect(recipe.title).toMatch(/^Loca/);
    expect(await contentOf(body)).toBe(content);
  });

  it("json_schema cut by max_tokens is invalid JSON with finish_reason length, as a real model's would be", async () => {
    const c = await completion(
      chat("A recipe", {
        max_tokens: 4,
        response_format: { type: "json_schema", json_schema: { name: "r", schema: z.toJSONSchema(Recipe) } },
      }),
    );
    expect(c.choices[0]!.finish_reason).toBe("length");
    expect(() => JSON.parse(c.choices[0]!.message.content!)).toThrow();
  });

  it.each([
    ["a non-object root", { name: "s", schema: { type: "string" } }, "response_format"],
    ["a bad name", { name: "has space", schema: { type: "object" } }, "response_format.json_schema.name"],
  ])("json_schema with %s is refused", async (_name, jsonSchema, param) => {
    const err = await expectError(
      await post(CHAT, chat("x", { response_format: { type: "json_schema", json_schema: jsonSchema } })),
      400,
    );
    expect(err.error.param).toBe(param);
  });
});
