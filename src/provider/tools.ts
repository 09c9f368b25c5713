// Which function tools a reply calls. The rule, the same for chat completions and the Responses API:
//   tool_choice "none" (or no tools)      → no call, a text answer
//   a named function                      → that function, always
//   "required"                            → the matching tools (below), or the first tool when none matches
//   "auto" (the default when tools exist) → the matching tools, unless the conversation ends with a tool
//                                            result (then the reply is text that mentions the result)
// A tool matches when its name or description shares a word with the last user message: words are split at
// anything but letters and digits and at camelCase, compared case-insensitively with plurals folded, and only
// words of four or more characters that are not common English words count (so "the" never matches, and
// "What's the weather in Paris?" matches `get_weather`). With parallel_tool_calls false only the first
// matching tool is called. `allowed_tools` narrows the candidates and sets the mode.

export interface ToolSpec {
  name: string;
  description: string;
  /** The JSON Schema of the arguments, if the tool declares one. */
  parameters: Record<string, unknown> | null;
}

export type ToolChoice =
  | { mode: "none" | "auto" | "required"; allowed: readonly string[] | null }
  | { mode: "named"; name: string };

export interface ToolDecisionInput {
  tools: readonly ToolSpec[];
  choice: ToolChoice;
  /** The text of the last user message. */
  question: string;
  /** Whether the conversation ends with a tool result. */
  afterToolResult: boolean;
  parallel: boolean;
}

/** The tools the reply calls, in the order they were declared; empty for a text reply. */
export function toolsToCall(input: ToolDecisionInput): ToolSpec[] {
  const { tools, choice, question, afterToolResult, parallel } = input;
  if (tools.length === 0 || choice.mode === "none") return [];
  if (choice.mode === "named") return tools.filter((t) => t.name === choice.name).slice(0, 1);
  const candidates = choice.allowed ? tools.filter((t) => choice.allowed!.includes(t.name)) : [...tools];
  if (candidates.length === 0) return [];
  if (choice.mode === "auto" && afterToolResult) return [];
  const asked = new Set(significantWords(question));
  const matching = candidates.filter((t) => significantWords(`${t.name} ${t.description}`).some((w) => asked.has(w)));
  if (matching.length === 0) return choice.mode === "required" ? candidates.slice(0, 1) : [];
  return parallel ? matching : matching.slice(0, 1);
}

/** Words of four or more characters, lower-cased and singular, without common English words. */
export function significantWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 4 && !COMMON_WORDS.has(w))
    .map(singular);
}

function singular(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 5 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

const COMMON_WORDS = new Set(
  (
    "about above after again also always another back been before being below between both call called calls " +
    "cannot could current does doing done down during each either else even every find first from function " +
    "functions further gets give given have having here into just know last like make many more most much must " +
    "need next only other over please return returns same should show some such take tell than that their them " +
    "then there these they this those through tool tools under until upon using very want were what when where " +
    "which while will with within without would your yours"
  ).split(" "),
);
