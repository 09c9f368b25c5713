// What a prompt asks beyond its quantities and names: its negations and what they deny, the words that carry
// its content, the question it asks, and the order of its arguments. Built from the semantic view in linear time.
import type { SemanticView } from "../../text/semantic-text";
import { canonicalWord as canonical, memoize, NEGATION_WORDS, wordRole } from "../../text/word-roles";
import { isClauseMark } from "../../text/words";
import { MARKERS, PRONOUNS, QUESTION_WORDS, SPEAKERS, SYMMETRIC, THIRD_PERSONS } from "./lexicon";
import type { Names } from "./names";
import { isUnitWord } from "./quantities";

export interface Meaning {
  /** Negations with the first content term they deny ("not>work"), sorted. */
  readonly negations: string[];
  /** Canonical content terms: not function, soft, number, unit, language or negation words; third persons ("@she"). */
  readonly content: Set<string>;
  /** Every canonical word, function words included (for antonyms). */
  readonly vocabulary: Set<string>;
  /** Soft words present ("briefly", "explain"), canonical. */
  readonly soft: Set<string>;
  /** The kinds of question asked ("what", "how", "yes/no" for a clause opened by an auxiliary, …). */
  readonly questions: Set<string>;
  /**
   * Content terms with the participle they were written as ("bor>ed" for "bored", "bor>ing" for "boring"), or with
   * nothing when written as neither ("park>" for "park" and "parks").
   */
  readonly participles: Set<string>;
  /** Content terms, numbers, units, names, pronouns and markers in order; "~" stands for a symmetric connector. */
  readonly order: string[];
  /** The markers (prepositions) written, sorted, with repeats; "about" reads as "on" (a poem about / on the sea). */
  readonly markers: string[];
  /**
   * The one person of the conversation the prompt names, when it names only one: the asker ("I", "my") or the
   * one asked ("you", "your"); null when it names both or neither.
   */
  readonly speaker: "asker" | "asked" | null;
}

/** A connector in the order; its two neighbours are sorted, so "A and B" reads as "B and A". */
export const SYMMETRIC_MARK = "~";

/** One semantic word (or recognised name) as the rules below read it. */
interface Item {
  readonly kind:
    | "content"
    | "name"
    | "number"
    | "marker"
    | "pronoun"
    | "symmetric"
    | "negation"
    | "question"
    | "soft"
    | "other";
  /** Canonical term (content, name, number), the word itself (marker, other) or the negation kind. */
  readonly term: string;
  readonly word: string;
  /** First word of a sentence (a clause boundary for negation scope). */
  readonly sentenceStart: boolean;
  /** First word of the prompt, of a sentence, or after a clause mark (for yes/no questions). */
  readonly clauseStart: boolean;
}

const AUXILIARIES = new Set(
  "is are was were am do does did can could would should will shall may might must have has had".split(" "),
);

export function meaningOf(view: SemanticView, names: Names): Meaning {
  const canonicalWord = memoize(canonical);
  const items = itemsOf(view, names, canonicalWord);
  const content = new Set<string>();
  const vocabulary = new Set<string>();
  const questions = new Set<string>();
  const soft = new Set<string>();
  const order: string[] = [];
  const participles = new Set<string>();
  const speakers = new Set<"asker" | "asked">();
  items.forEach((item, k) => {
    if (item.kind === "soft") soft.add(item.term);
    if (item.kind === "name") {
      // A name is one term: its id for content (languages excepted), with its version in the order.
      vocabulary.add(item.word);
      if (!item.term.startsWith(LANGUAGE_PREFIX)) content.add(item.word);
    } else vocabulary.add(item.kind === "content" || item.kind === "number" ? item.term : canonicalWord(item.word));
    if (item.kind === "content") content.add(item.term);
    const participle = item.kind === "content" && item.term !== item.word ? participleOf(item.word) : null;
    if (participle) participles.add(`${item.term}>${participle}`);
    else if (item.kind === "content") participles.add(`${item.term}>`);
    const person = item.kind === "pronoun" ? THIRD_PERSONS.get(item.term.slice(1)) : undefined;
    if (person) content.add(`@${person}`);
    const speaker = item.kind === "pronoun" ? SPEAKERS.get(item.term.slice(1)) : undefined;
    if (speaker) speakers.add(speaker);
    if (item.kind === "question") questions.add(item.term);
    // "Is the sky blue?" asks yes or no; "why is the sky blue?" asks why; "don't …" asks nothing.
    const imperative = item.word === "do" && items[k + 1]?.kind === "negation";
    if (item.clauseStart && AUXILIARIES.has(item.word) && !imperative) questions.add("yes/no");
    if (ORDERED.has(item.kind)) order.push(item.term);
    if (item.kind === "symmetric") order.push(SYMMETRIC_MARK);
  });
  // "Can you buy Sudafed over the counter?" asks yes or no, like "Can I buy …", unless it asks what, how… itself or
  // asks for an answer ("can you explain recursion?", a soft word).
  const first = items[0];
  if (questions.size === 0 && view.words[0]?.afterAsk && first?.kind !== "soft") questions.add("yes/no");
  return {
    negations: negationsOf(items),
    content,
    vocabulary,
    soft,
    questions,
    participles,
    order: sortSymmetric(order),
    markers: items.flatMap((item) => (item.kind === "marker" ? [item.word === "about" ? "on" : item.word] : [])).sort(),
    speaker: speakers.size === 1 ? [...speakers][0]! : null,
  };
}

