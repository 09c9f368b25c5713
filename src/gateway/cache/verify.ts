// Hit verification beyond the similarity threshold: a semantic match is served only if the two prompts agree
// on what embeddings blur — numbers, negations, programming languages and named entities — so that "capital
// of France" never answers "capital of Germany" and "not recommended" never answers "recommended".
// Pure functions over the two original (un-normalised) last user messages. Every rule errs towards a miss:
// a false miss costs one provider call, a false hit serves a wrong answer.
//
// Rules, checked in this order (the first that fails is the reason):
//   numbers        the multisets agree after normalisation: "1,000" = "1000", "3.0" = "3", ".5" = "0.5",
//                  "007" = "7", "three" = "3", "first" = "1st"; a leading minus counts ("-3" ≠ "3").
//   negation       the same count of negation words, after expanding contractions ("isn't" → "is not");
//                  apostrophe-less forms ("dont", "isnt") count too.
//   code_language  the same set of programming languages; ambiguous names only in unambiguous phrasing
//                  ("go": "golang", "in go", "go code"; "r": "in r"; "c": "in c", "c code").
//   entities       every capitalised word of one text that is not a common word (stop list below) — a
//                  mid-sentence "France", a sentence-initial "Paris", an acronym "NASA" — must appear, in any
//                  case, in the other text. Capitalised common words ("What", "Explain", a shouted "THE") are
//                  ignored wherever they stand; language names are left to code_language.
// Known limit: entities are found by capitalisation only, so two all-lower-case prompts naming different places
// ("paris trip ideas" / "london trip ideas") pass this check; the similarity threshold is the guard there.

export type VerifyResult = { ok: true } | { ok: false; reason: "numbers" | "entities" | "negation" | "code_language" };

const NUMBER_WORDS: Record<string, string> = {
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  ten: "10",
  eleven: "11",
  twelve: "12",
  thirteen: "13",
  fourteen: "14",
  fifteen: "15",
  sixteen: "16",
  seventeen: "17",
  eighteen: "18",
  nineteen: "19",
  twenty: "20",
  hundred: "100",
  thousand: "1000",
  million: "1000000",
  billion: "1000000000",
  first: "1st",
  second: "2nd",
  third: "3rd",
  fourth: "4th",
  fifth: "5th",
  sixth: "6th",
  seventh: "7th",
  eighth: "8th",
  ninth: "9th",
  tenth: "10th",
};

const NEGATIONS = new Set(
  (
    "not no never without none neither nor cannot nothing nobody nowhere dont doesnt didnt isnt arent wasnt werent " +
    "cant couldnt shouldnt wouldnt wont havent hasnt hadnt aint mustnt neednt"
  ).split(" "),
);

