// The Vercel AI SDK (`npm install ai @ai-sdk/openai`) with Cordon: only the base URL and the key change.
//   CORDON_BASE_URL=http://demo.localhost:8787/v1 CORDON_API_KEY=cdn_dev_… node examples/ai-sdk/generate.mjs
//
// `openai("…")` uses the Responses API. The SDK sends no `store`, so OpenAI would keep the response and Cordon
// passes such a request through uncached (x-cache: BYPASS); `providerOptions.openai.store: false` makes it
// stateless and cacheable. `openai.chat("…")` (chat completions) is cached as it is.
import { createOpenAI } from "@ai-sdk/openai";
import { embed, generateText, streamText } from "ai";
import { cordonEnv, say } from "../env.mjs";

const { baseURL, apiKey } = cordonEnv();
const openai = createOpenAI({ baseURL, apiKey });
const stateless = { openai: { store: false } };

const text = await generateText({
  model: openai("gpt-4o-mini"),
  prompt: "What is the capital of France?",
  providerOptions: stateless,
});
say("generateText", text.text);
say("usage", `${text.usage.inputTokens} input + ${text.usage.outputTokens} output tokens`);
say("x-cache", text.response.headers?.["x-cache"]);

const stream = streamText({ model: openai("gpt-4o-mini"), prompt: "Name three rivers in Europe." });
let streamed = "";
for await (const part of stream.textStream) streamed += part;
say("streamText", streamed);
say("finishReason", await stream.finishReason);

const chat = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "What is the capital of France?" });
say("chat model", chat.text);

const { embedding } = await embed({ model: openai.embedding("text-embedding-3-small"), value: "Paris in spring" });
say("embedding", `${embedding.length} dimensions`);
