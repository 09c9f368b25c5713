// The chat-completions body the local provider accepts: strict about the fields it reads (a malformed one gets
// OpenAI's 400 naming the parameter), loose about the rest (clients send many; they pass unread).
import * as z from "zod";
import { invalidRequest, parseWith } from "../http";
import type { OutputFormat, Turn } from "../reply";
import type { ToolChoice, ToolSpec } from "../tools";

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const JsonObject = z.record(z.string(), z.unknown());

const ContentPart = z
  .looseObject({ type: z.string().min(1), text: z.string().optional() })
  .refine((p) => p.type !== "text" || typeof p.text === "string", { message: "a text part needs a string `text`." });
const Content = z.union([z.string(), z.array(ContentPart), z.null()]);

const MessageToolCall = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }).optional(),
});

const Message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Content.optional(),
  name: z.string().optional(),
  tool_calls: z.array(MessageToolCall).nullable().optional(),
  tool_call_id: z.string().optional(),
});

const FunctionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(TOOL_NAME, "must be 1–64 letters, digits, underscores or dashes."),
    description: z.string().optional(),
    parameters: JsonObject.optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
/** Custom (free-form) tools are accepted and never called. */
const CustomTool = z.looseObject({ type: z.literal("custom"), custom: z.looseObject({ name: z.string() }) });

const NamedFunction = z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) });
const ToolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  NamedFunction,
  z.looseObject({
    type: z.literal("allowed_tools"),
    allowed_tools: z.looseObject({ mode: z.enum(["auto", "required"]), tools: z.array(NamedFunction) }),
  }),
]);

const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().regex(TOOL_NAME, "must be 1–64 letters, digits, underscores or dashes."),
      description: z.string().optional(),
      schema: JsonObject.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

const positiveInt = z.int().min(1).nullable().optional();

const ChatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z
    .looseObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
    .nullable()
    .optional(),
  n: z.int().min(1).max(128).nullable().optional(),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
  tools: z.array(z.union([FunctionTool, CustomTool])).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  response_format: ResponseFormat.optional(),
  service_tier: z.string().nullable().optional(),
});

export interface ChatRequest {
  model: string;
  turns: Turn[];
  stream: boolean;
  includeUsage: boolean;
  includeObfuscation: boolean;
  n: number;
  /** max_completion_tokens, else max_tokens, else null. */
  maxTokens: number | null;
  /** null without `logprobs: true`; else the number of alternatives per token. */
  topLogprobs: number | null;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  format: OutputFormat;
  serviceTier: string;
  /** The body as received, for the fingerprint. */
  body: Record<string, unknown>;
}

export function parseChatRequest(body: Record<string, unknown>): ChatRequest {
  const b = parseWith(ChatBody, body);
  if (b.stream_options != null && b.stream !== true) {
    throw invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
  }
  if (b.top_logprobs != null && b.logprobs !== true) {
    throw invalidRequest("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
  }
  const tools: ToolSpec[] = (b.tools ?? []).flatMap((t) =>
    t.type === "function"
      ? [
          {
            name: t.function.name,
            description: t.function.description ?? "",
            parameters: t.function.parameters ?? null,
          },
        ]
      : [],
  );
  return {
    model: b.model,
    turns: turnsOf(b.messages),
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
    includeObfuscation: b.stream_options?.include_obfuscation !== false,
    n: b.n ?? 1,
    maxTokens: b.max_completion_tokens ?? b.max_tokens ?? null,
    topLogprobs: b.logprobs === true ? (b.top_logprobs ?? 0) : null,
    tools,
    toolChoice: toolChoiceOf(b.tool_choice, b.tools !== undefined, tools),
    parallelToolCalls: b.parallel_tool_calls !== false,
    format: formatOf(b.response_format, b.messages),
    serviceTier: servedTier(b.service_tier),
    body,
  };
}

type Messages = z.infer<typeof ChatBody>["messages"];

/** The conversation as turns; a tool result is named after the call it answers, and must answer one. */
function turnsOf(messages: Messages): Turn[] {
  const callNames = new Map<string, string>();
  return messages.map((m, i) => {
    for (const call of m.tool_calls ?? []) callNames.set(call.id, call.function?.name ?? "");
    if (m.role === "tool") {
      if (m.tool_call_id === undefined) {
        throw invalidRequest(
          `Missing required parameter: 'messages[${i}].tool_call_id'.`,
          `messages[${i}].tool_call_id`,
          "missing_required_parameter",
        );
      }
      if (!callNames.has(m.tool_call_id)) {
        throw invalidRequest(
          "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.",
          `messages[${i}].role`,
        );
      }
      return { role: "tool", text: textOf(m.content), toolName: callNames.get(m.tool_call_id) || null };
    }
    const role = m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role;
    return { role, text: textOf(m.content) };
  });
}

/** The text of a message's content: the string itself, or its text parts joined by newlines. */
export function textOf(content: Messages[number]["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.flatMap((p) => (p.type === "text" && typeof p.text === "string" ? [p.text] : [])).join("\n");
}

function toolChoiceOf(raw: z.infer<typeof ToolChoiceSchema> | undefined, hasTools: boolean, tools: ToolSpec[]) {
  if (raw === undefined) return { mode: hasTools ? "auto" : "none", allowed: null } as const;
  if (!hasTools) {
    throw invalidRequest(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      "tool_choice",
    );
  }
  if (typeof raw === "string") return { mode: raw, allowed: null } as const;
  const known = (name: string, param: string) => {
    if (!tools.some((t) => t.name === name)) {
      throw invalidRequest(`Invalid value for '${param}': no function named '${name}' in 'tools'.`, param);
    }
    return name;
  };
  if (raw.type === "function")
    return { mode: "named", name: known(raw.function.name, "tool_choice.function.name") } as const;
  const allowed = raw.allowed_tools.tools.map((t, i) =>
    known(t.function.name, `tool_choice.allowed_tools.tools[${i}].function.name`),
  );
  return { mode: raw.allowed_tools.mode, allowed } as const;
}

function formatOf(raw: z.infer<typeof ResponseFormat> | undefined, messages: Messages): OutputFormat {
  if (raw === undefined || raw.type === "text") return { type: "text" };
  if (raw.type === "json_object") {
    // OpenAI refuses JSON mode unless the conversation asks for JSON (so the model knows to write it).
    if (!messages.some((m) => /json/i.test(textOf(m.content)))) {
      throw invalidRequest(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        "messages",
      );
    }
    return { type: "json_object" };
  }
  const schema = raw.json_schema.schema ?? { type: "object", properties: {} };
  if (schema.type !== "object") {
    throw invalidRequest(
      `Invalid schema for response_format '${raw.json_schema.name}': schema must be a JSON Schema of 'type: "object"'.`,
      "response_format",
    );
  }
  return { type: "json_schema", name: raw.json_schema.name, schema };
}

/** The tier a response reports: the one asked for, with `auto` served as `default` and `fast` as `priority`. */
export function servedTier(asked: string | null | undefined): string {
  if (asked === "flex" || asked === "scale" || asked === "priority") return asked;
  return asked === "fast" ? "priority" : "default";
}
