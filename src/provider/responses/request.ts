// The Responses API body the local provider accepts (`POST /v1/responses`): `input` as a string or a list of
// items (messages, function_call, function_call_output; other item types pass unread), `instructions`,
// `previous_response_id` (a stored response of this isolate), function tools, `tool_choice`, `text.format`,
// `max_output_tokens`, `stream`, `store`, `background`. Strict about those, loose about the rest.
import * as z from "zod";
import { invalidRequest, parseWith } from "../http";
import type { OutputFormat, Turn } from "../reply";
import type { ToolChoice, ToolSpec } from "../tools";
import { storedResponse } from "./store";

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const NAME_RULE = "must be 1–64 letters, digits, underscores or dashes.";
const JsonObject = z.record(z.string(), z.unknown());

const Part = z
  .looseObject({ type: z.string().min(1), text: z.string().optional() })
  .refine((p) => !["input_text", "output_text"].includes(p.type) || typeof p.text === "string", {
    message: "a text part needs a string `text`.",
  });
const MessageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(Part)]),
});
const FunctionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
const FunctionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string(),
  output: z.union([z.string(), z.array(Part)]),
});
const KNOWN_ITEMS = ["message", "function_call", "function_call_output"];
const OtherItem = z.looseObject({ type: z.string() }).refine((i) => !KNOWN_ITEMS.includes(i.type));
const Item = z.union([MessageItem, FunctionCallItem, FunctionCallOutputItem, OtherItem]);

const FunctionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().regex(NAME, NAME_RULE),
  description: z.string().nullable().optional(),
  parameters: JsonObject.nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
/** Hosted tools (web_search, file_search…) are accepted and never called. */
const OtherTool = z.looseObject({ type: z.string() }).refine((t) => t.type !== "function");
/** A tool of type "function" got past OtherTool's refinement only as a valid FunctionTool. */
const isFunctionTool = (t: { type: string }): t is z.infer<typeof FunctionTool> => t.type === "function";

const NamedFunction = z.looseObject({ type: z.literal("function"), name: z.string() });
const ToolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  NamedFunction,
  z.looseObject({
    type: z.literal("allowed_tools"),
    mode: z.enum(["auto", "required"]),
    tools: z.array(NamedFunction),
  }),
]);

const Format = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().regex(NAME, NAME_RULE),
    schema: JsonObject,
    strict: z.boolean().nullable().optional(),
  }),
]);

const ResponsesBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1), z.array(Item).min(1)]),
  instructions: z.string().nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_obfuscation: z.boolean().optional() }).nullable().optional(),
  store: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  tools: z.array(z.union([FunctionTool, OtherTool])).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.looseObject({ format: Format.optional() }).nullable().optional(),
  max_output_tokens: z.int().min(16).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  service_tier: z.string().nullable().optional(),
});
export type ResponsesBody = z.infer<typeof ResponsesBody>;

export interface ResponsesRequest {
  model: string;
  body: ResponsesBody;
  stream: boolean;
  store: boolean;
  /** Answered at once, `queued`, and polled until done (a stream is sent as any other, the object saying so). */
  background: boolean;
  includeObfuscation: boolean;
  /** Earlier turns from previous_response_id, then this request's input. */
  history: Turn[];
  input: Turn[];
  /** Instructions as a system turn (never carried over from a previous response). */
  instructions: Turn[];
  callNames: Map<string, string>;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  format: OutputFormat;
  maxTokens: number | null;
}

