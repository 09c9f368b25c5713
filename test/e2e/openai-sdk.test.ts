// The official `openai` SDK against Cordon under `wrangler dev`, configured as a user would: `baseURL` and
// `apiKey`, nothing else. Every answer is read through the SDK's own types (this file is type-checked), and the
// cache's headers through `.withResponse()`. Errors, aborts and retries: openai-sdk-errors.test.ts.
import OpenAI, { NotFoundError } from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from "openai/resources";
import type { Response as OpenAIResponse, ResponseStreamEvent } from "openai/resources/responses/responses";
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

describe("embeddings", () => {
  it("decodes the SDK's default base64 to the floats of encoding_format float, and caches them", async () => {
    const input = ["The quick brown fox", "jumps over the lazy dog"];
    const model = "text-embedding-3-small";
    const asBase64 = await client.embeddings.create({ model, input }).withResponse();
    expect(asBase64.response.headers.get("x-cache")).toBe("MISS");
    const asFloat = await client.embeddings.create({ model, input, encoding_format: "float" }).withResponse();
    expect(asFloat.response.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(asBase64.data.data.map((d) => d.index)).toEqual([0, 1]);
    for (const [i, d] of asBase64.data.data.entries()) {
      expect(d.embedding).toHaveLength(1536);
      expect(d.embedding).toEqual(asFloat.data.data[i]?.embedding);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    }
    expect(asBase64.data.usage.prompt_tokens).toBeGreaterThan(0);

    const single = await client.embeddings.create({ model, input: "The quick brown fox", dimensions: 256 });
    expect(single.data[0]?.embedding).toHaveLength(256);
  });
});

describe("responses", () => {
  const request = (input: string) => ({ model: "gpt-4o-mini", input, store: false });

  it("creates a stateless response, then serves it from the cache", async () => {
    const input = "Describe the colour of the sky at noon.";
    const first = await client.responses.create(request(input)).withResponse();
    const response: OpenAIResponse = first.data;
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    expect(response.status).toBe("completed");
    expect(response.output_text).toContain("colour of the sky");
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const hit = await untilCached(
      () => client.responses.create(request(input)).withResponse(),
      (r) => r.response.headers.get("x-cache"),
    );
    expect(hit.data.id).not.toBe(response.id);
    expect(hit.data.output_text).toBe(response.output_text);
  });

  it("streams events, by create({stream: true}) and by responses.stream()", async () => {
    const input = "Explain why leaves change colour in autumn.";
    const events: ResponseStreamEvent[] = [];
    for await (const event of await client.responses.create({ ...request(input), stream: true })) events.push(event);
    expect(events[0]?.type).toBe("response.created");
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    expect(deltas.length).toBeGreaterThan(1);

    const stream = client.responses.stream(request(input));
    let streamed = "";
    stream.on("response.output_text.delta", (e) => {
      streamed += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(deltas.join(""));
    expect(streamed).toBe(final.output_text);
  });

  it("passes a stateful response through, uncached", async () => {
    const { response } = await client.responses.create({ model: "gpt-4o-mini", input: "Hello there" }).withResponse();
    expect(response.headers.get("x-cache")).toBe("BYPASS");
  });
});

describe("models", () => {
  it("lists and retrieves models; an unknown one is NotFoundError", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o-mini", "text-embedding-3-small"]));
    const model = await client.models.retrieve("gpt-4o-mini");
    expect(model).toMatchObject({ id: "gpt-4o-mini", object: "model", owned_by: expect.any(String) });
    const missing = await client.models.retrieve("gpt-0-nonexistent").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).code).toBe("model_not_found");
  });
});