/**
 * Whether each prompt has a marker the other lacks: one preposition traded for another ("drive at 17" / "drive
 * under 17", "rain in 3 days" / "rain for 3 days", "fly at 36 weeks" / "fly after 36 weeks"). A prompt may drop
 * or add markers ("how to …" / "how do I …", "the capital of France" / "France's capital").
 */
export function tradesMarkers(a: readonly string[], b: readonly string[]): boolean {
  return !subMultiset(a, b) && !subMultiset(b, a);
}

/** Whether every element of sorted `small` is in sorted `large`, as many times. */
function subMultiset(small: readonly string[], large: readonly string[]): boolean {
  let j = 0;
  for (const x of small) {
    while (j < large.length && large[j]! < x) j++;
    if (large[j] !== x) return false;
    j++;
  }
  return true;
}

/**
 * Whether one prompt names only the asker and the other only the one asked: "what is my name?" / "what is your
 * name?", "how old am I?" / "how old are you?". A prompt that names neither ("can you …" is filler) matches either.
 */
export function swapsSpeakers(a: Meaning, b: Meaning): boolean {
  return a.speaker !== null && b.speaker !== null && a.speaker !== b.speaker;
}

const participleOf = (word: string) => (word.endsWith("ing") ? "ing" : word.endsWith("ed") ? "ed" : null);

/**
 * Whether `a` writes a term only as one participle and `b` only as the other: "bored" / "boring", "interested" /
 * "interesting", "crashed" / "crashing"; or one writes it only in "-ing" and the other only without: "parking" /
 * "parks", "painting" / "paint", "training" / "train". Stems make them one term; they do not mean one thing.
 */
export function participlesClash(a: Meaning, b: Meaning): boolean {
  return clashes(a, b) || clashes(b, a);
}

function clashes(a: Meaning, b: Meaning): boolean {
  for (const entry of a.participles) {
    if (b.participles.has(entry)) continue;
    const cut = entry.lastIndexOf(">");
    const form = entry.slice(cut + 1);
    if (form === "") continue;
    const others = form === "ed" ? ["ing"] : ["ed", ""];
    for (const o of others) {
      const other = `${entry.slice(0, cut)}>${o}`;
      if (b.participles.has(other) && !a.participles.has(other)) return true;
    }
  }
  return false;
}

const ORDERED = new Set<Item["kind"]>(["content", "name", "number", "marker", "pronoun"]);

/** Languages are kept in the order, but left out of the content terms (the code-language rule compares them). */
const LANGUAGE_PREFIX = "lang:";

function itemsOf(view: SemanticView, names: Names, canonicalWord: (word: string) => string): Item[] {
  const classify = memoize((word: string) => classifyWord(word, canonicalWord));
  const { words, tokens } = view;
  const items: Item[] = [];
  for (let i = 0; i < words.length; ) {
    const firstOfToken = i === 0 || words[i - 1]!.at !== words[i]!.at;
    const sentenceStart = tokens[words[i]!.at]!.sentenceStart && firstOfToken;
    const clauseStart = i === 0 || sentenceStart || (firstOfToken && isClauseMark(tokens[words[i]!.at - 1]));
    const span = names.spans.get(i);
    if (span) {
      const named = span.version === undefined ? span.id : `${span.id}@${span.version}`;
      const term = span.kind === "language" ? `${LANGUAGE_PREFIX}${named}` : named;
      items.push({ kind: "name", term, word: span.id, sentenceStart, clauseStart });
      i = span.end;
      continue;
    }
    const { text: word, quoted } = words[i++]!;
    // A quoted word is what is asked about: content whatever its role ("what does 'not' mean").
    // "let" asks leave ("let me know", "let's") before a pronoun; elsewhere it is the keyword ("const instead of let").
    const keyword = word === "let" && !PRONOUNS.has(words[i]?.text ?? "") && words[i]?.text !== "it";
    // "have to" is "must" ("do I have to pay" ≠ "do I pay"); "been" is a tense ("who has been" ≠ "who is").
    const obligation = (word === "have" || word === "has") && words[i]?.text === "to";
    const { kind, term } = obligation
      ? { kind: "content" as const, term: canonicalWord("must") }
      : (quoted && !isDigits(word)) || keyword || word === "been"
        ? { kind: "content" as const, term: canonicalWord(word) }
        : classify(word);
    items.push({ kind, term, word, sentenceStart, clauseStart });
  }
  return items;
}

