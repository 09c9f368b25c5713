// Helpers for the local provider's tests: requests to its fetch handler (directly, with an execution context
// so that streams run as they do behind a binding), SSE parsing, and OpenAI-style error checks.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import provider, { type LocalProvider } from "../../src/provider/index";

export const PROVIDER = "http://provider.local";

/** The test Worker's PROVIDER_SERVICE binding, typed with the entrypoint's RPC methods. */
export const binding = () => env.PROVIDER_SERVICE as unknown as Service<LocalProvider>;

/** Sends a request to the provider's fetch handler, as the Workers runtime would. */
export function send(
  method: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
  e: CordonProvider.Env = env,
): Promise<Response> {
  const raw = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const headers: Record<string, string> = raw === undefined ? {} : { "content-type": "application/json" };
  const request = new Request(`${PROVIDER}${path}`, { method, headers, body: raw, ...init });
  return provider.fetch(request, e, createExecutionContext());
}

export const post = (path: string, body: unknown, init: RequestInit = {}, e: CordonProvider.Env = env) =>
  send("POST", path, body, init, e);

/** A successful JSON answer. */
export async function ok<T>(res: Promise<Response> | Response): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

export const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "echo",
  messages: [{ role: "user", content }],
  ...extra,
});

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Checks an OpenAI-style error: status, JSON, the four fields, no stack trace, and `code` unless undefined. */
export async function expectError(res: Response, status: number, code?: string | null): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const text = await res.text();
  expect(text).not.toMatch(/\n\s+at /);
  const parsed = JSON.parse(text) as ErrorBody;
  expect(Object.keys(parsed.error).sort()).toEqual(["code", "message", "param", "type"]);
  if (code !== undefined) expect(parsed.error.code).toBe(code);
  expect(typeof parsed.error.message).toBe("string");
  return parsed;
}

export interface SseMessage {
  event: string | null;
  data: string;
}

/** The events of an SSE text (comments skipped), by the rules of the SSE format. */
export function sseMessages(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  // What follows the last blank line is an event that never ended: discarded, as SSE clients do.
  for (const block of text.split("\n\n").slice(0, -1)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length) out.push({ event, data: data.join("\n") });
  }
  return out;
}

/** The JSON chunks of a chat stream that ended with [DONE]. */
export function chatChunks<T = Chunk>(text: string): T[] {
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  const messages = sseMessages(text);
  expect(messages.pop()!.data).toBe("[DONE]");
  return messages.map((m) => JSON.parse(m.data) as T);
}

/** Reads a stream to its end or its error, keeping what arrived before an error. */
export async function drain(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read())
      text += decoder.decode(r.value, { stream: true });
    return { text, error: null };
  } catch (error) {
    return { text, error };
  }
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: Record<string, number>;
}

export interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

export interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: string;
      content: string | null;
      refusal: string | null;
      tool_calls?: ToolCall[];
      annotations: unknown[];
    };
    finish_reason: string;
    logprobs: { content: TokenLogprob[] | null; refusal: TokenLogprob[] | null } | null;
  }[];
  usage: Usage;
  service_tier: string;
  system_fingerprint: string;
}

export interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  service_tier: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      refusal?: string | null;
      tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments?: string } }[];
    };
    logprobs: { content: TokenLogprob[] | null; refusal: TokenLogprob[] | null } | null;
    finish_reason: string | null;
  }[];
  usage?: Usage | null;
  obfuscation?: string;
}

/** The content of choice `index` of a chat stream, joined. */
export const streamedContent = (chunks: Chunk[], index = 0) =>
  chunks
    .flatMap((c) => c.choices)
    .filter((c) => c.index === index)
    .map((c) => c.delta.content ?? "")
    .join("");
