// LangChain JS (`npm install @langchain/openai @langchain/core`) with Cordon: the base URL goes in
// `configuration`, as for any OpenAI-compatible endpoint.
//   CORDON_BASE_URL=http://demo.localhost:8787/v1 CORDON_API_KEY=cdn_dev_… node examples/langchain/chat.mjs
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { cordonEnv, say } from "../env.mjs";

const { baseURL, apiKey } = cordonEnv();
const configuration = { baseURL };

const chat = new ChatOpenAI({ model: "gpt-4o-mini", apiKey, configuration });
const message = await chat.invoke("What is the capital of France?");
say("invoke", message.content);
say("usage", `${message.usage_metadata?.input_tokens} input + ${message.usage_metadata?.output_tokens} output tokens`);

let streamed = "";
for await (const chunk of await chat.stream("Name three rivers in Europe.")) streamed += chunk.content;
say("stream", streamed);

const embeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", apiKey, configuration });
const vector = await embeddings.embedQuery("Paris in spring");
say("embedQuery", `${vector.length} dimensions`);
const vectors = await embeddings.embedDocuments(["Paris in spring", "Rome in autumn"]);
say("embedDocuments", `${vectors.length} vectors of ${vectors[0].length} dimensions`);
