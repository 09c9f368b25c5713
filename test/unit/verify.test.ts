// Hit verification, table-driven: prompt pairs that may share an answer, and pairs that must not even when their
// embeddings are close (or identical). Both directions are checked: verification is symmetric. The labelled
// fixture in test/fixtures/semantic-pairs.ts is checked separately, end to end, in cache-quality.test.ts.
import { describe, expect, it } from "vitest";
import {
  entitiesIn,
  languagesIn,
  MAX_VERIFIED_LENGTH,
  negationCount,
  numbersIn,
  VERIFY_REASONS,
  type VerifyReason,
  verifierFor,
  verifyMatch,
} from "../../src/gateway/cache/verify";
import { swapsArguments } from "../../src/gateway/cache/verify/meaning";
import { SOFT_WORDS } from "../../src/gateway/text/word-roles";
import { FILLER_PHRASES } from "../../src/gateway/text/words";

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
  ["Compute 2³ + 1", "compute 2^3 + 1"],
  ["Read a file with Node.js", "read a file with nodejs"],
  ["Write a poem about the sea", "Write a poem on the sea"],
  ["How To Write A Cover Letter", "how to write a cover letter"],
  ["Can you explain recursion?", "What is recursion?"],
  ["Do I have to pay taxes on gifts?", "Must I pay taxes on gifts?"],
  ["Write a quicksort in C++", "write a quicksort in cpp"],
  ["What does NASA do?", "what does nasa do"],
  ["Recommend a book.", "Please recommend a book"],
  ["Who won the 1st race?", "who won the first race"],
  ["Summarise the plot of Hamlet", "Please summarize the plot of Hamlet"],
  ["How do I delete a node from a linked list?", "how to delete a node from a linked list"],
  ["Why isn't my code compiling on Windows?", "Why is my code not compiling on Windows?"],
  ["Please quickly explain recursion", "explain recursion"],
  ["Could you briefly describe what DNS does?", "What does DNS do?"],
  ["How do I fix my bike's chain?", "How do I repair my bike chain?"],
  // "Can you" asks; it names no one: either person may ask it.
  ["Can you get pregnant at 45?", "Can I get pregnant at 45?"],
  ["Is it possible to run Windows on a Mac?", "Can I run Windows on a Mac?"],
  ["Tips for growing tomatoes", "tip for growing a tomato"],
  ["What's the difference between TCP and UDP?", "What is the difference between UDP and TCP?"],
  ["Python vs Go for CLI tools", "Go vs Python for CLI tools"],
  ["In Python, how do I read a CSV file?", "How do I read a CSV file in Python?"],
  ["Convert 5 km to miles", "convert 5 kilometers to miles"],
  ["Is 100 Mbps fast?", "is 100 mbps fast"],
  ["Is 512 GB enough?", "is 512 gb enough"],
  ["Is 10% a lot?", "Is 10 percent a lot?"],
  ["What is 3 + 4?", "what is 3 plus 4"],
  ["Summarise this in colour", "Summarize this in color"],
  ["How to move files from Google Drive to Dropbox", "How do I move files from Google Drive to Dropbox?"],
  ["Hi! Could you please tell me, um, how tides work? Thanks in advance.", "How do tides work?"],
  ["During pregnancy, is coffee safe?", "Is coffee safe during pregnancy?"],
  ["Coffee during pregnancy: safe?", "Is coffee safe during pregnancy?"],
];

