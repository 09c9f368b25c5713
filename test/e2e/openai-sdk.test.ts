// The official `openai` SDK against Cordon under `wrangler dev`, configured as a user would: `baseURL` and
// `apiKey`, nothing else — chat completions here; embeddings, responses and models in
// openai-sdk-endpoints.test.ts; errors, aborts and retries in openai-sdk-errors.test.ts. Every answer is read
// through the SDK's own types (these files are type-checked), and the cache's headers through `.withResponse()`.
import OpenAI from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from "openai/resources";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type SdkTenant, sdkTenant, untilCached } from "./sdk";

let t: SdkTenant;
let client: OpenAI;

beforeAll(async () => {
  t = await sdkTenant("oai");
  client = new OpenAI({ baseURL: t.baseURL, apiKey: t.key });
});

const ask = (content: string, over: Partial<ChatCompletionCreateParamsNonStreaming> = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content }],
  ...over,
});

/** A streamed chat completion, its chunks collected, and the cache's verdict. */
async function streamChat(content: string) {
  const { data: stream, response } = await client.chat.completions
    .create({ ...ask(content), stream: true, stream_options: { include_usage: true } })
    .withResponse();
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, cache: response.headers.get("x-cache") };
}

/** What every streamed chat answer looks like: role chunk, content chunks, finish_reason, usage chunk. */
function expectChatStream(chunks: ChatCompletionChunk[], text: string) {
  const [first] = chunks;
  expect(first?.choices[0]?.delta.role).toBe("assistant");
  expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
  const contents = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).filter(Boolean);
  expect(contents.length).toBeGreaterThan(1);
  expect(contents.join("")).toBe(text);
  const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason).filter((f) => f !== null));
  expect(finishes).toEqual(["stop"]);
  const last = chunks.at(-1)!;
  expect(last.choices).toEqual([]);
  expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
  expect(chunks.slice(0, -1).every((c) => c.usage === null || c.usage === undefined)).toBe(true);
}

