// Hit verification beyond the similarity threshold: a semantic match is served only if the two original prompts
// agree on everything an embedding blurs, so that no embedder — however close it scores two prompts — can make
// "Roth to traditional" answer "traditional to Roth", "3x + 5" answer "3x - 5" or "capital of France" answer
// "capital of Germany". Pure functions over the two original (un-normalised) last user messages, linear in their
// length. Every rule errs towards a miss: a false miss costs one provider call, a false hit serves a wrong answer.
//
// Rules, in this order (the first that fails is the reason; docs/cache-quality.md has examples):
//   too_long       either prompt is longer than MAX_VERIFIED_LENGTH characters.
//   code_language  the same programming languages ("go", "c" and "r" only in unambiguous phrasing).
//   version        the same versions of named things: "python 2" ≠ "python 3", "react 17" ≠ "react 18".
//   numbers        the same numbers with sign: "1,000" = "1000", "3.0" = "3", "three" = "3", "-3" ≠ "3".
//   operators      the same arithmetic, operand by operand: "3x + 5" ≠ "3x - 5", "5 - 3" ≠ "3 - 5"; and the same
//                  code operators written as symbols: "==" ≠ "===", "<<" ≠ ">>", "*p" ≠ "&p".
//   units          the same unit on each number and the same units named, alone too: "5 km" ≠ "5 miles",
//                  "°C" ≠ "°F", "days in a year" ≠ "weeks in a year".
//   entities       every name in one prompt is in the other: gazetteer names in any case ("paris", "react",
//                  "new york"), capitalised words inside a sentence, acronyms.
//   negation       the same negations of the same words: "does it work" ≠ "doesn't it work", "with" ≠ "without".
//   antonym        no word of one prompt has its opposite in the other: increase/decrease, import/export…
//   direction      no argument trades places around a term or with its neighbour: "convert X to Y" ≠ "convert Y
//                  to X", "A sues B" ≠ "B sues A"; "difference between A and B" = "… between B and A"; and no
//                  preposition traded for another: "drive at 17" ≠ "drive under 17".
//   content_words  the same content words, after filler (never seen), stems ("lists" = "list") and synonyms
//                  ("car" = "automobile"); soft words ("briefly", "explain") only added, never swapped; quoted
//                  words always count; not one participle for the other ("bored" ≠ "boring"), nor "-ing" for
//                  none ("parking" ≠ "parks"); the same third persons ("for him" ≠ "for her"); not the asker for
//                  the one asked ("my name" ≠ "your name"); and, when both ask one, the same kind of question
//                  ("what" ≠ "why").
import { semanticView } from "../../text/semantic-text";
import { antonymsOf } from "./lexicon";
import { type Meaning, meaningOf, participlesClash, swapsArguments, swapsSpeakers, tradesMarkers } from "./meaning";
import { LETTER_A, type Names, namesOf } from "./names";
import { type Quantities, quantitiesOf } from "./quantities";

/** Why verification refused a match: one short code per rule, in the order the rules run. */
export const VERIFY_REASONS = [
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
] as const;
export type VerifyReason = (typeof VERIFY_REASONS)[number];

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyReason };

interface Profile {
  readonly quantities: Quantities;
  readonly names: Names;
  readonly meaning: Meaning;
}

/**
 * Longest prompt verification reads (characters). Longer prompts never hit semantically: the rules are linear,
 * but a prompt of this size already holds thousands of details an answer may depend on, and the gateway verifies
 * up to five candidates per request. The exact tier still serves them.
 */
export const MAX_VERIFIED_LENGTH = 32_768;

function profileOf(text: string): Profile {
  const view = semanticView(text);
  const names = namesOf(view);
  return { quantities: quantitiesOf(view.tokens), names, meaning: meaningOf(view, names) };
}

/** Whether a cached answer to `candidate` may answer `query`. Symmetric. */
export function verifyMatch(query: string, candidate: string): VerifyResult {
  return verifierFor(query)(candidate);
}

