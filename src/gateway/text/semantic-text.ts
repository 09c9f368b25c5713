// The semantic tier's view of a prompt: surface variants of one question (case, punctuation, contractions,
// common misspellings, politeness) normalise to the same text before it is embedded, and the same word lists
// decide which words hit verification may ignore. Pure functions, each linear in the length of its input: text
// is read by one hand-written scanner, never by a regular expression that can backtrack.
//
// One source of truth: a word that `semanticText` strips (FILLER_PHRASES, words.ts) never reaches verification,
// because verification reads its words from `semanticView`; a word that stays in the text but may be absent from
// one of two matching prompts (SOFT_WORDS: "briefly", "explain") is listed in word-roles.ts, and the lexical
// embedder gives the same lists a low weight. The scanner is tokens.ts.
import { isMathOperatorAt, MATH_OPERATORS, numberValue, type Token, tokenize } from "./tokens";
import {
  CONTRACTIONS,
  CURRENCY,
  dropFiller,
  expandWord,
  numberWordAt,
  ORDINAL_SUFFIXES,
  RESPELL,
  type SemanticWord,
} from "./words";

export type { SemanticWord } from "./words";

/** A prompt as the semantic tier reads it: its tokens (case kept) and its semantic words. */
export interface SemanticView {
  readonly tokens: readonly Token[];
  readonly words: readonly SemanticWord[];
}

/**
 * The words of the semantic text: lower case, contractions expanded, misspellings corrected, numbers in canonical
 * form, arithmetic and `%`, `°` and currency signs next to numbers as words, other punctuation dropped, filler
 * removed — each with the token it comes from.
 */
export function semanticView(text: string): SemanticView {
  const tokens = tokenize(text);
  const words: SemanticWord[] = [];
  let quote = false;
  const add = (word: string, at: number) => words.push({ text: word, at, quoted: quote });
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.sentenceStart) quote = false;
    if (isQuoteMark(t)) {
      quote = quote ? !t.glued : opensQuote(tokens, i);
      continue;
    }
    if (t.kind === "word" && isLetterPrefix(tokens, i)) {
      // "e-mail", "x-ray", "t-shirt": a single letter hyphenated to a word is one word.
      add(`${t.text}${tokens[i + 2]!.text}`.toLowerCase(), i);
      i += 2;
    } else if (t.kind === "word") {
      const value = numberWordAt(tokens, i);
      const lower = t.text.toLowerCase();
      if (value !== null) add(value, i);
      else if (lower.includes("'") || CONTRACTIONS.has(lower) || RESPELL.has(lower))
        for (const w of expandWord(lower)) add(w, i);
      else add(lower, i);
    } else if (t.kind === "number") {
      const next = tokens[i + 1];
      const ordinal = next?.glued && next.kind === "word" && ORDINAL_SUFFIXES.has(next.text.toLowerCase());
      add(numberValue(t.text) + (ordinal ? next.text.toLowerCase() : ""), i);
      if (ordinal) i++;
    } else if (isMathOperatorAt(tokens, i)) {
      add(MATH_OPERATORS.get(t.text)!, i);
    } else if (t.text === "%" && tokens[i - 1]?.kind === "number") {
      add("percent", i);
    } else if (t.text === "°") {
      add("degrees", i);
    } else if (CURRENCY.has(t.text) && tokens[i + 1]?.kind === "number") {
      add(CURRENCY.get(t.text)!, i);
    }
  }
  return { tokens, words: dropFiller(words, tokens) };
}

function isLetterPrefix(tokens: readonly Token[], i: number): boolean {
  const hyphen = tokens[i + 1];
  const word = tokens[i + 2];
  return (
    tokens[i]!.text.length === 1 &&
    hyphen?.text === "-" &&
    hyphen.glued &&
    word?.kind === "word" &&
    word.glued &&
    word.text.length > 1
  );
}

const QUOTE_MARKS = new Set(["'", '"', "“", "”", "„", "«", "»"]);
const isQuoteMark = (t: Token) => t.kind === "symbol" && QUOTE_MARKS.has(t.text);

/** A quotation mark opens a quote when it is not glued to a word before it and is glued to the word after it. */
function opensQuote(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1];
  const after = tokens[i + 1];
  const apart = !tokens[i]!.glued || before?.kind === "symbol";
  return apart && after?.glued === true && after.kind !== "symbol";
}

/** The words of `semanticText`, in order. */
export function semanticWords(text: string): string[] {
  return semanticView(text).words.map((w) => w.text);
}

/**
 * Semantic tier: lower case, contractions expanded, filler removed, punctuation dropped (except inside tokens
 * such as "c++", "c#", "3.5" or "node.js"), white space folded. Surface variants of one question normalise to
 * the same text; numbers, signs, negations and names survive.
 */
export function semanticText(text: string): string {
  return semanticWords(text).join(" ");
}
