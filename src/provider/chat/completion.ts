// A chat completion as OpenAI shapes it, whole (`chat.completion`) or as SSE chunks (`chat.completion.chunk`).
// The request's fingerprint is a hash of its body without `stream` and `stream_options`; choice i > 0 of an
// n > 1 request gets the fingerprint of (fingerprint, i), so choices differ and each stays deterministic.
import { CHARS_PER_TOKEN, fingerprintOf, Rng, randomId, seedOf, systemFingerprintOf } from "../determinism";
import { MIDSTREAM_ERROR } from "../faults";
import { promptTokensOf, type Reply, replyFor } from "../reply";
import { CHUNK_CHARS, pieces, type SseEvent } from "../sse";
import { logprobsOf, type TokenLogprob } from "./logprobs";
import type { ChatRequest } from "./request";

export interface ChatChoice {
  reply: Reply;
  /** Token logprobs of the text or refusal, when the request asked for them. */
  logprobs: TokenLogprob[] | null;
}

export interface ChatAnswer {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  systemFingerprint: string;
  serviceTier: string;
  choices: ChatChoice[];
  usage: ReturnType<typeof usageOf>;
}

export async function chatFingerprint(req: ChatRequest): Promise<string> {
  const { stream: _stream, stream_options: _options, ...rest } = req.body;
  return fingerprintOf(rest);
}

export async function answerChat(req: ChatRequest, fingerprint: string): Promise<ChatAnswer> {
  const choices: ChatChoice[] = [];
  for (let i = 0; i < req.n; i++) {
    const choiceFingerprint = i === 0 ? fingerprint : await fingerprintOf([fingerprint, i]);
    const reply = await replyFor({ ...req, fingerprint: choiceFingerprint });
    const text = reply.kind === "text" ? reply.text : reply.kind === "refusal" ? reply.refusal : null;
    const logprobs =
      req.topLogprobs !== null && text !== null ? await logprobsOf(text, req.topLogprobs, choiceFingerprint) : null;
    choices.push({ reply, logprobs });
  }
  const completionTokens = choices.reduce((n, c) => n + c.reply.tokens, 0);
  return {
    id: randomId("chatcmpl-"),
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    fingerprint,
    systemFingerprint: await systemFingerprintOf(req.model),
    serviceTier: req.serviceTier,
    choices,
    usage: usageOf(promptTokensOf(req.turns), completionTokens),
  };
}

export function usageOf(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Content chunks hold whole tokens, so each carries the logprobs of its own tokens. */
const TOKENS_PER_CHUNK = CHUNK_CHARS / CHARS_PER_TOKEN;

const finishOf = (reply: Reply) =>
  reply.kind === "text" ? reply.finish : reply.kind === "tool_calls" ? "tool_calls" : "stop";

/** A complete `chat.completion` object. */
export function completionBody(a: ChatAnswer) {
  return {
    id: a.id,
    object: "chat.completion",
    created: a.created,
    model: a.model,
    choices: a.choices.map(({ reply, logprobs }, index) => ({
      index,
      message: {
        role: "assistant",
        content: reply.kind === "text" ? reply.text : null,
        refusal: reply.kind === "refusal" ? reply.refusal : null,
        ...(reply.kind === "tool_calls"
          ? {
              tool_calls: reply.calls.map((c) => ({
                id: c.id,
                type: "function",
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
        annotations: [],
      },
      logprobs: logprobs && {
        content: reply.kind === "text" ? logprobs : null,
        refusal: reply.kind === "refusal" ? logprobs : null,
      },
      finish_reason: finishOf(reply),
    })),
    usage: a.usage,
    service_tier: a.serviceTier,
    system_fingerprint: a.systemFingerprint,
  };
}

/**
 * The SSE events of a streamed answer, as OpenAI sends them: per choice a role chunk, content (or refusal,
 * or tool-call) chunks, a finish chunk; choices interleaved one chunk at a time; then the usage chunk when
 * `include_usage` is set (every other chunk then carries `usage: null`), then `[DONE]`. Every chunk with
 * choices carries `obfuscation` unless `include_obfuscation` is false.
 */
export async function chunkEvents(
  a: ChatAnswer,
  opts: { includeUsage: boolean; includeObfuscation: boolean },
): Promise<SseEvent[]> {
  const rng = new Rng(await seedOf("obfuscation", a.fingerprint));
  const base = {
    id: a.id,
    object: "chat.completion.chunk",
    created: a.created,
    model: a.model,
    service_tier: a.serviceTier,
    system_fingerprint: a.systemFingerprint,
  };
  const chunk = (index: number, delta: object, logprobs: object | null, finish: string | null, content: boolean) => ({
    content,
    data: {
      ...base,
      choices: [{ index, delta, logprobs, finish_reason: finish }],
      ...(opts.includeUsage ? { usage: null } : {}),
      ...(opts.includeObfuscation ? { obfuscation: rng.chars(1 + rng.below(16)) } : {}),
    },
  });
  const perChoice = a.choices.map((choice, index) => choiceChunks(choice, index, chunk));
  const events: SseEvent[] = [];
  for (let round = 0; perChoice.some((list) => round < list.length); round++) {
    for (const list of perChoice) if (round < list.length) events.push(list[round]!);
  }
  if (opts.includeUsage) events.push({ data: { ...base, choices: [], usage: a.usage } });
  events.push({ data: "[DONE]" });
  return events;
}

type ChunkOf = (
  index: number,
  delta: object,
  logprobs: object | null,
  finish: string | null,
  content: boolean,
) => SseEvent;

function choiceChunks({ reply, logprobs }: ChatChoice, index: number, chunk: ChunkOf): SseEvent[] {
  const out: SseEvent[] = [];
  if (reply.kind === "tool_calls") {
    reply.calls.forEach((call, i) => {
      const head = { index: i, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
      const delta =
        i === 0 ? { role: "assistant", content: null, tool_calls: [head], refusal: null } : { tool_calls: [head] };
      out.push(chunk(index, delta, null, null, false));
      for (const part of pieces(call.arguments)) {
        out.push(chunk(index, { tool_calls: [{ index: i, function: { arguments: part } }] }, null, null, true));
      }
    });
  } else {
    const field = reply.kind === "text" ? "content" : "refusal";
    const text = reply.kind === "text" ? reply.text : reply.refusal;
    const first =
      reply.kind === "text"
        ? { role: "assistant", content: "", refusal: null }
        : { role: "assistant", content: null, refusal: "" };
    out.push(chunk(index, first, null, null, false));
    pieces(text).forEach((part, i) => {
      const tokens = logprobs?.slice(i * TOKENS_PER_CHUNK, (i + 1) * TOKENS_PER_CHUNK);
      const lp = tokens
        ? { content: field === "content" ? tokens : null, refusal: field === "refusal" ? tokens : null }
        : null;
      out.push(chunk(index, { [field]: part }, lp, null, true));
    });
  }
  out.push(chunk(index, {}, null, finishOf(reply), false));
  return out;
}

/** The SSE error event of error-after-<k>: OpenAI's error object, named `error`. */
export const chatErrorEvent = (): SseEvent => ({
  event: "error",
  data: {
    error: { message: MIDSTREAM_ERROR.message, type: MIDSTREAM_ERROR.type, param: null, code: MIDSTREAM_ERROR.code },
  },
});
