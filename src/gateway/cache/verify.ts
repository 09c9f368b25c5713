// Hit verification beyond the similarity threshold: a semantic match is served only if the two prompts agree
// on what embeddings blur — numbers, negations, programming languages and named entities — so that "capital
// of France" never answers "capital of Germany" and "not recommended" never answers "recommended".
// Pure functions over the two original (un-normalised) last user messages.

export type VerifyResult = { ok: true } | { ok: false; reason: "numbers" | "entities" | "negation" | "code_language" };

const NUMBER_WORDS: Record<string, string> = {
  zero: "0", one: "1", two: "2", three: "3", four: "4", five: "5", six: "6", seven: "7", eight: "8", nine: "9", ten: "10",
  eleven: "11", twelve: "12", thirteen: "13", fourteen: "14", fifteen: "15", sixteen: "16", seventeen: "17",
  eighteen: "18", nineteen: "19", twenty: "20", first: "1st", second: "2nd", third: "3rd", hundred: "100", thousand: "1000",
  million: "1000000", billion: "1000000000",
};

const NEGATIONS = new Set(["not", "no", "never", "without", "none", "neither", "nor", "cannot", "nothing", "nobody", "nowhere"]);

/** Languages by the tokens that name them; ambiguous names ("go", "r", "c") only in unambiguous phrasing. */
const LANGUAGES: [RegExp, string][] = [
  [/\bpython\d?\b|\bpy\b/, "python"],
  [/\btypescript\b|\bts\b/, "typescript"],
  [/\bjavascript\b|\bjs\b|\bnode(?:\.js|js)?\b/, "javascript"],
  [/\bjava\b/, "java"],
  [/\bc\+\+|\bcpp\b/, "c++"],
  [/\bc#|\bcsharp\b|\.net\b/, "c#"],
  [/\b(?:in|using|with|write|for) c\b|\bansi c\b|\bc language\b|\bc code\b/, "c"],
  [/\bgolang\b|\b(?:in|using|with) go\b|\bgo (?:code|program|function|module)s?\b/, "go"],
  [/\brust\b/, "rust"],
  [/\bruby\b/, "ruby"],
  [/\bphp\b/, "php"],
  [/\bswift\b/, "swift"],
  [/\bkotlin\b/, "kotlin"],
  [/\bscala\b/, "scala"],
  [/\bsql\b|\bpostgres(?:ql)?\b|\bmysql\b|\bsqlite\b/, "sql"],
  [/\bbash\b|\bshell script\b|\bzsh\b/, "shell"],
  [/\bpowershell\b/, "powershell"],
  [/\b(?:in|using|with) r\b|\br language\b/, "r"],
  [/\bhaskell\b/, "haskell"],
  [/\belixir\b/, "elixir"],
  [/\bperl\b/, "perl"],
  [/\blua\b/, "lua"],
  [/\bdart\b/, "dart"],
  [/\bjulia\b/, "julia"],
  [/\bmatlab\b/, "matlab"],
];

/** Common words that are capitalised at the start of a sentence and say nothing about entities. */
const COMMON = new Set(
  ("a an the what which who whom whose when where why how is are was were be do does did can could would should will " +
    "shall may might must please tell me give list explain describe write show i you we they he she it my your our " +
    "their this that these those in on at of for to from with by about and or but if then so as is there here hi hey " +
    "hello thanks thank summarise summarize compare define translate create make find help").split(" "),
);

function expandContractions(text: string): string {
  return text
    .replace(/[’‘`]/g, "'")
    .replace(/\bcan't\b/gi, "cannot")
    .replace(/\bwon't\b/gi, "will not")
    .replace(/\b(\w+)n't\b/gi, "$1 not");
}

export function numbersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\d[\d,]*(?:\.\d+)?/g)) {
    let n = m[0].replace(/,(?=\d{3}\b)/g, "");
    if (n.includes(".")) n = n.replace(/\.?0+$/, "");
    out.push(n.replace(/,$/, ""));
  }
  for (const w of text.toLowerCase().match(/\p{L}+/gu) ?? []) if (NUMBER_WORDS[w]) out.push(NUMBER_WORDS[w]!);
  return out.sort();
}

function negationCount(text: string): number {
  return (expandContractions(text).toLowerCase().match(/\p{L}+/gu) ?? []).filter((w) => NEGATIONS.has(w)).length;
}

export function languagesIn(text: string): string[] {
  const lower = text.toLowerCase();
  return LANGUAGES.filter(([re]) => re.test(lower)).map(([, name]) => name).sort();
}

/** Words capitalised anywhere but the start of a sentence, plus acronyms; lower-cased. */
export function entitiesIn(text: string): Set<string> {
  const out = new Set<string>();
  const sentences = text.split(/(?<=[.!?])\s+|\n+/);
  for (const sentence of sentences) {
    const words = sentence.match(/[\p{L}][\p{L}\p{N}-]*/gu) ?? [];
    words.forEach((w, i) => {
      const capitalised = /^\p{Lu}/u.test(w);
      const acronym = w.length > 1 && w === w.toUpperCase() && /\p{Lu}/u.test(w);
      const lower = w.toLowerCase();
      if (!capitalised && !acronym) return;
      if (i === 0 && !acronym && COMMON.has(lower)) return;
      if (COMMON.has(lower) && !acronym) return;
      // Language names are compared by the code-language rule, which knows "Go" = "golang".
      if (languagesIn(`in ${lower}`).length > 0) return;
      out.add(lower);
    });
  }
  return out;
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}][\p{L}\p{N}-]*/gu) ?? []);
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function verifyMatch(query: string, candidate: string): VerifyResult {
  if (!sameList(numbersIn(query), numbersIn(candidate))) return { ok: false, reason: "numbers" };
  if (negationCount(query) !== negationCount(candidate)) return { ok: false, reason: "negation" };
  if (!sameList(languagesIn(query), languagesIn(candidate))) return { ok: false, reason: "code_language" };
  // An entity named in either prompt must appear, in any case, in the other.
  const qWords = words(query);
  const cWords = words(candidate);
  for (const e of entitiesIn(query)) if (!cWords.has(e)) return { ok: false, reason: "entities" };
  for (const e of entitiesIn(candidate)) if (!qWords.has(e)) return { ok: false, reason: "entities" };
  return { ok: true };
}