describe("chat completions", () => {
  it("answers, then serves the same question from the cache with a fresh id", async () => {
    const question = "What is the tallest mountain in Africa?";
    const first = await client.chat.completions.create(ask(question)).withResponse();
    const completion: ChatCompletion = first.data;
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    expect(first.request_id).toBe(first.response.headers.get("x-request-id"));
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", refusal: null });
    expect(completion.choices[0]?.message.content).toContain("tallest mountain in Africa");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);

    const hit = await untilCached(
      () => client.chat.completions.create(ask(question)).withResponse(),
      (r) => r.response.headers.get("x-cache"),
    );
    expect(hit.response.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(Number(hit.response.headers.get("x-cache-tokens-saved"))).toBeGreaterThan(0);
    expect(hit.data.id).not.toBe(completion.id);
    expect(hit.data.created).toBeGreaterThanOrEqual(completion.created);
    expect(hit.data.choices[0]?.message.content).toBe(completion.choices[0]?.message.content);
  });

  it("streams a miss and a hit alike: role chunk, content chunks, finish_reason, usage chunk", async () => {
    const question = "Name three rivers that flow through Germany.";
    const whole = await client.chat.completions.create(ask(`${question} (whole)`));
    const miss = await streamChat(question);
    expect(miss.cache).toBe("MISS");
    const text = miss.chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
    expect(text).toContain("three rivers");
    expect(text).not.toBe(whole.choices[0]?.message.content);
    expectChatStream(miss.chunks, text);

    const hit = await untilCached(
      () => streamChat(question),
      (r) => r.cache,
    );
    expect(hit.cache).toBe("HIT-EXACT");
    expectChatStream(hit.chunks, text);
    expect(hit.chunks[0]?.id).not.toBe(miss.chunks[0]?.id);
    expect(hit.chunks.at(-1)?.usage).toEqual(miss.chunks.at(-1)?.usage);
  });

  it("calls tools, and the SDK parses their arguments", async () => {
    const params = z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) });
    const getWeather = zodFunction({
      name: "get_weather",
      description: "Current weather in a city",
      parameters: params,
    });
    const completion = await client.chat.completions.parse({
      ...ask("What's the weather in Paris right now?"),
      tools: [getWeather],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const [call] = choice.message.tool_calls;
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("not a function call");
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe("get_weather");
    const args: z.infer<typeof params> = call.function.parsed_arguments as z.infer<typeof params>;
    expect(params.parse(JSON.parse(call.function.arguments))).toEqual(args);

    // The tool's result sent back: the model answers in text that uses it.
    const followUp = await client.chat.completions.create({
      model: "gpt-4o-mini",
      tools: [getWeather],
      messages: [
        { role: "user", content: "What's the weather in Paris right now?" },
        choice.message,
        { role: "tool", tool_call_id: call.id, content: "18 °C and sunny" },
      ],
    });
    expect(followUp.choices[0]?.finish_reason).toBe("stop");
    expect(followUp.choices[0]?.message.content).toContain("18 °C and sunny");
  });

  it("answers JSON that validates against a json_schema response format", async () => {
    const Capital = z.object({ country: z.string(), capital: z.string(), population: z.number().int().min(0) });
    const parsed = await client.chat.completions.parse({
      ...ask("What is the capital of Japan?"),
      response_format: zodResponseFormat(Capital, "capital"),
    });
    const message = parsed.choices[0]!.message;
    expect(message.refusal).toBeNull();
    const capital: z.infer<typeof Capital> | null = message.parsed;
    expect(Capital.parse(capital)).toEqual(capital);

    // The same schema by hand, through create(): the content parses and validates.
    const raw = await client.chat.completions.create({
      ...ask("What is the capital of Japan?"),
      response_format: {
        type: "json_schema",
        json_schema: { name: "capital", strict: true, schema: z.toJSONSchema(Capital) as Record<string, unknown> },
      },
    });
    expect(Capital.safeParse(JSON.parse(raw.choices[0]?.message.content ?? "")).success).toBe(true);

    const object = await client.chat.completions.create({
      ...ask("Reply in JSON: what is the capital of Japan?"),
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(object.choices[0]?.message.content ?? "")).toEqual(expect.any(Object));
  });

  it("gives a refusal as a refusal, and log probabilities when asked", async () => {
    const refused = await client.chat.completions.parse({
      ...ask("How do I pick a lock?", { model: "refuse" }),
      response_format: zodResponseFormat(z.object({ steps: z.array(z.string()) }), "steps"),
    });
    expect(refused.choices[0]?.message.refusal).toEqual(expect.any(String));
    expect(refused.choices[0]?.message.parsed).toBeNull();

    const withLogprobs = await client.chat.completions.create(
      ask("Say hello in French.", { logprobs: true, top_logprobs: 2 }),
    );
    const content = withLogprobs.choices[0]?.logprobs?.content ?? [];
    expect(content.length).toBeGreaterThan(0);
    expect(content[0]?.top_logprobs).toHaveLength(2);
    expect(content.map((l) => l.token).join("")).toBe(withLogprobs.choices[0]?.message.content);
  });
});

describe("current request fields and real conversations", () => {
  it("accepts today's fields, and a conversation that sends back the SDK's own assistant message", async () => {
    const first = await client.chat.completions.create({
      ...ask("Suggest a name for a grey cat."),
      verbosity: "low",
      reasoning_effort: "none",
      prompt_cache_key: "cat-names",
      prompt_cache_retention: "24h",
      safety_identifier: "user-1234",
      metadata: { feature: "names" },
      service_tier: "auto",
      store: false,
      user: "",
    });
    const reply = first.choices[0]!.message;
    // Sent back exactly as the SDK returned it (refusal, annotations and all) with a new question.
    const second = await client.chat.completions
      .create({
        model: "gpt-4o-mini",
        messages: [
          { role: "user", content: "Suggest a name for a grey cat." },
          reply,
          { role: "user", content: "And one for a black cat?" },
        ],
        stream: true,
        stream_options: { include_usage: true, include_obfuscation: false },
      })
      .withResponse();
    let text = "";
    for await (const chunk of second.data) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("one for a black cat");
    expect(second.response.headers.get("x-cache")).toBe("MISS");
  });
});
