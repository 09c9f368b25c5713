// What a request means to the cache. The semantic tier compares only the last user message; everything else
// that changes the answer — model, system prompt, earlier turns, tools, response format, sampling parameters —
// forms the partition, which must match exactly.
import { canonicalJson } from "../../shared/canonical-json";
import type { ChatMessage, ChatRequest } from "../protocol/chat";
import { semanticText } from "./semantic-text";

/** Request fields that do not change the answer, and so stay out of the partition. */
const NOT_IN_PARTITION = new Set(["messages", "stream", "stream_options", "user", "metadata", "store", "service_tier"]);

/** Exact tier: Unicode-normalised, trimmed, runs of white space folded. Case and punctuation are kept. */
export function exactText(text: string): string {
  return text.normalize("NFC").trim().replace(/\s+/g, " ");
}

export interface ChatCachePlan {
  cacheable: true;
  /** Original text of the last user message. */
  prompt: string;
  /** All that must match exactly for two requests to share an answer. */
  partition: string;
}

/** Decides whether a chat request can use the cache, and what its prompt and partition are. */
export function planChat(req: ChatRequest): ChatCachePlan | { cacheable: false; reason: string } {
  const last = req.messages[req.messages.length - 1];
  if (last?.role !== "user") return { cacheable: false, reason: "last_message_not_user" };
  const prompt = textOf(last);
  if (prompt === null) return { cacheable: false, reason: "non_text_content" };
  if (semanticText(prompt) === "") return { cacheable: false, reason: "empty_prompt" };
  if ((req.n ?? 1) !== 1) return { cacheable: false, reason: "multiple_choices" };

  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) if (!NOT_IN_PARTITION.has(k)) rest[k] = v;
  const earlier = req.messages.slice(0, -1).map((m) => ({ ...m, content: normaliseContent(m.content) }));
  return { cacheable: true, prompt, partition: canonicalJson({ ...rest, messages: earlier }) };
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