function classifyWord(word: string, canonicalWord: (word: string) => string): Pick<Item, "kind" | "term"> {
  const negation = NEGATION_WORDS.get(word);
  if (negation) return { kind: "negation", term: negation };
  const question = QUESTION_WORDS.get(word);
  if (question) return { kind: "question", term: question };
  if (SYMMETRIC.has(word)) return { kind: "symmetric", term: word };
  if (MARKERS.has(word)) return { kind: "marker", term: word };
  const person = PRONOUNS.get(word);
  if (person) return { kind: "pronoun", term: `@${person}` };
  const role = wordRole(word);
  // "too" is a function word to the embedder, but "too salty" is not "salty".
  if (word === "too") return { kind: "content", term: word };
  if (role === "function") return { kind: "other", term: word };
  if (isDigits(word) || isUnitWord(word)) return { kind: "number", term: canonicalWord(word) };
  if (role === "soft") return { kind: "soft", term: canonicalWord(word) };
  return { kind: "content", term: canonicalWord(word) };
}

/**
 * Each negation with the term it denies ("not>work"), sorted. The denied term is the first content term after the
 * negation — except in an inverted question ("why isn't my code compiling"), where the negation rides on the
 * auxiliary before the subject: there it is the last content term of the clause, as in "why is my code not
 * compiling". A clause ends at a sentence boundary, a marker or a connector.
 */
function negationsOf(items: readonly Item[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < items.length; k++) {
    const n = items[k]!;
    if (n.kind !== "negation") continue;
    const inverted = AUXILIARIES.has(items[k - 1]?.word ?? "") && items[k - 2]?.kind === "question";
    let denied = "";
    for (let j = k + 1; j < items.length; j++) {
      const item = items[j]!;
      if (item.sentenceStart || item.kind === "negation") break;
      if (inverted && (item.kind === "marker" || item.kind === "symmetric")) break;
      if (item.kind !== "content" && item.kind !== "name") continue;
      denied = item.term;
      if (!inverted) break;
    }
    out.push(`${n.term}>${denied}`);
  }
  return out.sort();
}

function isDigits(word: string): boolean {
  const c = word.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/** Puts the two neighbours of each symmetric connector in sorted order: "b ~ a" → "a ~ b". */
function sortSymmetric(order: string[]): string[] {
  for (let i = 1; i + 1 < order.length; i++) {
    if (order[i] !== SYMMETRIC_MARK) continue;
    const left = order[i - 1]!;
    const right = order[i + 1]!;
    if (left === SYMMETRIC_MARK || right === SYMMETRIC_MARK || MARKERS.has(left) || MARKERS.has(right)) continue;
    if (left > right) {
      order[i - 1] = right;
      order[i + 1] = left;
    }
  }
  return order;
}

/**
 * Whether two prompts put the same arguments in a different relation: some term sits between two others in one
 * prompt and between the same two, swapped, in the other ("Roth to traditional" / "traditional to Roth", "A sues
 * B" / "B sues A", "X faster than Y" / "Y faster than X"), or two adjacent terms trade places ("milk chocolate" /
 * "chocolate milk"). Moving a whole phrase ("in Python, how do I …" / "how do I … in Python") is neither, so it
 * passes. A term that occurs n times in both prompts is compared occurrence by occurrence ("to" in "how to move
 * files from A to B"); terms whose counts differ are left to the content rule. Linear: one pass for positions,
 * one for prefix maxima and suffix minima.
 */
export function swapsArguments(a: readonly string[], b: readonly string[]): boolean {
  const countA = counts(a);
  const countB = counts(b);
  const comparable = (term: string) => countA.get(term) === countB.get(term);
  // The position in `b` of each term of `a`, occurrence by occurrence (-1: not comparable).
  const positionsB = new Map<string, number[]>();
  b.forEach((term, i) => {
    if (!comparable(term)) return;
    const list = positionsB.get(term);
    if (list) list.push(i);
    else positionsB.set(term, [i]);
  });
  const seen = new Map<string, number>();
  const inB = a.map((term) => {
    const k = seen.get(term) ?? 0;
    seen.set(term, k + 1);
    return positionsB.get(term)?.[k] ?? -1;
  });
  if (hasDecreasingTriple(inB.filter((p) => p >= 0))) return true;
  // Two argument terms adjacent in `a`, adjacent in `b` in the opposite order.
  for (let i = 0; i + 1 < a.length; i++) {
    const x = inB[i]!;
    const y = inB[i + 1]!;
    if (x >= 0 && y >= 0 && y + 1 === x && a[i] !== a[i + 1] && isArgument(a[i]!) && isArgument(a[i + 1]!)) return true;
  }
  return false;
}

/** Whether x > y > z for some i < j < k. */
function hasDecreasingTriple(sequence: readonly number[]): boolean {
  const suffixMin = new Array<number>(sequence.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = sequence.length - 1; i >= 0; i--) suffixMin[i] = Math.min(sequence[i]!, suffixMin[i + 1]!);
  let prefixMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sequence.length; i++) {
    const y = sequence[i]!;
    if (prefixMax > y && y > suffixMin[i + 1]!) return true;
    prefixMax = Math.max(prefixMax, y);
  }
  return false;
}

const isArgument = (term: string) => term !== SYMMETRIC_MARK && !MARKERS.has(term) && !term.startsWith("@");

function counts(terms: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of terms) out.set(t, (out.get(t) ?? 0) + 1);
  return out;
}