const MUST_DIFFER: [string, string, VerifyReason][] = [
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
  ["Print a string in Python 2", "Print a string in Python 3", "version"],
  ["What's new in react 18", "What's new in react 17", "version"],
  ["Context window of GPT-4", "Context window of GPT-4o", "version"],
  ["Loop over a dict in python3.10", "Loop over a dict in python3.1", "version"],
  ["Solve 3x + 5 = 20", "Solve 3x - 5 = 20", "operators"],
  ["What does $? mean in bash?", "What does $# mean in bash?", "operators"],
  ["In C, what does x += 1 do?", "In C, what does x -= 1 do?", "operators"],
  ["Calculate 100 - 37", "Calculate 37 - 100", "operators"],
  ["What does x > 5 mean?", "What does x < 5 mean?", "operators"],
  ["Derivative of x^2", "Derivative of x^3", "numbers"],
  // Regression: NFKC made a superscript a plain digit glued to its base, so "2⁸" and "28" were one number.
  ["What is 10⁶ in words?", "What is 106 in words?", "numbers"],
  ["Compute 2⁸ + 1", "Compute 28 + 1", "numbers"],
  ["Convert 5 km to miles", "Convert 5 miles to km", "units"],
  ["Is 30°C hot?", "Is 30°F hot?", "units"],
  ["Is a 10% raise good?", "Is a 10 raise good?", "units"],
  ["Is 512 GB enough?", "Is 512 MB enough?", "units"],
  // Regression: units were read in lower case, so megabits a second answered megabytes a second.
  ["Is 100 Mbps fast?", "Is 100 MBps fast?", "units"],
  ["Is a 500 Mb file large?", "Is a 500 MB file large?", "units"],
  ["How many ounces are in a pound?", "How many ounces are in a cup?", "units"],
  ["paris trip ideas", "london trip ideas", "entities"],
  ["how to install react", "how to install vue", "entities"],
  ["best pizza in new york", "best pizza in york", "entities"],
  ["What are the symptoms of vitamin A deficiency?", "What are the symptoms of a vitamin deficiency?", "entities"],
  ["Is it safe to not eat for a day?", "Is it not safe to eat for a day?", "negation"],
  ["How to increase my credit score", "How to decrease my credit score", "antonym"],
  ["Should I buy Tesla stock?", "Should I sell Tesla stock?", "antonym"],
  ["What to eat before a run", "What to eat after a run", "antonym"],
  ["How to import a CSV into Excel", "How to export a CSV from Excel", "antonym"],
  ["Is it legal to drink and drive?", "Is it legal to drink or drive?", "antonym"],
  ["Is every even number the sum of two primes?", "Is any even number the sum of two primes?", "antonym"],
  ["Convert a Roth IRA to a traditional IRA", "Convert a traditional IRA to a Roth IRA", "direction"],
  ["Did Apple sue Samsung?", "Did Samsung sue Apple?", "direction"],
  ["Is Python faster than Java?", "Is Java faster than Python?", "direction"],
  ["Does he owe her money?", "Does she owe him money?", "direction"],
  ["How do I switch from bash to zsh?", "How do I switch from zsh to bash?", "direction"],
  ["How to write a stored procedure in T-SQL?", "How to write a stored procedure in PL/SQL?", "code_language"],
  ["What is the latest version of Node.js?", "What is the latest version of JavaScript?", "code_language"],
  ["How do I create a component in AngularJS?", "How do I create a component in Angular?", "entities"],
  ["What should I get him for his birthday?", "What should I get her for her birthday?", "content_words"],
  ["Is milk chocolate healthy?", "Is chocolate milk healthy?", "direction"],
  ["Is it safe to fly at 36 weeks pregnant?", "Is it safe to fly after 36 weeks pregnant?", "direction"],
  ["Who came up with relativity?", "Who came up against relativity?", "direction"],
  ["Sort a list in Python", "Sort a list asynchronously in Python", "content_words"],
  ["What is the capital of Spain?", "What is the population of Spain?", "content_words"],
  ["When was the Eiffel Tower built?", "Why was the Eiffel Tower built?", "content_words"],
  ["How to say thank you in Japanese", "How to say sorry in Japanese", "content_words"],
  ["Write a thank you note", "Write a note", "content_words"],
  ["Should I use let or const?", "Should I use const?", "content_words"],
  ["Do I have to pay taxes on gifts?", "Do I pay taxes on gifts?", "content_words"],
  ["Why is my bread too dense?", "Why is my bread dense?", "content_words"],
  ["Is my dog interested?", "Is my dog interesting?", "content_words"],
  ["What does 'briefly' mean?", "What does 'quickly' mean?", "content_words"],
  ["Synonyms for 'in'", "Synonyms for 'on'", "content_words"],
  ["Is the sky blue?", "Why is the sky blue?", "content_words"],
  ["Where can I buy a PS5?", "Can I buy a PS5?", "content_words"],
  ["Where can you buy Sudafed over the counter?", "Can you buy Sudafed over the counter?", "content_words"],
  // Regression: an opening "hey" was dropped as a greeting, also where it opens a title.
  ["Hey Jude chords", "Jude chords", "content_words"],
  ["Hey There Delilah lyrics", "Delilah lyrics", "content_words"],
  // Regression: "is it possible to" was filler, and the rest asked no question, so it agreed with "how to".
  ["Is it possible to overdose on vitamin C?", "How to overdose on vitamin C?", "content_words"],
  ["Is it possible to die from a broken heart?", "How to die from a broken heart?", "content_words"],
  // Regression: synonyms only in some uses: the telephone's inventor answered the smartphone's, sites websites.
  ["Who invented the telephone?", "Who invented the smartphone?", "content_words"],
  ["Who invented the cellphone?", "Who invented the smartphone?", "content_words"],
  ["Famous archaeological sites in Egypt", "Famous archaeological websites in Egypt", "content_words"],
  // Regression: a term with "-ing" and without it have one stem, so the parking in Boston answered its parks.
  ["Best parks in Boston", "Best parking in Boston", "content_words"],
  ["How do I clean an oil painting?", "How do I clean oil paint?", "content_words"],
  ["What is a good train schedule?", "What is a good training schedule?", "content_words"],
  // Regression: "I" and "you" were not compared at all, so the assistant's name answered the asker's.
  ["What is your name?", "What is my name?", "content_words"],
  ["How old are you?", "How old am I?", "content_words"],
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
    expect(languagesIn("port this C# to node.js and rust")).toEqual(["c#", "node.js", "rust"]);
    expect(languagesIn("let's go to the park and write a report in r&d")).toEqual([]);
    expect(languagesIn("a go program using golang generics")).toEqual(["go"]);
    expect(languagesIn("ANSI C versus C++ and plain in C")).toEqual(["c", "c++"]);
    expect(languagesIn("a bash one-liner and a shell script")).toEqual(["bash", "shell"]);
    expect(languagesIn("T-SQL, PL/SQL and SQL; zsh; SCSS and CSS; VBA")).toEqual([
      "css",
      "pl_sql",
      "scss",
      "sql",
      "t_sql",
      "vba",
      "zsh",
    ]);
  });

  it("finds entities by capitalisation, leaving common words and language names out", () => {
    expect([...entitiesIn("Compare Paris and Berlin. What about Rome?")].sort()).toEqual(["berlin", "paris", "rome"]);
    expect([...entitiesIn("Explain what NASA and the ESA do in Python")].sort()).toEqual(["esa", "nasa"]);
    expect([...entitiesIn("WHAT IS THE CAPITAL OF FRANCE")].sort()).toEqual(["capital", "france"]);
    expect(entitiesIn("how do i read a file in go").size).toBe(0);
  });

  it("names lower-case places, libraries and companies from the gazetteer, with aliases", () => {
    expect([...entitiesIn("flights from nyc to paris with react and k8s")].sort()).toEqual([
      "kubernetes",
      "new_york",
      "paris",
      "react",
    ]);
    expect(verifyMatch("best pizza in NYC", "best pizza in new york city")).toEqual({ ok: true });
  });

  it("reads versions glued, spaced, hyphenated and after 'v' or 'version'", () => {
    for (const [a, b] of [
      ["python3 tips", "python 3 tips"],
      ["node.js v18", "node.js version 18"],
      ["GPT-4o pricing", "gpt-4o pricing"],
    ])
      expect(verifyMatch(a!, b!)).toEqual({ ok: true });
  });

  it("never lets filler or soft words decide: every filler phrase and soft word may be added", () => {
    const prompts = ["how do I sort a list in python", "What is the capital of France?", "Explain TCP handshakes"];
    for (const prompt of prompts) {
      for (const phrase of FILLER_PHRASES) {
        expect(verifyMatch(`${phrase}, ${prompt}`, prompt), phrase).toEqual({ ok: true });
        expect(verifyMatch(`${prompt}, ${phrase}!`, prompt), phrase).toEqual({ ok: true });
      }
      for (const word of SOFT_WORDS) expect(verifyMatch(`${prompt} ${word}`, prompt), word).toEqual({ ok: true });
    }
  });

  it("answers with one closed list of reasons, and the same through verifierFor", () => {
    expect(VERIFY_REASONS).toEqual([
      "too_long",
      "code_language",
      "version",
      "numbers",
      "operators",
      "units",
      "entities",
      "negation",
      "antonym",
      "direction",
      "content_words",
    ]);
    const verify = verifierFor("Is Python faster than Java?");
    expect(verify("Is Java faster than Python?")).toEqual({ ok: false, reason: "direction" });
    expect(verify("is python faster than java")).toEqual({ ok: true });
  });

  it("refuses prompts longer than its limit, without reading them", () => {
    const long = `what is ${"x".repeat(MAX_VERIFIED_LENGTH)}`;
    expect(verifyMatch(long, long)).toEqual({ ok: false, reason: "too_long" });
    expect(verifyMatch("what is x", long)).toEqual({ ok: false, reason: "too_long" });
  });
});

describe("argument order", () => {
  it.each<[string, string[], string[], boolean]>([
    ["a middle term with its sides swapped", ["roth", "to", "traditional"], ["traditional", "to", "roth"], true],
    ["neighbours swapped", ["milk", "chocolate", "healthy"], ["chocolate", "milk", "healthy"], true],
    ["a phrase moved as a block", ["in", "python", "sort", "list"], ["sort", "list", "in", "python"], false],
    [
      "repeated terms compared occurrence by occurrence",
      ["to", "move", "a", "to", "b"],
      ["to", "move", "b", "to", "a"],
      true,
    ],
    ["terms in one prompt only ignored", ["sort", "list", "fast"], ["list", "x", "sort"], false],
    ["a symmetric pair already sorted", ["difference", "a", "~", "b"], ["difference", "a", "~", "b"], false],
  ])("%s: %j vs %j swapped = %s", (_name, a, b, swapped) => {
    expect(swapsArguments(a, b)).toBe(swapped);
    expect(swapsArguments(b, a)).toBe(swapped);
  });
});