export function parseResponsesRequest(raw: Record<string, unknown>): ResponsesRequest {
  const body = parseWith(ResponsesBody, raw);
  const previous = body.previous_response_id ? storedResponse(body.previous_response_id) : undefined;
  if (body.previous_response_id && !previous) {
    throw invalidRequest(
      `Previous response with id '${body.previous_response_id.slice(0, 100)}' not found.`,
      "previous_response_id",
      "previous_response_not_found",
    );
  }
  const callNames = new Map(previous?.callNames);
  const input = inputTurns(body.input, callNames);
  const tools: ToolSpec[] = (body.tools ?? [])
    .filter(isFunctionTool)
    .map((t) => ({ name: t.name, description: t.description ?? "", parameters: t.parameters ?? null }));
  const instructions: Turn[] = body.instructions ? [{ role: "system", text: body.instructions }] : [];
  return {
    model: body.model,
    body,
    stream: body.stream === true,
    store: body.store !== false,
    background: body.background === true,
    includeObfuscation: body.stream_options?.include_obfuscation !== false,
    history: previous?.turns ?? [],
    input,
    instructions,
    callNames,
    tools,
    toolChoice: toolChoiceOf(body.tool_choice, tools),
    parallelToolCalls: body.parallel_tool_calls !== false,
    format: formatOf(body.text?.format, [...(previous?.turns ?? []), ...instructions, ...input]),
    maxTokens: body.max_output_tokens ?? null,
  };
}

/** The input as turns; function calls register their names, and every function_call_output must answer one. */
function inputTurns(input: ResponsesBody["input"], callNames: Map<string, string>): Turn[] {
  if (typeof input === "string") return [{ role: "user", text: input }];
  const turns: Turn[] = [];
  input.forEach((item, i) => {
    if (item.type === undefined || item.type === "message") {
      const message = item as z.infer<typeof MessageItem>;
      const role = message.role === "developer" ? "system" : message.role;
      turns.push({ role, text: textOf(message.content) });
    } else if (item.type === "function_call") {
      const call = item as z.infer<typeof FunctionCallItem>;
      callNames.set(call.call_id, call.name);
      turns.push({ role: "assistant", text: "" });
    } else if (item.type === "function_call_output") {
      const result = item as z.infer<typeof FunctionCallOutputItem>;
      if (!callNames.has(result.call_id)) {
        throw invalidRequest(
          `No tool call found for function call output with call_id ${result.call_id.slice(0, 100)}.`,
          `input[${i}]`,
        );
      }
      turns.push({ role: "tool", text: textOf(result.output), toolName: callNames.get(result.call_id) ?? null });
    }
  });
  return turns;
}

function textOf(content: string | { type: string; text?: string | undefined }[]): string {
  if (typeof content === "string") return content;
  return content.flatMap((p) => (typeof p.text === "string" ? [p.text] : [])).join("\n");
}

function toolChoiceOf(raw: z.infer<typeof ToolChoiceSchema> | undefined, tools: ToolSpec[]): ToolChoice {
  if (raw === undefined) return { mode: tools.length ? "auto" : "none", allowed: null };
  if (typeof raw === "string") return { mode: raw, allowed: null };
  const known = (name: string, param: string) => {
    if (!tools.some((t) => t.name === name)) {
      throw invalidRequest(`Invalid value for '${param}': no function named '${name}' in 'tools'.`, param);
    }
    return name;
  };
  if (raw.type === "function") return { mode: "named", name: known(raw.name, "tool_choice.name") };
  return { mode: raw.mode, allowed: raw.tools.map((t, i) => known(t.name, `tool_choice.tools[${i}].name`)) };
}

function formatOf(raw: z.infer<typeof Format> | undefined, turns: Turn[]): OutputFormat {
  if (raw === undefined || raw.type === "text") return { type: "text" };
  if (raw.type === "json_object") {
    if (!turns.some((t) => /json/i.test(t.text))) {
      throw invalidRequest(
        "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.",
        "input",
      );
    }
    return { type: "json_object" };
  }
  if (raw.schema.type !== "object") {
    throw invalidRequest(
      `Invalid schema for response format '${raw.name}': schema must be a JSON Schema of 'type: "object"'.`,
      "text.format.schema",
    );
  }
  return { type: "json_schema", name: raw.name, schema: raw.schema };
}