/** Languages by the phrases that name them (matched on lower-cased text). */
const LANGUAGES: [RegExp, string][] = [
  [/\bpython\d?\b|\bpy\b/, "python"],
  [/\btypescript\b|\bts\b/, "typescript"],
  [/\bjavascript\b|\bjs\b|\bnode\.?js\b|\becmascript\b/, "javascript"],
  [/\bjava\b/, "java"],
  [/\bc\+\+|\bcpp\b/, "c++"],
  [/\bc#|\bcsharp\b|\.net\b/, "c#"],
  [/\bf#|\bfsharp\b/, "f#"],
  [/\bobjective-c\b|\bobj-c\b/, "objective-c"],
  [/\b(?:in|using|with|write|for) c\b(?![+#])|\bansi c\b|\bc (?:language|code|program)s?\b/, "c"],
  [/\bgolang\b|\b(?:in|using|with) go\b|\bgo (?:code|program|function|module|routine)s?\b/, "go"],
  [/\brust\b/, "rust"],
  [/\bruby\b/, "ruby"],
  [/\bphp\b/, "php"],
  [/\bswift\b/, "swift"],
  [/\bkotlin\b/, "kotlin"],
  [/\bscala\b/, "scala"],
  [/\bsql\b|\bpostgres(?:ql)?\b|\bmysql\b|\bsqlite\b|\bt-sql\b/, "sql"],
  [/\bbash\b|\bzsh\b|\bshell (?:script|command|scripting)s?\b|\b(?:in|using|with) (?:a |the )?shell\b/, "shell"],
  [/\bpowershell\b/, "powershell"],
  [/\b(?:in|using|with) r(?![\w&'’-])|\br (?:language|code|script)s?\b/, "r"],
  [/\bhtml\d?\b/, "html"],
  [/\bcss\d?\b/, "css"],
  [/\bhaskell\b/, "haskell"],
  [/\belixir\b/, "elixir"],
  [/\berlang\b/, "erlang"],
  [/\bclojure\b/, "clojure"],
  [/\bocaml\b/, "ocaml"],
  [/\bperl\b/, "perl"],
  [/\blua\b/, "lua"],
  [/\bdart\b/, "dart"],
  [/\bjulia\b/, "julia"],
  [/\bmatlab\b/, "matlab"],
  [/\bfortran\b/, "fortran"],
  [/\bcobol\b/, "cobol"],
  [/\bzig\b/, "zig"],
  [/\bsolidity\b/, "solidity"],
  [/\bassembly\b|\basm\b/, "assembly"],
];

/** Words that, capitalised at the start of a sentence (or shouted), say nothing about entities. */
const COMMON = new Set(
  (
    "a an the what which who whom whose when where why how is are was were be been do does did can could would should " +
    "will shall may might must please tell me give list explain describe write show i you we they he she it my your " +
    "our their this that these those in on at of for to from with by about and or but if then so as there here hi " +
    "hey hello thanks thank ok okay now also just yes no not summarise summarize compare define translate create make " +
    "find help generate suggest recommend provide calculate convert name identify briefly quickly kindly again " +
    "is it any some all each every"
  ).split(" "),
);

function expandContractions(text: string): string {
  return text
    .replace(/[’‘`]/g, "'")
    .replace(/\bcan't\b/gi, "cannot")
    .replace(/\bwon't\b/gi, "will not")
    .replace(/\bshan't\b/gi, "shall not")
    .replace(/\b(\w+)n't\b/gi, "$1 not");
}

const NUMBER = /(\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)((?:st|nd|rd|th)(?!\p{L}))?/gu;

/** The numbers of a text, normalised, sorted (a multiset as a list). */
export function numbersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(NUMBER)) {
    let n = m[1]!.replace(/,/g, "");
    if (n.startsWith(".")) n = `0${n}`;
    if (n.includes(".")) n = n.replace(/0+$/, "").replace(/\.$/, "");
    n = n.replace(/^0+(?=\d)/, "");
    const before = text.slice(0, m.index).match(/(\S?)([-−])$/u);
    if (before && !/[\p{L}\p{N}]/u.test(before[1]!)) n = `-${n}`;
    out.push(n + (m[2]?.toLowerCase() ?? ""));
  }
  for (const w of text.toLowerCase().match(/\p{L}+/gu) ?? []) if (NUMBER_WORDS[w]) out.push(NUMBER_WORDS[w]!);
  return out.sort();
}

export function negationCount(text: string): number {
  return (
    expandContractions(text)
      .toLowerCase()
      .match(/\p{L}+/gu) ?? []
  ).filter((w) => NEGATIONS.has(w)).length;
}

export function languagesIn(text: string): string[] {
  const lower = text.toLowerCase();
  return LANGUAGES.filter(([re]) => re.test(lower))
    .map(([, name]) => name)
    .sort();
}

/** Words keep in-token `.#+-` ("node.js", "c#", "c++", "jean-paul"); trailing dots and hyphens are dropped. */
const WORD = /\p{L}[\p{L}\p{N}\-.#+]*/gu;
const wordsOf = (text: string) => (text.match(WORD) ?? []).map((w) => w.replace(/[.-]+$/, ""));

/** Capitalised words that name something (see the rules above), lower-cased. */
export function entitiesIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of wordsOf(text)) {
    const lower = w.toLowerCase();
    if (!/^\p{Lu}/u.test(w) || COMMON.has(lower)) continue;
    // Language names are compared by the code-language rule, which knows "Go" = "golang".
    if (languagesIn(`in ${lower}`).length > 0) continue;
    out.add(lower);
  }
  return out;
}

function words(text: string): Set<string> {
  return new Set(wordsOf(text.toLowerCase()));
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function verifyMatch(query: string, candidate: string): VerifyResult {
  if (!sameList(numbersIn(query), numbersIn(candidate))) return { ok: false, reason: "numbers" };
  if (negationCount(query) !== negationCount(candidate)) return { ok: false, reason: "negation" };
  if (!sameList(languagesIn(query), languagesIn(candidate))) return { ok: false, reason: "code_language" };
  const qWords = words(query);
  const cWords = words(candidate);
  for (const e of entitiesIn(query)) if (!cWords.has(e)) return { ok: false, reason: "entities" };
  for (const e of entitiesIn(candidate)) if (!qWords.has(e)) return { ok: false, reason: "entities" };
  return { ok: true };
}
