// The local provider's tool rule: which tools a reply calls for each tool_choice, and the words that match.
import { describe, expect, it } from "vitest";
import { significantWords, type ToolChoice, type ToolSpec, toolsToCall } from "../../src/provider/tools";

const tool = (name: string, description = ""): ToolSpec => ({ name, description, parameters: null });
const TOOLS = [
  tool("get_weather", "Current forecast for a city"),
  tool("lookupStockPrice", "Latest trading quote"),
  tool("send_email", "Send an email message to someone"),
];
const auto: ToolChoice = { mode: "auto", allowed: null };

const called = (
  question: string,
  choice: ToolChoice = auto,
  extra: { afterToolResult?: boolean; parallel?: boolean } = {},
) =>
  toolsToCall({ tools: TOOLS, choice, question, afterToolResult: false, parallel: true, ...extra }).map((t) => t.name);

describe("significant words", () => {
  it.each([
    ["What's the weather in Paris?", ["weather", "paris"]],
    ["lookupStockPrice", ["lookup", "stock", "price"]],
    ["get_current_weather", ["weather"]],
    ["Forecasts for cities", ["forecast", "city"]],
    ["Classes pass", ["classe", "pass"]],
    ["Wetter in München", ["wetter", "münchen"]],
    ["", []],
  ])("%o → %o", (text, words) => {
    expect(significantWords(text)).toEqual(words);
  });
});

describe("tools to call", () => {
  it.each([
    ["auto, name match", "How is the weather?", auto, {}, ["get_weather"]],
    ["auto, description match", "Any forecast tomorrow?", auto, {}, ["get_weather"]],
    ["auto, camelCase name", "What is the stock of ACME?", auto, {}, ["lookupStockPrice"]],
    ["auto, two matches", "Email me the weather", auto, {}, ["get_weather", "send_email"]],
    ["auto, two matches, not parallel", "Email me the weather", auto, { parallel: false }, ["get_weather"]],
    ["auto, no match", "Write a poem", auto, {}, []],
    ["auto, after a tool result", "How is the weather?", auto, { afterToolResult: true }, []],
    ["none", "How is the weather?", { mode: "none", allowed: null }, {}, []],
    ["required, no match", "Write a poem", { mode: "required", allowed: null }, {}, ["get_weather"]],
    [
      "required, after a tool result",
      "Email it",
      { mode: "required", allowed: null },
      { afterToolResult: true },
      ["send_email"],
    ],
    ["named", "How is the weather?", { mode: "named", name: "send_email" }, {}, ["send_email"]],
    ["named, unknown", "x", { mode: "named", name: "nope" }, {}, []],
    ["allowed, auto", "Email me the weather", { mode: "auto", allowed: ["send_email"] }, {}, ["send_email"]],
    [
      "allowed, required",
      "Write a poem",
      { mode: "required", allowed: ["lookupStockPrice"] },
      {},
      ["lookupStockPrice"],
    ],
    ["allowed, none of the tools", "Weather", { mode: "required", allowed: ["other"] }, {}, []],
  ] as const)("%s", (_name, question, choice, extra, expected) => {
    expect(called(question, choice as ToolChoice, extra)).toEqual(expected);
  });

  it("calls nothing without tools", () => {
    expect(
      toolsToCall({
        tools: [],
        choice: { mode: "required", allowed: null },
        question: "x",
        afterToolResult: false,
        parallel: true,
      }),
    ).toEqual([]);
  });
});
