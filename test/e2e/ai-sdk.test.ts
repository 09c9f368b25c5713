// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) against Cordon under `wrangler dev`, with the provider's default
// settings but for `baseURL` and `apiKey`: `openai("gpt-4o-mini")` speaks the Responses API (the SDK's default
// since v5), `openai.chat(…)` chat completions, `openai.embedding(…)` embeddings. Results are read through the
// SDK's own types (this file is type-checked) and the cache's headers through `response.headers`.
//
// By default the SDK sends no `store`, so OpenAI keeps every response and Cordon passes such a request through
// uncached (x-cache: BYPASS, docs/responses.md); `providerOptions.openai.store: false` (or the chat model) is
// what lets the cache answer.
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import {
  APICallError,
  type EmbedManyResult,
  type EmbedResult,
  embed,
  embedMany,
  type GenerateTextResult,
  generateText,
  RetryError,
  stepCountIs,
  streamText,
  type ToolSet,
  tool,
} from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type SdkTenant, sdkTenant, untilCached } from "./sdk";

let t: SdkTenant;
let openai: OpenAIProvider;

beforeAll(async () => {
  t = await sdkTenant("aisdk");
  openai = createOpenAI({ baseURL: t.baseURL, apiKey: t.key });
});

const cacheOf = (r: { response: { headers?: Record<string, string> } }) => r.response.headers?.["x-cache"] ?? null;
const STATELESS = { openai: { store: false } };

describe("generateText and streamText", () => {
  it("generateText answers with text and usage", async () => {
    const result: GenerateTextResult<ToolSet, never> = await generateText({
      model: openai("gpt-4o-mini"),
      prompt: "What is the boiling point of water at sea level?",
    });
    expect(result.text).toContain("boiling point of water");
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens! + result.usage.outputTokens!);
    expect(result.response.id).toMatch(/^resp_/);
    expect(result.response.modelId).toBe("gpt-4o-mini");
    // The default request is stateful: passed through, never cached.
    expect(cacheOf(result)).toBe("BYPASS");
  });

  it("streamText streams the text generateText gives for the same prompt", async () => {
    const prompt = "Why is the sea salty?";
    const whole = await generateText({ model: openai("gpt-4o-mini"), prompt });
    const streamed = streamText({ model: openai("gpt-4o-mini"), prompt });
    const parts: string[] = [];
    for await (const part of streamed.textStream) parts.push(part);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join("")).toBe(whole.text);
    expect(await streamed.finishReason).toBe("stop");
    expect((await streamed.usage).outputTokens).toBe(whole.usage.outputTokens);
    expect((await streamed.response).headers?.["content-type"]).toMatch(/^text\/event-stream/);
  });

  it("a second identical stateless generateText is served from the cache, in text and in stream", async () => {
    const ask = () =>
      generateText({
        model: openai("gpt-4o-mini"),
        prompt: "How many moons does Mars have?",
        providerOptions: STATELESS,
      });
    const first = await ask();
    expect(cacheOf(first)).toBe("MISS");
    const hit = await untilCached(ask, cacheOf);
    expect(cacheOf(hit)).toBe("HIT-EXACT");
    expect(hit.text).toBe(first.text);
    expect(hit.response.id).not.toBe(first.response.id);

    const streamed = streamText({
      model: openai("gpt-4o-mini"),
      prompt: "How many moons does Mars have?",
      providerOptions: STATELESS,
    });
    let text = "";
    for await (const part of streamed.textStream) text += part;
    expect(text).toBe(first.text);
    expect((await streamed.response).headers?.["x-cache"]).toBe("HIT-EXACT");
  });

  it("the chat completions model is cached with no option at all", async () => {
    const ask = () => generateText({ model: openai.chat("gpt-4o-mini"), prompt: "What colour is a ripe banana?" });
    const first = await ask();
    expect(cacheOf(first)).toBe("MISS");
    const hit = await untilCached(ask, cacheOf);
    expect(hit.text).toBe(first.text);
    expect(hit.usage).toEqual(first.usage);
  });
});

describe("embed and embedMany", () => {
  it("embeds one value and many, the same vectors either way, cached", async () => {
    const model = openai.embedding("text-embedding-3-small");
    const one: EmbedResult = await embed({ model, value: "sunny day at the beach" });
    expect(one.embedding).toHaveLength(1536);
    expect(one.usage.tokens).toBeGreaterThan(0);
    expect(one.response?.headers?.["x-cache"]).toBe("MISS");

    const many: EmbedManyResult = await embedMany({ model, values: ["sunny day at the beach", "rainy night in town"] });
    expect(many.embeddings).toHaveLength(2);
    expect(many.embeddings[0]).toEqual(one.embedding);
    expect(many.embeddings[1]).not.toEqual(one.embedding);
    expect(many.responses?.[0]?.headers?.["x-cache-hits"]).toBe("1/2");

    const again = await embed({ model, value: "sunny day at the beach" });
    expect(again.response?.headers?.["x-cache"]).toBe("HIT-EXACT");
    expect(again.embedding).toEqual(one.embedding);
  });
});

describe("tools", () => {
  it("calls a tool(), feeds its result back and answers with it", async () => {
    const calls: { city: string }[] = [];
    const result = await generateText({
      model: openai("gpt-4o-mini"),
      prompt: "What's the weather in Lisbon today?",
      tools: {
        get_weather: tool({
          description: "Current weather in a city",
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            calls.push({ city });
            return "21 °C and clear";
          },
        }),
      },
      stopWhen: stepCountIs(2),
    });
    expect(calls).toHaveLength(1);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.finishReason).toBe("tool-calls");
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: calls[0] });
    expect(result.steps[0]?.toolResults[0]?.output).toBe("21 °C and clear");
    expect(result.finishReason).toBe("stop");
    expect(result.text).toContain("21 °C and clear");
  });
});

describe("errors", () => {
  it("a 429 is APICallError with statusCode 429, isRetryable, and the Retry-After header", async () => {
    const err = await generateText({ model: openai("error-429"), prompt: "Hello", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(err)).toBe(true);
    const call = err as APICallError;
    expect(call.statusCode).toBe(429);
    expect(call.isRetryable).toBe(true);
    expect(call.responseHeaders?.["retry-after"]).toBe("1");
    expect(call.message).toEqual(expect.any(String));
  });

  it("after the SDK's own retries, a RetryError whose last error is that APICallError", async () => {
    const err = await generateText({ model: openai.chat("error-429"), prompt: "Hello", maxRetries: 1 }).catch(
      (e: unknown) => e,
    );
    expect(RetryError.isInstance(err)).toBe(true);
    const retry = err as RetryError;
    expect(retry.reason).toBe("maxRetriesExceeded");
    expect(retry.errors).toHaveLength(2);
    expect(APICallError.isInstance(retry.lastError) && retry.lastError.statusCode).toBe(429);
  }, 30_000);

  it("a bad key is APICallError 401, not retryable", async () => {
    const bad = createOpenAI({ baseURL: t.baseURL, apiKey: "sk-proj-not-a-cordon-key" });
    const err = await generateText({ model: bad("gpt-4o-mini"), prompt: "Hello" }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(401);
    expect((err as APICallError).isRetryable).toBe(false);
  });
});
