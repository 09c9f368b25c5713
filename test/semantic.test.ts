// The embedded lexical embedder for real, and hit verification: what may and may not share an answer.
import { describe, expect, it } from "vitest";
import { semanticText } from "../src/gateway/cache/normalize";
import { entitiesIn, languagesIn, numbersIn, verifyMatch } from "../src/gateway/cache/verify";
import { cosine, LexicalEmbedder } from "../src/gateway/ports/embedder-lexical";

const embedder = new LexicalEmbedder(768);
const sim = (a: string, b: string) => cosine(embedder.embedOne(semanticText(a)), embedder.embedOne(semanticText(b)));

describe("lexical embedder", () => {
  it("gives deterministic unit vectors of the configured dimension", async () => {
    const [a, b] = await embedder.embed(["capital of france", "capital of france"]);
    expect(a).toHaveLength(768);
    expect(a).toEqual(b);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 9);
    expect(Math.hypot(...embedder.embedOne(""))).toBeCloseTo(1, 9);
  });

  it.each([
    ["What is the capital of France?", "what is the capital of france"],
    ["What is the capital of France?", "  What's   the capital of FRANCE?!  "],
    ["What is the capital of France?", "Hey, could you please tell me what is the capital of France?"],
    ["How do I reverse a list in Python?", "how do i reverse a list in python ??"],
  ])("scores surface variants as identical: %j ~ %j", (a, b) => {
    expect(sim(a, b)).toBeCloseTo(1, 9);
  });

  it.each([
    ["Explain what a linked list is", "Explain what is a linked list", 0.9],
    ["Explain what a linked list is", "Explain what a linked list is briefly", 0.9],
  ])("scores near paraphrases high: %j ~ %j", (a, b, floor) => {
    expect(sim(a, b)).toBeGreaterThanOrEqual(floor);
    expect(sim(a, b)).toBeLessThan(1);
  });

  it.each([
    ["What is the capital of France?", "How do I bake sourdough bread?"],
    ["Explain quantum entanglement", "Write a haiku about autumn"],
    ["Summarise this contract", "Translate hello into Spanish"],
  ])("scores unrelated questions low: %j ~ %j", (a, b) => {
    expect(sim(a, b)).toBeLessThan(0.5);
  });

  it("leaves France and Germany below the default threshold; verification is the second line", () => {
    const s = sim("What is the capital of France?", "What is the capital of Germany?");
    expect(s).toBeLessThan(0.9);
    expect(s).toBeGreaterThan(0.5);
    expect(verifyMatch("What is the capital of France?", "What is the capital of Germany?")).toEqual({ ok: false, reason: "entities" });
  });
});

describe("hit verification", () => {
  it.each([
    ["What is the capital of France?", "what is the capital of france"],
    ["What is the capital of France?", "What's the capital of FRANCE?!"],
    ["How do I sort a list in Python?", "how do i sort a list in python"],
    ["Give me 3 tips for sleep", "give me three tips for sleep"],
    ["Is 1,000 bigger than 999?", "is 1000 bigger than 999"],
    ["Convert 3.0 km to miles", "convert 3 km to miles"],
    ["Why isn't my code compiling?", "why is my code not compiling"],
    ["Explain TCP handshakes", "explain the TCP handshake"],
    ["Tell me about the Eiffel Tower", "tell me about the eiffel tower"],
    ["Write a function in Go that adds numbers", "write a function in golang that adds numbers"],
    ["What does NASA do?", "what does nasa do"],
    ["Recommend a book.", "Please recommend a book"],
  ])("agrees: %j ~ %j", (a, b) => {
    expect(verifyMatch(a, b)).toEqual({ ok: true });
  });

  it.each([
    ["What is the capital of France?", "What is the capital of Germany?", "entities"],
    ["Who is the CEO of Apple?", "Who is the CEO of Microsoft?", "entities"],
    ["Tell me about Paris", "Tell me about London", "entities"],
    ["Give me 3 tips for sleep", "Give me 5 tips for sleep", "numbers"],
    ["What happened in 1969?", "What happened in 1968?", "numbers"],
    ["Convert 3.5 km to miles", "Convert 35 km to miles", "numbers"],
    ["Give me three tips", "Give me four tips", "numbers"],
    ["Is coffee good for you?", "Is coffee not good for you?", "negation"],
    ["Should I use a mutex?", "Should I never use a mutex?", "negation"],
    ["Why does it work?", "Why doesn't it work?", "negation"],
    ["Recipes with nuts", "Recipes without nuts", "negation"],
    ["How do I reverse a string in Python?", "How do I reverse a string in JavaScript?", "code_language"],
    ["Write a quicksort in Rust", "Write a quicksort in C++", "code_language"],
    ["Read a file in Java", "Read a file in TypeScript", "code_language"],
    ["Read a file in Java", "Read a file", "code_language"],
  ])("differs: %j ~ %j (%s)", (a, b, reason) => {
    expect(verifyMatch(a, b)).toEqual({ ok: false, reason });
    expect(verifyMatch(b, a)).toEqual({ ok: false, reason });
  });

  it("extracts numbers, languages and entities", () => {
    expect(numbersIn("From 1,000 to 2.50, then two")).toEqual(["1000", "2", "2.5"]);
    expect(languagesIn("port this C# to node.js and rust")).toEqual(["c#", "javascript", "rust"]);
    expect([...entitiesIn("Compare Paris and Berlin. What about Rome?")].sort()).toEqual(["berlin", "paris", "rome"]);
  });
});
