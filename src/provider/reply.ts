// What the local "model" answers, the same for chat completions and the Responses API, decided from the
// conversation in this order:
//   1. refusal   the model is `refuse`, or the last user message contains the word "refuse"
//   2. tool calls when the tool rule (tools.ts) says so
//   3. text      `Local answer {fingerprint}: you asked "{question}". This deterministic reply comes from
//                Cordon's local provider.` — after a tool result, `…you asked "{question}" and the tool
//                {name} returned "{result}". …` — as a JSON object `{"answer": "<that sentence>"}` for
//                json_object, or a value generated from the schema for json_schema (json-values.ts);
//                cut at the token limit with finish "length".
// The fingerprint is a hash of the request (see each endpoint), so the same request always gets the same reply.
import { countTokens, Rng, seedOf, truncateToTokens } from "./determinism";
import { modelName } from "./faults";
import { valueFor } from "./json-values";
import { type ToolChoice, type ToolSpec, toolsToCall } from "./tools";

/** One message of the conversation, reduced to what the reply depends on. */
export interface Turn {
  role: "system" | "user" | "assistant" | "tool";
  text: string;
  /** For a tool result: the name of the tool that produced it, when known. */
  toolName?: string | null;
}

export type OutputFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown> };

export interface ToolCall {
  /** `call_…`, derived from the fingerprint. */
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

export type Reply =
  | { kind: "text"; text: string; finish: "stop" | "length"; tokens: number }
  | { kind: "refusal"; refusal: string; tokens: number }
  | { kind: "tool_calls"; calls: ToolCall[]; tokens: number };

export interface ReplyInput {
  model: string;
  turns: readonly Turn[];
  tools: readonly ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  format: OutputFormat;
  /** The completion token limit, or null. */
  maxTokens: number | null;
  /** Eight hex digits naming this request (and choice). */
  fingerprint: string;
}

export const REFUSAL = "I'm sorry, but I can't help with that request.";
/** The question is restated in at most this many characters. */
const MAX_RESTATED_CHARS = 200;

export async function replyFor(input: ReplyInput): Promise<Reply> {
  const question = lastUserText(input.turns);
  if (modelName(input.model) === "refuse" || /\brefuse\b/i.test(question)) {
    return { kind: "refusal", refusal: REFUSAL, tokens: countTokens(REFUSAL) };
  }
  const last = input.turns.at(-1);
  const afterToolResult = last?.role === "tool";
  const rng = new Rng(await seedOf("reply", input.fingerprint));
  const called = toolsToCall({
    tools: input.tools,
    choice: input.toolChoice,
    question,
    afterToolResult,
    parallel: input.parallelToolCalls,
  });
  if (called.length > 0) {
    const calls = called.map((tool) => ({
      id: `call_${rng.chars(24)}`,
      name: tool.name,
      arguments: JSON.stringify(valueFor(tool.parameters ?? { type: "object" }, { text: restate(question), rng })),
    }));
    return { kind: "tool_calls", calls, tokens: calls.reduce((n, c) => n + countTokens(c.name + c.arguments), 0) };
  }

  let sentence = `Local answer ${input.fingerprint}: you asked "${restate(question)}"`;
  if (afterToolResult) sentence += ` and the tool ${last.toolName ?? "call"} returned "${restate(last.text)}"`;
  sentence += ". This deterministic reply comes from Cordon's local provider.";
  let text = sentence;
  if (input.format.type === "json_object") text = JSON.stringify({ answer: sentence });
  if (input.format.type === "json_schema")
    text = JSON.stringify(valueFor(input.format.schema, { text: sentence, rng }));
  // The token limit is honoured the way a real model does: the answer is cut and the finish reason says so.
  if (input.maxTokens !== null && countTokens(text) > input.maxTokens) {
    text = truncateToTokens(text, input.maxTokens);
    return { kind: "text", text, finish: "length", tokens: input.maxTokens };
  }
  return { kind: "text", text, finish: "stop", tokens: countTokens(text) };
}

/** The text of the last user message (the last message of any role when there is none). */
export function lastUserText(turns: readonly Turn[]): string {
  return ([...turns].reverse().find((t) => t.role === "user") ?? turns.at(-1))?.text ?? "";
}

/** Whitespace collapsed and cut to MAX_RESTATED_CHARS, with "..." when cut. */
export function restate(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const points = Array.from(flat);
  return points.length > MAX_RESTATED_CHARS ? `${points.slice(0, MAX_RESTATED_CHARS - 3).join("")}...` : flat;
}

/** Input tokens: the estimate over every turn's text together. */
export const promptTokensOf = (turns: readonly Turn[]): number => countTokens(turns.map((t) => t.text).join(""));
