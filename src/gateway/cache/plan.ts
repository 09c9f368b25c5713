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
/** `n` is out too: only a request for one choice (`n` 1, null or absent, all the same request) is cached. */
const NOT_IN_PARTITION = new Set(["messages", "n", ...ANSWER_NEUTRAL_FIELDS]);

/**
 * Exact tier: prose Unicode-normalised (NFC), each line trimmed and runs of white space folded, lines joined; code
 * blocks kept exactly, not normalised either (indentation changes what code means, and so does NFC: 'e\u0301' is
 * two characters to any language, 'é' one). Case and punctuation are kept. A prose line indented further than
 * the least indented line of its paragraph keeps its line break and that indentation: code pasted without a
 * fence ("def f(x):" then indented lines) means something else when its lines are indented otherwise.
 */
export function exactText(text: string): string {
  return segments(text)
    .map((s) => {
      if (s.code) return s.text;
      let out = "";
      for (const { indent, words } of proseLines(normalizeBounded(s.text, "NFC"))) {
        out += indent !== "" ? `\n${indent}${words}` : out === "" ? words : ` ${words}`;
      }
      return out.replace(/^\n/, "");
    })
    .filter((t) => t !== "")
    .join("\n");
}

/**
 * What the cache reads of a prompt, from one reading of its code blocks: its prose (code blocks removed), which is
 * all the semantic tier compares; its code blocks, exactly (not normalised), which must match for two prompts to
 * share an answer; and the indentation of its prose lines, one entry per non-blank line, relative to its
 * paragraph's least indented line (null when no line is indented) — in the partition, so that the semantic tier,
 * which compares words only, never serves code pasted without a fence to the same code indented otherwise.
 */
export function promptParts(text: string): { prose: string; code: string[]; indent: string[] | null } {
  const segs = segments(text);
  const prose = segs.filter((s) => !s.code).map((s) => s.text);
  const indents = prose.flatMap((p) => proseLines(p).map((l) => l.indent));
  return {
    prose: prose.join("\n"),
    code: segs.filter((s) => s.code).map((s) => s.text),
    indent: indents.some((i) => i !== "") ? indents : null,
  };
}

/** The prose of a prompt (promptParts). */
export const proseOf = (text: string): string => promptParts(text).prose;

/** The indentation of a prompt's prose lines (promptParts). */
export const proseIndentation = (text: string): string[] | null => promptParts(text).indent;

/**
 * A prose segment's non-blank lines: each one's words (white space folded) and its indentation (spaces and tabs,
 * as sent) beyond the paragraph's least indented line — the common leading white space of a paragraph's lines,
 * so that a paragraph indented as a whole, or a single line, is indented by nothing.
 */
function proseLines(text: string): { indent: string; words: string }[] {
  const out: { indent: string; words: string }[] = [];
  // Paragraphs end at a blank line: one of white space only, of any kind (as code-blocks.ts reads blank lines).
  for (const paragraph of text.split(/\n[^\S\n]*(?:\n|$)/)) {
    const lines = paragraph.split("\n").filter((l) => l.trim() !== "");
    const leads = lines.map((l) => /^[ \t]*/.exec(l)![0]);
    // The common prefix, compared a character at a time: linear in the indentation, however long.
    const first = leads[0] ?? "";
    let common = first.length;
    for (const lead of leads) {
      let k = 0;
      while (k < common && lead[k] === first[k]) k++;
      common = k;
    }
    lines.forEach((line, i) => {
      out.push({ indent: leads[i]!.slice(common), words: line.replace(/\s+/g, " ").trim() });
    });
  }
  return out;
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
  const { prose, code, indent } = promptParts(prompt);
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
    partition: partitionOf(rest, {
      messages: earlier,
      last: lastFields,
      code,
      ...(parts ? { parts } : {}),
      ...(indent ? { indent } : {}),
    }),
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