/**
 * `verifyMatch` with the query read once, for checking one query against several candidates (the gateway looks
 * at up to five).
 */
export function verifierFor(query: string): (candidate: string) => VerifyResult {
  const q = query.length > MAX_VERIFIED_LENGTH ? null : profileOf(query);
  return (candidate) => {
    if (q === null || candidate.length > MAX_VERIFIED_LENGTH) return { ok: false, reason: "too_long" };
    const reason = firstDisagreement(q, profileOf(candidate));
    return reason ? { ok: false, reason } : { ok: true };
  };
}

function firstDisagreement(q: Profile, c: Profile): VerifyReason | null {
  if (!sameList(q.names.languages, c.names.languages)) return "code_language";
  if (!sameList(q.names.versions, c.names.versions)) return "version";
  if (!sameList(q.quantities.numbers, c.quantities.numbers)) return "numbers";
  if (
    !sameList(q.quantities.expressions, c.quantities.expressions) ||
    !sameList(q.quantities.symbols, c.quantities.symbols)
  )
    return "operators";
  if (!sameList(q.quantities.measures, c.quantities.measures) || !sameList(q.quantities.units, c.quantities.units))
    return "units";
  if (!namesPresent(q, c) || !namesPresent(c, q)) return "entities";
  if (!sameList(q.meaning.negations, c.meaning.negations)) return "negation";
  if (opposes(q.meaning, c.meaning) || opposes(c.meaning, q.meaning)) return "antonym";
  if (swapsArguments(q.meaning.order, c.meaning.order) || tradesMarkers(q.meaning.markers, c.meaning.markers))
    return "direction";
  if (
    !sameSet(q.meaning.content, c.meaning.content) ||
    participlesClash(q.meaning, c.meaning) ||
    swapsSpeakers(q.meaning, c.meaning) ||
    !sameQuestion(q.meaning, c.meaning) ||
    !softSubset(q, c)
  )
    return "content_words";
  return null;
}

/** Every entity of `a` is named in `b`, as an entity or as a word. */
function namesPresent(a: Profile, b: Profile): boolean {
  for (const e of a.names.entities)
    if (!b.names.entities.has(e) && (e === LETTER_A || !b.meaning.vocabulary.has(e))) return false;
  return true;
}

/** `a` has a word whose opposite is in `b`, where `a` lacks that opposite and `b` lacks the word. */
function opposes(a: Meaning, b: Meaning): boolean {
  for (const word of a.vocabulary) {
    if (b.vocabulary.has(word)) continue;
    const opposites = antonymsOf(word);
    if (!opposites) continue;
    for (const o of opposites) if (b.vocabulary.has(o) && !a.vocabulary.has(o)) return true;
  }
  return false;
}

/**
 * Soft words may be added, never swapped: one prompt's soft words are all in the other ("explain recursion" /
 * "please quickly explain recursion"), so "what does 'briefly' mean" never answers "what does 'quickly' mean".
 */
function softSubset(a: Profile, b: Profile): boolean {
  const [small, large] = a.meaning.soft.size <= b.meaning.soft.size ? [a, b] : [b, a];
  for (const w of small.meaning.soft) if (!large.meaning.soft.has(w)) return false;
  return true;
}

/** Question kinds agree when both prompts ask one; a prompt that asks none ("sort a list") agrees with any. */
function sameQuestion(a: Meaning, b: Meaning): boolean {
  return a.questions.size === 0 || b.questions.size === 0 || sameSet(a.questions, b.questions);
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The rules' readings of one prompt, for tests and diagnostics. */
export function numbersIn(text: string): string[] {
  return quantitiesOf(semanticView(text).tokens).numbers;
}

export function languagesIn(text: string): string[] {
  return namesOf(semanticView(text)).languages;
}

export function entitiesIn(text: string): Set<string> {
  return namesOf(semanticView(text)).entities;
}

export function negationCount(text: string): number {
  return profileOf(text).meaning.negations.length;
}
