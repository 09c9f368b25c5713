// Tool calls of the local provider's chat completions: which tool the rule calls for each tool_choice, the
// shape of message.tool_calls and of streamed tool-call chunks, arguments that validate against the tool's
// schema, the text answer that follows a tool result, and the 400s for inconsistent tool requests.
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  type Chunk,
  type Completion,
  chat,
  chatChunks,
  expectError,
  ok,
  post,
  type ToolCall,
} from "./provider-helpers";

const CHAT = "/v1/chat/completions";

const Weather = z.strictObject({
  city: z.string().min(1),
  unit: z.enum(["celsius", "fahrenheit"]),
  days: z.int().min(1).max(7),
});
const Search = z.strictObject({
  query: z.string().min(1).max(30),
  limit: z.int().min(1).max(50).optional(),
  filters: z.strictObject({ since: z.iso.date(), exact: z.boolean(), ids: z.array(z.uuid()).max(3) }),
});
const ARGUMENTS: Record<string, z.ZodType> = { get_weather: Weather, search_documents: Search };

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current forecast for a city",
      parameters: z.toJSONSchema(Weather),
      strict: true,
    },
  },
  {
    type: "function",
    function: {
      name: "search_documents",
      description: "Full-text search over the user's library",
      parameters: z.toJSONSchema(Search),
    },
  },
];

const withTools = (question: string, extra: Record<string, unknown> = {}) => chat(question, { tools: TOOLS, ...extra });
const completion = (body: unknown) => ok<Completion>(post(CHAT, body));
const calledNames = (c: Completion) => (c.choices[0]!.message.tool_calls ?? []).map((t) => t.function.name);

function expectValidCalls(calls: ToolCall[]): void {
  for (const call of calls) {
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.type).toBe("function");
    ARGUMENTS[call.function.name]!.parse(JSON.parse(call.function.arguments));
  }
}

describe("which tools are called", () => {
  it.each([
    ["auto, a question sharing a word with a tool", "What's the weather in Paris?", {}, ["get_weather"]],
    ["auto, plural folded (forecasts ~ forecast)", "Any forecasts for Oslo?", {}, ["get_weather"]],
    ["auto, camelCase and snake_case split", "search my library", {}, ["search_documents"]],
    [
      "auto, several matching tools (parallel)",
      "Search the library for the weather",
      {},
      ["get_weather", "search_documents"],
    ],
    [
      "auto, several matching, parallel_tool_calls false",
      "Search the library for the weather",
      { parallel_tool_calls: false },
      ["get_weather"],
    ],
    ["auto, nothing shared", "Tell me a joke", {}, []],
    ["auto, only common words shared (for, the, current)", "What is the current time for me?", {}, []],
    ["none, although a tool matches", "What's the weather in Paris?", { tool_choice: "none" }, []],
    ["required, nothing shared: the first tool", "Tell me a joke", { tool_choice: "required" }, ["get_weather"]],
    ["required, a match", "search my library", { tool_choice: "required" }, ["search_documents"]],
    [
      "a named function, whatever the question",
      "What's the weather in Paris?",
      { tool_choice: { type: "function", function: { name: "search_documents" } } },
      ["search_documents"],
    ],
    [
      "allowed_tools, required",
      "Tell me a joke",
      {
        tool_choice: {
          type: "allowed_tools",
          allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "search_documents" } }] },
        },
      },
      ["search_documents"],
    ],
    [
      "allowed_tools, auto, matching tool not allowed",
      "What's the weather in Paris?",
      {
        tool_choice: {
          type: "allowed_tools",
          allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "search_documents" } }] },
        },
      },
      [],
    ],
  ])("%s", async (_name, question, extra, expected) => {
    const c = await completion(withTools(question, extra));
    expect(calledNames(c)).toEqual(expected);
    if (expected.length === 0) {
      expect(c.choices[0]!.finish_reason).toBe("stop");
      expect(c.choices[0]!.message.content).toContain(`you asked "${question}"`);
      expect(c.choices[0]!.message.tool_calls).toBeUndefined();
    }
  });

  it("never calls custom tools", async () => {
    const c = await completion(
      chat("What's the weather?", { tools: [{ type: "custom", custom: { name: "weather_grammar" } }] }),
    );
    expect(c.choices[0]!.message.tool_calls).toBeUndefined();
  });
});

