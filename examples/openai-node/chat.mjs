// The official OpenAI Node SDK (`npm install openai`) with Cordon: only the base URL and the key change.
//   CORDON_BASE_URL=http://demo.localhost:8787/v1 CORDON_API_KEY=cdn_dev_… node examples/openai-node/chat.mjs
import OpenAI from "openai";
import { cordonEnv, say } from "../env.mjs";

const { baseURL, apiKey } = cordonEnv();
const client = new OpenAI({ baseURL, apiKey });
const messages = [{ role: "user", content: "What is the capital of France?" }];

// A chat completion; `.withResponse()` also gives the HTTP response, where Cordon says how the cache answered.
const { data: completion, response } = await client.chat.completions
  .create({ model: "gpt-4o-mini", messages })
  .withResponse();
say("chat", completion.choices[0].message.content);
say("x-cache", response.headers.get("x-cache"));

// The same question again: answered from the cache once the first answer is stored (a moment after it).
const again = await client.chat.completions.create({ model: "gpt-4o-mini", messages }).withResponse();
say("again x-cache", again.response.headers.get("x-cache"));

// Streamed, with the usage chunk at the end.
const stream = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Name three rivers in Europe." }],
  stream: true,
  stream_options: { include_usage: true },
});
let streamed = "";
let usage = null;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta.content ?? "";
  usage = chunk.usage ?? usage;
}
say("stream", streamed);
say("stream usage", `${usage?.prompt_tokens} prompt + ${usage?.completion_tokens} completion tokens`);

// Embeddings (the SDK asks for base64 and decodes it to floats).
const embedding = await client.embeddings.create({ model: "text-embedding-3-small", input: "Paris in spring" });
say("embedding", `${embedding.data[0].embedding.length} dimensions`);

// The Responses API: stateless requests (store: false) are cached like chat completions.
const answer = await client.responses.create({ model: "gpt-4o-mini", input: "What is 2 + 2?", store: false });
say("responses", answer.output_text);

// The models this key may call.
const models = [];
for await (const model of client.models.list()) models.push(model.id);
say("models", models.slice(0, 3).join(", "));
