// The OpenAI chat-completions request Cordon accepts. Unknown top-level fields are refused (400) rather than
// silently forwarded or dropped: a field the cache does not know could change the answer without changing
// the partition.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";

const TextPart = z.strictObject({ type: z.literal("text"), text: z.string().max(1_000_000) });
// Non-text parts (images, audio, files) are forwarded as they are; such requests bypass the cache.
const OtherPart = z.looseObject({ type: z.string().min(1).max(64) }).refine((p) => p.type !== "text", {
  message: "text parts need a string 'text'",
});
const Content = z.union([
  z.string().max(1_000_000),
  z
    .array(z.union([TextPart, OtherPart]))
    .min(1)
    .max(256),
  z.null(),
]);

const ToolCall = z.looseObject({
  id: z.string().max(256),
  type: z.string().max(64),
  function: z.looseObject({ name: z.string().max(256), arguments: z.string().max(1_000_000) }),
});

const Message = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Content.optional(),
  name: z.string().max(256).optional(),
  tool_calls: z.array(ToolCall).max(128).optional(),
  tool_call_id: z.string().max(256).optional(),
  refusal: z.string().max(100_000).nullable().optional(),
  function_call: z.looseObject({}).optional(),
  audio: z.looseObject({}).nullable().optional(),
});

const json = z.record(z.string(), z.unknown());

export const ChatRequestSchema = z.strictObject({
  model: ModelNameSchema,
  messages: z.array(Message).min(1).max(2048),
  stream: z.boolean().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(16).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  stop: z
    .union([z.string().max(256), z.array(z.string().max(256)).max(4)])
    .nullable()
    .optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  tools: z.array(json).max(128).optional(),
  tool_choice: z.union([z.string().max(64), json]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  functions: z.array(json).max(128).optional(),
  function_call: z.union([z.string().max(64), json]).optional(),
  response_format: json.optional(),
  reasoning_effort: z.enum(["minimal", "low", "medium", "high"]).nullable().optional(),
  modalities: z.array(z.string().max(32)).max(8).nullable().optional(),
  audio: json.nullable().optional(),
  prediction: json.nullable().optional(),
  web_search_options: json.optional(),
  user: z.string().min(1).max(256).optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
  store: z.boolean().nullable().optional(),
  service_tier: z.string().max(32).nullable().optional(),
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