describe("tool_calls messages", () => {
  it("answers content null, finish tool_calls, and arguments that validate against each tool's schema", async () => {
    const c = await completion(withTools("Search the library for the weather"));
    const choice = c.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message).toMatchObject({ role: "assistant", content: null, refusal: null, annotations: [] });
    expectValidCalls(choice.message.tool_calls!);
    expect(new Set(choice.message.tool_calls!.map((t) => t.id)).size).toBe(2);
    expect(c.usage.completion_tokens).toBe(
      choice.message.tool_calls!.reduce(
        (n, t) => n + Math.ceil((t.function.name + t.function.arguments).length / 4),
        0,
      ),
    );
  });

  it("is deterministic: the same request gets the same ids and arguments", async () => {
    const a = await completion(withTools("What's the weather in Paris?"));
    const b = await completion(withTools("What's the weather in Paris?"));
    expect(b.choices[0]!.message.tool_calls).toEqual(a.choices[0]!.message.tool_calls);
  });

  it("calls a tool without parameters with {}", async () => {
    const c = await completion(
      chat("Ring the bell", {
        tools: [{ type: "function", function: { name: "ring_bell" } }],
        tool_choice: "required",
      }),
    );
    expect(c.choices[0]!.message.tool_calls![0]!.function).toEqual({ name: "ring_bell", arguments: "{}" });
  });
});

describe("after a tool result", () => {
  const conversation = async (extra: Record<string, unknown> = {}) => {
    const first = await completion(withTools("What's the weather in Paris?"));
    const call = first.choices[0]!.message.tool_calls![0]!;
    return {
      model: "echo",
      tools: TOOLS,
      ...extra,
      messages: [
        { role: "user", content: "What's the weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "18 degrees and sunny" },
      ],
    };
  };

  it("auto answers text that mentions the tool and its result", async () => {
    const c = await completion(await conversation());
    expect(c.choices[0]!.finish_reason).toBe("stop");
    expect(c.choices[0]!.message.content).toMatch(
      /^Local answer [0-9a-f]{8}: you asked "What's the weather in Paris\?" and the tool get_weather returned "18 degrees and sunny"\./,
    );
  });

  it("required calls a tool again", async () => {
    const c = await completion(await conversation({ tool_choice: "required" }));
    expect(calledNames(c)).toEqual(["get_weather"]);
  });
});

describe("streamed tool calls", () => {
  it("chunks like OpenAI: id, type and name first with empty arguments, then argument pieces by index", async () => {
    const whole = await completion(withTools("Search the library for the weather"));
    const res = await post(CHAT, withTools("Search the library for the weather", { stream: true }));
    const chunks = chatChunks<Chunk>(await res.text());

    expect(chunks[0]!.choices[0]!.delta).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_/),
          type: "function",
          function: { name: "get_weather", arguments: "" },
        },
      ],
    });
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const heads = deltas.filter((d) => d.id);
    expect(heads.map((d) => d.index)).toEqual([0, 1]);
    for (const piece of deltas.filter((d) => !d.id)) expect(Object.keys(piece.function)).toEqual(["arguments"]);
    expect(deltas.filter((d) => !d.id).length).toBeGreaterThan(2);

    const rebuilt = [0, 1].map((index) => {
      const mine = deltas.filter((d) => d.index === index);
      return {
        id: mine[0]!.id!,
        type: mine[0]!.type!,
        function: { name: mine[0]!.function.name!, arguments: mine.map((d) => d.function.arguments ?? "").join("") },
      };
    });
    expect(rebuilt).toEqual(whole.choices[0]!.message.tool_calls);
    expectValidCalls(rebuilt);
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: "tool_calls" });
  });
});

describe("inconsistent tool requests", () => {
  it.each([
    ["tool_choice without tools", chat("x", { tool_choice: "auto" }), "tool_choice", null],
    [
      "a named function not in tools",
      withTools("x", { tool_choice: { type: "function", function: { name: "nope" } } }),
      "tool_choice.function.name",
      null,
    ],
    [
      "a tool name with spaces",
      chat("x", { tools: [{ type: "function", function: { name: "get weather" } }] }),
      "tools[0].function.name",
      "invalid_value",
    ],
    [
      "a tool message without tool_call_id",
      { model: "echo", messages: [{ role: "tool", content: "r" }] },
      "messages[0].tool_call_id",
      "missing_required_parameter",
    ],
    [
      "a tool message answering no call",
      { model: "echo", messages: [{ role: "tool", tool_call_id: "call_x", content: "r" }] },
      "messages[0].role",
      null,
    ],
  ])("%s is a 400 naming the parameter", async (_name, body, param, code) => {
    const err = await expectError(await post(CHAT, body), 400, code);
    expect(err.error).toMatchObject({ type: "invalid_request_error", param });
  });
});
