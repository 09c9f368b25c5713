// The semantic tier's reading of a prompt: tokens, normalised text, canonical words — and the guarantee that every
// step is linear in the length of the prompt, whatever its content.
import { describe, expect, it } from "vitest";
import { LexicalEmbedder } from "../../src/gateway/adapters/embedder-lexical";
import { userIdOf } from "../../src/gateway/cache/controls";
import { exactText, proseIndentation } from "../../src/gateway/cache/plan";
import { MAX_VERIFIED_LENGTH, verifyMatch } from "../../src/gateway/cache/verify";
import { semanticText, semanticView, semanticWords } from "../../src/gateway/text/semantic-text";
import { numberValue, tokenize } from "../../src/gateway/text/tokens";
import { canonicalWord, wordRole } from "../../src/gateway/text/word-roles";
import { FILLER_PHRASES } from "../../src/gateway/text/words";

describe("tokenize", () => {
  const shape = (text: string) => tokenize(text).map((t) => `${t.kind[0]}:${t.text}${t.glued ? "" : "_"}`);

  it("keeps in-token dots, apostrophes, a leading dot and trailing # or ++", () => {
    expect(shape("node.js .NET c# c++ don't e.g.")).toEqual([
      "w:node.js_",
      "w:.NET_",
      "w:c#_",
      "w:c++_",
      "w:don't_",
      "w:e.g_",
      "s:.",
    ]);
  });

  it("reads numbers with thousands groups and one decimal part, and a hyphen as a symbol of its own", () => {
    expect(shape("1,000,000 1,5 3.5 .5 1.2.3")).toEqual([
      "n:1,000,000_",
      "n:1_",
      "s:,",
      "n:5",
      "n:3.5_",
      "n:.5_",
      "n:1.2_",
      "s:.",
      "n:3",
    ]);
    expect(shape("GPT-4o 3x-5")).toEqual(["w:GPT_", "s:-", "n:4", "w:o", "n:3_", "w:x", "s:-", "n:5"]);
  });

  it("marks the first token of each sentence", () => {
    const starts = tokenize("Paris. Then Rome?\nAnd Oslo: Bergen").filter((t) => t.sentenceStart);
    expect(starts.map((t) => t.text)).toEqual(["Paris", "Then", "And", "Bergen"]);
  });
});

describe("semanticText", () => {
  it.each([
    ["What is the capital of France?", "what is the capital of france"],
    ["Hey, could you please tell me what is the capital of France?", "what is the capital of france"],
    ["Explain C++ templates in Node.js 3.5", "explain c++ templates in node.js 3.5"],
    ["Why'd it crash? It isn't red, they're sure", "why did it crash it is not red they are sure"],
    ["whats teh lenght, pls", "what is the length"],
    ["France's capital", "france capital"],
    ["Is 1,000 bigger than 0.50?", "is 1000 bigger than 0.5"],
    ["Give me three tips, not one", "3 tips not 1"],
    ["which one is first?", "which one is 1st"],
    ["Solve 3x + 5 = 20 and -3 * 2", "solve 3 x plus 5 equals 20 and minus 3 times 2"],
    ["GPT-4, x-ray, e-mail", "gpt 4 xray email"],
    ["10% of $5 at 30°C", "10 percent of dollars 5 at 30 degrees c"],
    ["?!… --- ...", ""],
  ])("of %j is %j", (input, out) => expect(semanticText(input)).toBe(out));

  it("removes every filler phrase where it frames the question, and only whole phrases", () => {
    for (const phrase of FILLER_PHRASES) {
      expect(semanticText(`${phrase}, sort a list`)).toBe("sort a list");
      expect(semanticText(`Sort a list, ${phrase}!`)).toBe("sort a list");
    }
    expect(semanticText("Hi! Could you please tell me, um, how tides work? Thanks in advance.")).toBe("how tides work");
    expect(semanticText("hey just wondering how tides work")).toBe("wondering how tides work");
    expect(semanticText("justice for hippos")).toBe("justice for hippos");
  });

  // Regression: filler was stripped wherever it stood, so "how to say thank you in Japanese" and "how to say sorry
  // in Japanese" both read "how to say in japanese" and could share an answer.
  it.each([
    ["How to say thank you in Japanese", "how to say thank you in japanese"],
    ["Write a thank you note", "write a thank you note"],
    ["Thank you notes for teachers", "thank you notes for teachers"],
    ["What does kindly mean", "what does kindly mean"],
    ["hello world program in rust", "hello world program in rust"],
    ["hi-hat patterns", "hi hat patterns"],
    ["hi there", "there"],
  ])("keeps filler words that are the subject: %j", (input, out) => expect(semanticText(input)).toBe(out));

  it("never takes a quoted word for filler", () => {
    expect(semanticText("What does 'please' mean?")).toBe("what does please mean");
    expect(semanticText('Translate "thank you" into French')).toBe("translate thank you into french");
    expect(semanticView("say 'hi' twice").words.map((w) => w.quoted)).toEqual([false, true, false]);
  });

  it("never reads a word as an Object.prototype member", () => {
    expect(semanticText("constructor __proto__ toString hasOwnProperty")).toBe(
      "constructor __proto__ tostring hasownproperty",
    );
    expect(canonicalWord("constructor")).toBe("constructor");
  });

  it("is what semanticWords joins", () => {
    expect(semanticWords("Hi! What's up?")).toEqual(["what", "is", "up"]);
  });
});

