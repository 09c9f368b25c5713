// The OpenAI chat-completions request, validated where Cordon interprets it — the model, the messages' roles,
// names and content parts, stream and stream options, `n`, `user` — and passed through unchanged everywhere
// else: a field Cordon does not know (a new OpenAI parameter) is neither refused nor dropped, and it is part of
// the cache partition (cache/plan.ts), so it can never make two different requests share an answer. Sizes and
// nesting are bounded by the body reader (http/respond.ts) before this schema runs.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";
import { normalizeBounded } from "../text/normalize";

const TextPart = z.looseObject({ type: z.literal("text"), text: z.string().max(1_000_000) });
// Non-text parts (images, audio, files) are forwarded as they are; such requests bypass the cache.
const OtherPart = z.looseObject({ type: z.string().min(1).max(64) }).refine((p) => p.type !== "text", {
  message: "text parts need a string 'text'",
});
const Content = z.union([z.string().max(1_000_000), z.array(z.union([TextPart, OtherPart])).max(256), z.null()]);

/** The roles OpenAI accepts; each message's other fields (tool_calls, refusal, annotations, audio…) pass. */
export const MESSAGE_ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;

const Message = z.looseObject({
  role: z.enum(MESSAGE_ROLES),
  content: Content.optional(),
  name: z.string().max(256).optional(),
});

/**
 * OpenAI's end-user id (`user`): at most 256 characters, counted as OpenAI counts them, in code points, once in
 * NFC (as the cache compares users); 256 emoji are 512 UTF-16 units.
 */
export const EndUserSchema = z
  .string()
  .max(4096)
  .refine((s) => [...normalizeBounded(s, "NFC")].length <= 256, { message: "it must be at most 256 characters" });

export const ChatRequestSchema = z
  .looseObject({
    model: ModelNameSchema,
    messages: z.array(Message).min(1).max(2048),
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    n: z.number().int().min(1).max(128).nullable().optional(),
    /** OpenAI's end-user id; it narrows the cache scope to that user (an empty string names none). */
    user: EndUserSchema.optional(),
  })
  .refine((r) => r.stream_options === undefined || r.stream_options === null || r.stream === true, {
    // As OpenAI refuses it, whatever the cache holds: a hit must not accept a request a miss would pass on refused.
    path: ["stream_options"],
    message: "it is only allowed when stream is true",
  });

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = ChatRequest["messages"][number];

/** The part of a provider's chat.completion that Cordon reads; other fields pass through untouched. */
export const ChatCompletionSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().optional(),
        message: z.looseObject({ role: z.string(), content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .looseObject({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() })
    .nullable()
    .optional(),
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

/** Whether an upstream answer may be stored: one plain-text choice that ended normally. */
export function isStorable(c: ChatCompletion): boolean {
  if (c.choices.length !== 1) return false;
  const choice = c.choices[0]!;
  const content = choice.message.content;
  if (typeof content !== "string" || content === "") return false;
  if ("tool_calls" in choice.message && choice.message.tool_calls) return false;
  return choice.finish_reason === "stop" || choice.finish_reason === "length";
}
