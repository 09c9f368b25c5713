// Hit verification, table-driven: prompt pairs that may share an answer, and pairs that must not even when their
// embeddings are close. Both directions are checked: verification is symmetric.
import { describe, expect, it } from "vitest";
import { entitiesIn, languagesIn, negationCount, numbersIn, verifyMatch } from "../src/gateway/cache/verify";

const SHOULD_AGREE: [string, string][] = [
  ["What is the capital of France?", "what is the capital of france"],
  ["What is the capital of France?", "WHAT IS THE CAPITAL OF FRANCE?!"],
  ["what is the capital of france", "What is the capital of France?"],
  ["How do I sort a list in Python?", "how do i sort a list in python"],
  ["Give me 3 tips for sleep", "give me three tips for sleep"],
  ["Is 1,000 bigger than 999?", "is 1000 bigger than 999"],
  ["Convert 3.0 km to miles", "convert 3 km to miles"],
  ["Is .5 the same as 0.50?", "is 0.5 the same as .50"],
  ["Why isn't my code compiling?", "why is my code not compiling"],
  ["Why can't I log in?", "why cannot i log in"],
  ["Why dont my tests run?", "Why don't my tests run?"],
  ["Explain TCP handshakes", "explain the TCP handshake"],
  ["Tell me about the Eiffel Tower", "tell me about the eiffel tower"],
  ["Write a function in Go that adds numbers", "write a function in golang that adds numbers"],
  ["Read a file with Node.js", "read a file with nodejs"],
  ["Write a quicksort in C++", "write a quicksort in cpp"],
  ["What does NASA do?", "what does nasa do"],
  ["Recommend a book.", "Please recommend a book"],
  ["Who won the 1st race?", "who won the first race"],
  ["Summarise the plot of Hamlet", "Please summarize the plot of Hamlet"],
  ["How do I delete a node from a linked list?", "how to delete a node from a linked list"],
];

const MUST_DIFFER: [string, string, "numbers" | "entities" | "negation" | "code_language"][] = [
  ["What is the capital of France?", "What is the capital of Germany?", "entities"],
  ["what is the capital of france", "What is the capital of Germany?", "entities"],
  ["Who is the CEO of Apple?", "Who is the CEO of Microsoft?", "entities"],
  ["Tell me about Paris", "Tell me about London", "entities"],
  ["Paris travel tips", "London travel tips", "entities"],
  ["Compare AWS and GCP pricing", "Compare AWS and Azure pricing", "entities"],
  ["Plan B for the launch", "Plan C for the launch", "entities"],
  ["Give me 3 tips for sleep", "Give me 5 tips for sleep", "numbers"],
  ["What happened in 1969?", "What happened in 1968?", "numbers"],
  ["Convert 3.5 km to miles", "Convert 35 km to miles", "numbers"],
  ["Give me three tips", "Give me four tips", "numbers"],
  ["Convert wav to mp3", "Convert wav to mp4", "numbers"],
  ["Is -3 less than 2?", "Is 3 less than 2?", "numbers"],
  ["Who won the first race?", "Who won the second race?", "numbers"],
  ["Is 1,5 the same as 1.5?", "Is 15 the same as 1.5?", "numbers"],
  ["Is coffee good for you?", "Is coffee not good for you?", "negation"],
  ["Should I use a mutex?", "Should I never use a mutex?", "negation"],
  ["Why does it work?", "Why doesn't it work?", "negation"],
  ["Why does it work?", "Why doesnt it work?", "negation"],
  ["Recipes with nuts", "Recipes without nuts", "negation"],
  ["How do I reverse a string in Python?", "How do I reverse a string in JavaScript?", "code_language"],
  ["Write a quicksort in Rust", "Write a quicksort in C++", "code_language"],
  ["Write a quicksort in C", "Write a quicksort in C++", "code_language"],
  ["Read a file in Java", "Read a file in TypeScript", "code_language"],
  ["Read a file in Java", "Read a file", "code_language"],
  ["Center a div in CSS", "Center a div in HTML", "code_language"],
  ["Plot a histogram in R", "Plot a histogram in Python", "code_language"],
];

describe("hit verification", () => {
  it.each(SHOULD_AGREE)("lets %j share an answer with %j", (a, b) => {
    expect(verifyMatch(a, b)).toEqual({ ok: true });
    expect(verifyMatch(b, a)).toEqual({ ok: true });
  });

  it.each(MUST_DIFFER)("keeps %j apart from %j (%s)", (a, b, reason) => {
    expect(verifyMatch(a, b)).toEqual({ ok: false, reason });
    expect(verifyMatch(b, a)).toEqual({ ok: false, reason });
  });

  it("normalises numbers into a sorted multiset", () => {
    expect(numbersIn("From 1,000 to 2.50, then two, 007 and .5")).toEqual(["0.5", "1000", "2", "2.5", "7"]);
    expect(numbersIn("1,2,3 and 1, 2, 3")).toEqual(["1", "1", "2", "2", "3", "3"]);
    expect(numbersIn("GPT-4 at -3 degrees on the 21st")).toEqual(["-3", "21st", "4"]);
    expect(numbersIn("3 and 3.0 and three")).toEqual(["3", "3", "3"]);
  });

  it("counts negations after expanding contractions", () => {
    expect(negationCount("I can't and won't, it isn’t")).toBe(3);
    expect(negationCount("Neither this nor that, never none, no way, cannot")).toBe(6);
    expect(negationCount("Nothing here is notable or knotted")).toBe(1);
  });

  it("names languages only from unambiguous phrasing", () => {
    expect(languagesIn("port this C# to node.js and rust")).toEqual(["c#", "javascript", "rust"]);
    expect(languagesIn("let's go to the park and write a report in r&d")).toEqual([]);
    expect(languagesIn("a go program using golang generics")).toEqual(["go"]);
    expect(languagesIn("ANSI C versus C++ and plain in C")).toEqual(["c", "c++"]);
    expect(languagesIn("a bash one-liner and a shell script")).toEqual(["shell"]);
  });

  it("finds entities by capitalisation, leaving common words and language names out", () => {
    expect([...entitiesIn("Compare Paris and Berlin. What about Rome?")].sort()).toEqual(["berlin", "paris", "rome"]);
    expect([...entitiesIn("Explain what NASA and the ESA do in Python")].sort()).toEqual(["esa", "nasa"]);
    expect([...entitiesIn("WHAT IS THE CAPITAL OF FRANCE")].sort()).toEqual(["capital", "france"]);
    expect(entitiesIn("how do i read a file in go").size).toBe(0);
  });

  it("leaves all-lower-case place names to the similarity threshold (documented limit)", () => {
    expect(verifyMatch("paris trip ideas", "london trip ideas")).toEqual({ ok: true });
  });
});