describe("canonical words", () => {
  it.each([
    ["lists", "list"],
    ["movies", "movie"],
    ["studied", "studying"],
    ["libraries", "library"],
    ["used", "use"],
    ["running", "run"],
    ["caches", "cache"],
    ["children", "kids"],
    ["leaves", "leaf"],
    ["repairing", "fixes"],
    ["automobiles", "car"],
    ["summarise", "summarize"],
    ["optimisation", "optimization"],
    ["colours", "color"],
  ])("%j and %j share a canonical form", (a, b) => expect(canonicalWord(a)).toBe(canonicalWord(b)));

  it.each([
    ["fill", "filling", true],
    ["need", "needed", true],
    ["string", "strings", true],
    ["news", "new", false],
    ["user", "use", false],
    ["faster", "fastest", false],
    ["https", "http", false],
    ["apis", "api", true],
  ])("%j and %j: same form %s", (a, b, same) => expect(canonicalWord(a) === canonicalWord(b)).toBe(same));

  it("gives each word a role", () => {
    expect(["the", "what", "to", "and"].map(wordRole)).toEqual(["function", "function", "function", "function"]);
    expect(["briefly", "explain", "describe"].map(wordRole)).toEqual(["soft", "soft", "soft"]);
    expect(["not", "without", "never"].map(wordRole)).toEqual(["negation", "negation", "negation"]);
    expect(["asynchronously", "python", "mortgage"].map(wordRole)).toEqual(["content", "content", "content"]);
  });

  it("reads numbers in canonical form without regular expressions", () => {
    expect(["007", "3.50", ".5", "1,000", "0.0", "10"].map(numberValue)).toEqual([
      "7",
      "3.5",
      "0.5",
      "1000",
      "0",
      "10",
    ]);
  });
});

