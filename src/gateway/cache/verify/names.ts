// Names in a prompt: programming languages, versions of named things ("python 3", "react 18", "GPT-4o"), and
// named entities — from the gazetteer in any case, or from capitalisation (a capitalised word that is not at the
// start of a sentence, or an acronym). Read from the semantic view, so that filler is never taken for a name.
import type { SemanticView } from "../../text/semantic-text";
import type { Token } from "../../text/tokens";
import { canonicalWord, wordRole } from "../../text/word-roles";
import { ENTITY_NAMES, LANGUAGE_NAMES, type NameTable } from "./gazetteer";

/** A recognised name over the semantic words [start, end). */
export interface NameSpan {
  readonly start: number;
  readonly end: number;
  readonly id: string;
  readonly kind: "language" | "entity";
  /** The version written after the name, if any ("3", "18", "4o"). */
  readonly version?: string;
}

export interface Names {
  /** Programming languages, sorted and unique. */
  readonly languages: string[];
  /** `name@version` pairs, sorted. */
  readonly versions: string[];
  /** Named entities (gazetteer ids and capitalised words, canonical), not languages. */
  readonly entities: Set<string>;
  /** Every gazetteer match, by start index, for the content rules, which read a name as one term. */
  readonly spans: ReadonlyMap<number, NameSpan>;
}

// Single letters and "go" name a language only in phrasing that leaves no doubt.
const BEFORE_LANGUAGE = new Set("in using with write written learn learning ansi plain".split(" "));
const AFTER_LANGUAGE = new Set(
  (
    "language languages code program programs programming compiler function functions library libraries script " +
    "scripts package packages module modules routine routines struct structs pointer pointers channel channels " +
    "generics macro macros studio markdown developer developers"
  ).split(" "),
);
const CONTEXTUAL_LANGUAGES = new Set(["c", "go", "r"]);

export function namesOf(view: SemanticView): Names {
  const { words, tokens } = view;
  const languages = new Set<string>();
  const versions: string[] = [];
  const entities = new Set<string>();
  const spans = new Map<number, NameSpan>();

  for (let i = 0; i < words.length; ) {
    let span = longestName(view, i);
    if (span) {
      (span.kind === "language" ? languages : entities).add(span.id);
      const version = versionAfter(view, span.end);
      if (version) {
        versions.push(`${span.id}@${version.text}`);
        // The version's words belong to the name ("version 18", "v18", "4o"): the content rules skip them.
        let end = span.end;
        while (end < words.length && words[end]!.at <= version.lastToken) end++;
        span = { ...span, end, version: version.text };
      }
      spans.set(i, span);
      i = span.end;
      continue;
    }
    const glued = gluedVersion(words[i]!.text);
    if (glued) {
      const kind = LANGUAGE_NAMES.byPhrase.has(glued.name) ? "language" : "entity";
      const id = (kind === "language" ? LANGUAGE_NAMES : ENTITY_NAMES).byPhrase.get(glued.name)!;
      (kind === "language" ? languages : entities).add(id);
      versions.push(`${id}@${glued.version}`);
      spans.set(i, { start: i, end: i + 1, id, kind, version: glued.version });
    } else {
      const token = tokens[words[i]!.at]!;
      const name = isLetterA(tokens, words[i]!.at)
        ? LETTER_A
        : capitalisedName(words[i]!.text, token.text, token.sentenceStart);
      if (name) entities.add(name);
    }
    i++;
  }
  return { languages: [...languages].sort(), versions: versions.sort(), entities, spans };
}

/** The longest gazetteer name starting at word `i` (languages first), or null. */
function longestName(view: SemanticView, i: number): NameSpan | null {
  const { words } = view;
  const max = Math.max(LANGUAGE_NAMES.maxWords, ENTITY_NAMES.maxWords);
  let phrase = "";
  let best: NameSpan | null = null;
  for (let n = 1; n <= max && i + n <= words.length; n++) {
    phrase = n === 1 ? words[i]!.text : `${phrase} ${words[i + n - 1]!.text}`;
    const hit = match(LANGUAGE_NAMES, "language", phrase) ?? match(ENTITY_NAMES, "entity", phrase);
    if (hit && (n > 1 || !CONTEXTUAL_LANGUAGES.has(phrase) || isContextualLanguage(view, i))) {
      best = { start: i, end: i + n, ...hit };
    }
  }
  if (!best && CONTEXTUAL_LANGUAGES.has(words[i]!.text) && isContextualLanguage(view, i)) {
    best = { start: i, end: i + 1, id: words[i]!.text, kind: "language" };
  }
  return best;
}

