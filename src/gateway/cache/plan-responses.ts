// What a stateless Responses API request means to the cache (stateful ones never reach it: see
// protocol/responses.ts, isStateless). As for chat (plan.ts), the prompt is the text of the last user input — a
// string input, or the last item when it is a user message of text — and everything else that can change the
// answer is the partition, which must match exactly: the model, instructions, earlier items, the last
// message's other fields and its parts' other fields, its code blocks, tools, tool_choice, text (format,
// verbosity), reasoning, sampling, max_output_tokens, include, truncation, prompt templates and every field
// Cordon does not know. A prompt template named without its version bypasses the cache (its text can change at
// the provider under the same id).
//
// A string input and a one-message list holding the same text are the same request (OpenAI reads the string as
// that message), and `type: "message"` on an item is implied by its role; both are normalised away.
//
// Chat and Responses entries never meet: a Responses partition starts with RESPONSES_PARTITION_MARK, which no
// chat partition (canonical JSON, starting with "{") can; entries also record which API they answer
// (cache/entries.ts), and a read of the other kind finds nothing.
import { isMessageItem, type ResponsesItem, type ResponsesMessage, type ResponsesRequest } from "../protocol/responses";
import { semanticText } from "../text/semantic-text";
import { ANSWER_NEUTRAL_FIELDS, type ChatCachePlan, exactText, partFields, partitionOf, promptParts } from "./plan";

/**
 * Responses request fields known not to change the answer, and so left out of the partition — chat's
 * answer-neutral fields (plan.ts, ANSWER_NEUTRAL_FIELDS: how the answer is delivered, who asks and for what
 * bookkeeping, which processing tier serves it) and the fields that make a request stateful, which every
 * cached request has unset, false or null (store, previous_response_id, conversation, background). Everything
 * else — known or not — is in the partition; in particular `include` is (it asks for more of the answer:
 * logprobs, encrypted reasoning, tool sources), and so are `truncation`, `prompt` and `max_tool_calls`.
 * (`input` is split into the prompt and the partition below.)
 */
export const RESPONSES_ANSWER_NEUTRAL_FIELDS: readonly string[] = [
  ...ANSWER_NEUTRAL_FIELDS,
  "previous_response_id",
  "conversation",
  "background",
];
const NOT_IN_PARTITION = new Set(["input", ...RESPONSES_ANSWER_NEUTRAL_FIELDS]);

/** Prefix of every Responses partition: never the start of a chat partition (canonical JSON). */
export const RESPONSES_PARTITION_MARK = "responses/v1\n";

/** Decides whether a stateless Responses request can use the cache, and what its prompt and partition are. */
export function planResponses(req: ResponsesRequest): ChatCachePlan | { cacheable: false; reason: string } {
  // A stored prompt template named without its version is the version current at the provider when asked: the
  // partition holds its id, not its text, so once the template's owner publishes another version the same
  // request means something else, and an entry would go on answering it with the old one.
  if (unversionedPrompt(req.prompt)) return { cacheable: false, reason: "prompt_unversioned" };
  if (req.input === undefined) return { cacheable: false, reason: "last_item_not_user" };
  const items: readonly ResponsesItem[] =
    typeof req.input === "string" ? [{ role: "user", content: req.input }] : req.input;
  const last = items[items.length - 1];
  if (!last || !isMessageItem(last) || last.role !== "user") return { cacheable: false, reason: "last_item_not_user" };
  const prompt = userText(last.content);
  if (prompt === null) return { cacheable: false, reason: "non_text_content" };
  const { prose, code, indent } = promptParts(prompt);
  if (semanticText(prose) === "" && code.length === 0) return { cacheable: false, reason: "empty_prompt" };

  // Copied as data (fromEntries), so that no key — "__proto__" included — can slip out of the partition.
  const rest = Object.fromEntries(Object.entries(req).filter(([k]) => !NOT_IN_PARTITION.has(k)));
  const earlier = items.slice(0, -1).map(normaliseItem);
  const { content: _content, type: _type, ...lastFields } = last;
  const parts = partFields(last.content);
  return {
    cacheable: true,
    prompt,
    prose,
    partition:
      RESPONSES_PARTITION_MARK +
      partitionOf(rest, {
        input: earlier,
        last: lastFields,
        code,
        ...(parts ? { parts } : {}),
        ...(indent ? { indent } : {}),
      }),
  };
}

/** Whether `prompt` names a stored template without pinning its version (null, absent or empty). */
function unversionedPrompt(prompt: unknown): boolean {
  if (prompt === null || typeof prompt !== "object") return false;
  const version = (prompt as { version?: unknown }).version;
  return version === undefined || version === null || version === "";
}

/** Text of a user message: a string, or input_text parts only (joined by "\n"); null for images, files, audio. */
function userText(content: ResponsesMessage["content"]): string | null {
  if (typeof content === "string") return content;
  const parts: string[] = [];
  for (const p of content) {
    if (p.type !== "input_text" || typeof p.text !== "string") return null;
    parts.push(p.text);
  }
  return parts.join("\n");
}

/** An earlier item as the partition holds it: messages without the implied type, string contents folded. */
function normaliseItem(item: ResponsesItem): unknown {
  if (!isMessageItem(item)) return item;
  const { type: _type, ...message } = item;
  return typeof message.content === "string" ? { ...message, content: exactText(message.content) } : message;
}
