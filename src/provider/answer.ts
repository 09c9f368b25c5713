// Deterministic answers of the local provider: the same request (stream flag and stream options aside) always
// gets the same content; different questions get different content. Token counts are the usual rough
// estimate of four characters per token.
import { canonicalJson } from "../shared/canonical-json";
import { sha256Hex } from "../shared/sha256";
import { type ChatRequest, textOf } from "./request";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Answer {
  content: string;
  finishReason: "stop" | "length";
  usage: Usage;
}

/** What every completion object and chunk of one response share. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

const MAX_RESTATED_CHARS = 200;
const tokens = (chars: number) => Math.ceil(chars / 4);

export async function answerFor(req: ChatRequest): Promise<Answer> {
  const { stream: _stream, stream_options: _options, ...rest } = req.body;
  const fingerprint = (await sha256Hex(canonicalJson(rest))).slice(0, 8);

  const asked = [...req.messages].reverse().find((m) => m.role === "user") ?? req.messages.at(-1);
  const question = textOf(asked?.content).replace(/\s+/g, " ").trim();
  const restated = question.length > MAX_RESTATED_CHARS ? `${question.slice(0, MAX_RESTATED_CHARS - 3)}...` : question;
  let content = `Local answer ${fingerprint}: you asked "${restated}". This deterministic reply comes from Cordon's local provider.`;

  // max_tokens is honoured the way a real model does: the answer is cut and finish_reason says so.
  let finishReason: Answer["finishReason"] = "stop";
  if (req.maxTokens !== null && tokens(content.length) > req.maxTokens) {
    content = content.slice(0, req.maxTokens * 4);
    finishReason = "length";
  }

  const promptTokens = tokens(req.messages.reduce((n, m) => n + textOf(m.content).length, 0));
  const completionTokens = tokens(content.length);
  return {
    content,
    finishReason,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

export function newMeta(model: string): CompletionMeta {
  return {
    id: `chatcmpl-local${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

/** A complete `chat.completion` object. */
export function completionBody(meta: CompletionMeta, answer: Answer) {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: answer.content },
        finish_reason: answer.finishReason,
        logprobs: null,
      },
    ],
    usage: answer.usage,
  };
}