// Regression: semanticText stripped dots with /\.+(\s|$)/g, which backtracks quadratically: 200,000 dots and a
// letter took 42 s of CPU; verification had the same pattern class (/[.-]+$/ inside long words). Every step now
// reads text in one pass. The only timing assertion in the suite: each call finishes in well under a second.
describe("pathological input (regression: 200,000 dots and a letter took 42 s)", () => {
  const N = 1_000_000;
  const PATHOLOGICAL: [string, string][] = [
    ["dots then a letter", `${".".repeat(N)}a`],
    ["hyphens then a letter", `${"-".repeat(N)}a`],
    ["a.a.a…", `${"a.".repeat(N / 2)}!`],
    ["a long word with trailing dots", `${"a".repeat(N / 2)}${".".repeat(N / 2)}b`],
    ["a long word with trailing hyphens", `${"a".repeat(N / 2)}${"-".repeat(N / 2)}`],
    ["digits with thousands separators", "1,000".repeat(N / 5)],
    ["digits with dots", "1.".repeat(N / 2)],
    ["one long number with zeros", `0.${"0".repeat(N)}1`],
    ["repeated filler", "could you please tell me ".repeat(N / 25)],
    ["apostrophes", `a${"'".repeat(N)}b`],
    ["plus signs", `c${"+".repeat(N)}`],
    ["arithmetic", `${"3x + 5 - ".repeat(N / 9)}1`],
    ["signed numbers", "-1 ".repeat(N / 3)],
    ["capitalised names and units", "What's the 3rd °C in New York? ".repeat(N / 31)],
    ["non-ASCII", "é漢字🙂 ".repeat(N / 6)],
  ];
  const embedder = new LexicalEmbedder(768);
  const timed = (work: () => unknown) => {
    const start = performance.now();
    work();
    return performance.now() - start;
  };

  it.each<[string, string]>([
    ["lines indented less and less", Array.from({ length: 1000 }, (_, i) => `${" ".repeat(1000 - i)}x`).join("\n")],
    ["one line of indentation", `a\n${" \t".repeat(N / 2)}b`],
    ["blank lines of white space", `a${"\n  ".repeat(N / 3)}b`],
  ])("the exact tier reads the prose indentation of %s in well under a second", (_name, text) => {
    expect(timed(() => exactText(text))).toBeLessThan(1000);
    expect(timed(() => proseIndentation(text))).toBeLessThan(1000);
  });

  it.each(PATHOLOGICAL)("semanticText reads %s in well under a second", (_name, text) => {
    expect(timed(() => semanticText(text))).toBeLessThan(1000);
  });

  it.each(PATHOLOGICAL)("the lexical embedder embeds %s in well under a second", (_name, text) => {
    expect(timed(() => embedder.embedOne(text))).toBeLessThan(1000);
    const normalised = semanticText(text);
    expect(timed(() => embedder.embedOne(normalised))).toBeLessThan(1000);
  });

  it.each(PATHOLOGICAL)("verifyMatch refuses %s at a million characters at once (too_long)", (_name, text) => {
    expect(timed(() => expect(verifyMatch(text, "what is x")).toEqual({ ok: false, reason: "too_long" }))).toBeLessThan(
      1000,
    );
  });

  // Regression: normalising (NFC for the exact tier and users, NFKC for the semantic tier) sorts each run of
  // combining marks, quadratically in the run's length: 120,000 marks after one letter took about 7 s in each
  // of semanticText and exactText, and a body of a megabyte of them minutes of CPU. A run longer than any text
  // needs (30) is now read as written.
  it("normalises a long run of combining marks in well under a second", () => {
    const marks = `a${"\u0301\u0316\u0334".repeat(40_000)}`;
    expect(timed(() => semanticText(marks))).toBeLessThan(1000);
    expect(timed(() => exactText(marks))).toBeLessThan(1000);
    expect(timed(() => userIdOf(marks))).toBeLessThan(1000);
    // Text as any language writes it is still normalised: two spellings of one text are one.
    const zalgoish = `e${"\u0316\u0301".repeat(15)}`;
    expect(exactText(zalgoish)).toBe(exactText(zalgoish.normalize("NFD")));
    expect(exactText(zalgoish)).toBe(zalgoish.normalize("NFC"));
    expect(semanticText("Cafe\u0301 cre\u0300me")).toBe(semanticText("Caf\u00e9 cr\u00e8me"));
    expect(userIdOf("jose\u0301")).toBe("jos\u00e9");
  });

  // Regression: a user's 1–256 characters were counted in UTF-16 units, so 256 emoji (512 units) were refused.
  it("counts a user's characters in code points, as OpenAI does", () => {
    expect(userIdOf("\u{1F600}".repeat(256))).toBe("\u{1F600}".repeat(256));
    expect(userIdOf("\u{1F600}".repeat(257))).toBeNull();
    expect(userIdOf("u".repeat(256))).toBe("u".repeat(256));
    expect(userIdOf("u".repeat(257))).toBeNull();
    // 256 characters spelled decomposed are 512 units, and still one user of 256 characters.
    expect(userIdOf("e\u0301".repeat(256))).toBe("\u00e9".repeat(256));
  });

  it.each(PATHOLOGICAL)("verifyMatch reads %s at its length limit in well under a second", (_name, text) => {
    const atLimit = text.slice(0, MAX_VERIFIED_LENGTH);
    expect(timed(() => verifyMatch(atLimit, atLimit))).toBeLessThan(1000);
    expect(timed(() => verifyMatch(atLimit, `${atLimit.slice(0, -1)}z`))).toBeLessThan(1000);
  });
});
