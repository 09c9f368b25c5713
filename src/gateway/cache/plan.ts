// What a request means to the cache. The semantic tier compares only the prose of the last user message;
// everything else that changes the answer — model, system prompt, earlier turns, the last message's other
// fields (its `name`) and its content parts' other fields, code blocks of the last message, tools, response
// format, sampling parameters — forms the partition, which must match exactly.
import { canonicalJson } from "../../shared/canonical-json";
import type { ChatMessage, ChatRequest } from "../protocol/chat";
import { normalizeBounded } from "../text/normalize";
import { semanticText } from "../text/semantic-text";
import { segments } from "./code-blocks";

/**
 * Request fields known not to change the answer, and so left out of the partition: how the answer is delivered
 * (stream, stream_options), who asks and for what bookkeeping (user, safety_identifier, metadata, store,
 * prompt_cache_key, prompt_cache_retention), and which processing tier serves it (service_tier). Every other
 * field — known or not — is in the partition. (`messages` is split into the prompt and the partition below.)
 * The Responses API's list, these and the fields of stateful requests, is in plan-responses.ts.
 */
export const ANSWER_NEUTRAL_FIELDS: readonly string[] = [
  "stream",
  "stream_options",
  "user",
  "safety_identifier",
  "metadata",
  "store",
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier",
];
const NOT_IN_PARTITION = new Set(["messages", ...ANSWER_NEUTRAL_FIELDS]);

/**
 * Exact tier: prose Unicode-normalised (NFC), each line trimmed and runs of white space folded; code blocks kept
 * exactly, not normalised either (indentation changes what code means, and so does NFC: 'e\u0301' is two
 * characters to any language, 'é' one). Case and punctuation are kept.
 */
export function exactText(text: string): string {
  return segments(text)
    .map((s) => (s.code ? s.text : normalizeBounded(s.text, "NFC").replace(/\s+/g, " ").trim()))
    .filter((t) => t !== "")
    .join("\n");
}

/** The prose of a prompt (code blocks removed), which is all the semantic tier compares. */
export function proseOf(text: string): string {
  return segments(text)
    .filter((s) => !s.code)
    .map((s) => s.text)
    .join("\n");
}

/** The code blocks of a prompt, exactly (not normalised); they must match for two prompts to share an answer. */
export function codeOf(text: string): string[] {
  return segments(text)
    .filter((s) => s.code)
    .map((s) => s.text);
}

export interface ChatCachePlan {
  cacheable: true;
  /** Original text of the last user message. */
  prompt: string;
  /** The prose of the prompt, which the semantic tier embeds (empty when the prompt is only code). */
  prose: string;
  /** All that must match exactly for two requests to share an answer. */
  partition: string;
}

/** Decides whether a chat request can use the cache, and what its prompt and partition are. */
export function planChat(req: ChatRequest): ChatCachePlan | { cacheable: false; reason: string } {
  const last = req.messages[req.messages.length - 1];
  if (last?.role !== "user") return { cacheable: false, reason: "last_message_not_user" };
  const prompt = textOf(last);
  if (prompt === null) return { cacheable: false, reason: "non_text_content" };
  if ((req.n ?? 1) !== 1) return { cacheable: false, reason: "multiple_choices" };
  const prose = proseOf(prompt);
  const code = codeOf(prompt);
  if (semanticText(prose) === "" && code.length === 0) return { cacheable: false, reason: "empty_prompt" };

  // Copied as data (fromEntries), so that no key — "__proto__" included — can slip out of the partition.
  const rest = Object.fromEntries(Object.entries(req).filter(([k]) => !NOT_IN_PARTITION.has(k)));
  const earlier = req.messages.slice(0, -1).map((m) => ({ ...m, content: normaliseContent(m.content) }));
  const { content: _content, ...lastFields } = last;
  const parts = partFields(last.content);
  return {
    cacheable: true,
    prompt,
    prose,
    partition: partitionOf(rest, { messages: earlier, last: lastFields, code, ...(parts ? { parts } : {}) }),
  };
}

/**
 * The fields of the prompt's content parts other than their type and text (the prompt holds those), one object
 * per part; null when no part has any, so that plain text parts are the same request as a string content. A
 * field Cordon does not know on a part is passed on to the provider, and so must partition the cache.
 */
export function partFields(content: unknown): Record<string, unknown>[] | null {
  if (!Array.isArray(content)) return null;
  const fields = content.map((p: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(p).filter(([k]) => k !== "type" && k !== "text")),
  );
  return fields.some((f) => Object.keys(f).length > 0) ? fields : null;
}

/**
 * The partition: the request's own fields and the parts derived from its messages, each under its own key, so
 * that no field a client sends (one called `last` or `code`) can stand in for a derived part, or the reverse.
 */
export function partitionOf(fields: Record<string, unknown>, derived: Record<string, unknown>): string {
  return canonicalJson({ fields, derived });
}

/** Text of a message whose content is a string or text parts only; null for images, audio, files. */
export function textOf(m: ChatMessage): string | null {
  if (typeof m.content === "string") return m.content;
  if (!Array.isArray(m.content)) return null;
  const parts: string[] = [];
  for (const p of m.content) {
    if (p.type !== "text" || typeof p.text !== "string") return null;
    parts.push(p.text);
  }
  return parts.join("\n");
}

function normaliseContent(content: ChatMessage["content"]): unknown {
  if (typeof content === "string") return exactText(content);
  return content;
}