function match(table: NameTable, kind: NameSpan["kind"], phrase: string): Omit<NameSpan, "start" | "end"> | null {
  const id = table.byPhrase.get(phrase);
  return id === undefined ? null : { id, kind };
}

/** "c", "go" and "r" as languages: "in C", "golang"-free "in go", "go code", "R script"; never "r&d". */
function isContextualLanguage(view: SemanticView, i: number): boolean {
  const { words, tokens } = view;
  const after = tokens[words[i]!.at + 1];
  if (after?.glued && after.kind === "symbol" && after.text !== "." && after.text !== "," && after.text !== "?")
    return false;
  return BEFORE_LANGUAGE.has(words[i - 1]?.text ?? "") || AFTER_LANGUAGE.has(words[i + 1]?.text ?? "");
}

/** The version written right after a name ending at word `end` ("3", "3.11", "v18", "version 2", "-4o"), with the
 * index of its last token. */
function versionAfter(view: SemanticView, end: number): { text: string; lastToken: number } | null {
  const { words, tokens } = view;
  let at = words[end - 1]!.at + 1;
  if (tokens[at]?.text === "-" && tokens[at]!.glued) at++;
  if (tokens[at]?.text.toLowerCase() === "version") at++;
  const t = tokens[at];
  if (!t) return null;
  if (t.kind === "number") {
    const suffix = tokens[at + 1];
    if (suffix?.glued && suffix.kind === "word" && suffix.text.length <= 3)
      return { text: t.text + suffix.text.toLowerCase(), lastToken: at + 1 };
    return { text: t.text, lastToken: at };
  }
  const lower = t.text.toLowerCase();
  if (lower.length > 1 && lower[0] === "v" && isVersionText(lower.slice(1)))
    return { text: lower.slice(1), lastToken: at };
  return null;
}

/** "python3", "vue3", "html5", "ios17", "python3.11": a known name with its version glued on. */
function gluedVersion(word: string): { name: string; version: string } | null {
  let cut = 0;
  while (cut < word.length && !(word.charCodeAt(cut) >= 48 && word.charCodeAt(cut) <= 57)) cut++;
  if (cut === 0 || cut === word.length) return null;
  const name = word.slice(0, cut);
  const version = word.slice(cut);
  if (!isVersionText(version)) return null;
  return LANGUAGE_NAMES.byPhrase.has(name) || ENTITY_NAMES.byPhrase.has(name) ? { name, version } : null;
}

/** Digits and dots, starting with a digit. */
function isVersionText(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c === 46 && i > 0))) return false;
  }
  return true;
}

/**
 * A capitalised word that names something: capitalised inside a sentence ("about Acme"), or an acronym of two
 * or more capitals anywhere ("SOC2", "GDPR"). A capital at the start of a sentence is grammar, not a name; words
 * that only shape a question (function words, soft words) are never names. Returns the canonical form.
 */
function capitalisedName(word: string, written: string, sentenceStart: boolean): string | null {
  const first = written.codePointAt(0)!;
  const initial = String.fromCodePoint(first);
  if (initial === initial.toLowerCase() || wordRole(word) !== "content") return null;
  if (sentenceStart && !isAcronym(written)) return null;
  return canonicalWord(word);
}

/** The entity of a capital "A" that names a kind; only another such "A" names it (the article "a" does not). */
export const LETTER_A = "a";

/**
 * A capital "A" inside a sentence after a word in lower case, with no capital word after it, names a kind, not an
 * article: "vitamin A deficiency", "hepatitis A", "type A". Not in "WHAT IS A MONAD" or "How To Write A Letter".
 */
function isLetterA(tokens: readonly Token[], at: number): boolean {
  const t = tokens[at]!;
  const before = tokens[at - 1];
  const after = tokens[at + 1];
  if (t.text !== "A" || t.sentenceStart || before?.kind !== "word") return false;
  if (before.text === before.text.toUpperCase()) return false;
  return !(after?.kind === "word" && after.text[0] !== after.text[0]!.toLowerCase());
}

function isAcronym(written: string): boolean {
  let capitals = 0;
  for (const ch of written) {
    if (ch !== ch.toUpperCase()) return false;
    if (ch !== ch.toLowerCase()) capitals++;
  }
  return capitals >= 2;
}
