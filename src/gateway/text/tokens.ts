// The scanner every reading of a prompt starts from: words, numbers and symbols, with their positions, in one
// linear pass (no regular expression that can backtrack), and the arithmetic it recognises between them.

import { normalizeBounded } from "./normalize";

export interface Token {
  /** As written (case kept). */
  readonly text: string;
  readonly kind: "word" | "number" | "symbol";
  /** No white space between this token and the one before it. */
  readonly glued: boolean;
  /** First token of the text, of a line, or after `.`, `!`, `?` or `:`. */
  readonly sentenceStart: boolean;
}

const SPACE = 0;
const WORD = 1; // letters, marks, non-ASCII digits, underscore
const DIGIT = 2; // ASCII digits
const OTHER = 3;
const NON_ASCII_SPACE = /\s/u;
const NON_ASCII_WORD = /[\p{L}\p{M}\p{N}]/u;

function classAt(s: string, i: number): number {
  if (i >= s.length) return SPACE;
  const c = s.charCodeAt(i);
  if (c < 128) {
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return WORD;
    if (c >= 48 && c <= 57) return DIGIT;
    return c === 32 || (c >= 9 && c <= 13) ? SPACE : OTHER;
  }
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  if (NON_ASCII_SPACE.test(ch)) return SPACE;
  return NON_ASCII_WORD.test(ch) ? WORD : OTHER;
}

/** 2 at a surrogate pair (a code point outside the BMP), else 1. */
const widthAt = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
};
const isWordChar = (cls: number) => cls === WORD || cls === DIGIT;
const isDigitAt = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/**
 * Superscript digits, signs, brackets, i and n: an exponent, which NFKC would make a plain number glued to its base
 * ("2³" to "23", "10⁻³" to "10-3"); marked as the power it is first ("2^3", as typed by hand).
 */
const SUPERSCRIPTS = /[\u00b2\u00b3\u00b9\u2070\u2071\u2074-\u207f]+/g;

/**
 * Splits text (NFKC-normalised, superscripts read as powers, curly apostrophes made straight) into words, numbers and single-character
 * symbols, in one pass. Words keep in-token `.`, `'` and `_` ("node.js", "don't", "snake_case"), a leading dot
 * (".net") and a trailing `#` or `++` ("c#", "c++"). Numbers keep thousands groups and one decimal part
 * ("1,000", "3.5", ".5"); a hyphen is always a symbol of its own, so "GPT-4" is a word, a glued "-" and a number.
 */
export function tokenize(input: string): Token[] {
  const s = normalizeBounded(input.replace(SUPERSCRIPTS, "^$&"), "NFKC").replace(/[’‘`´]/g, "'");
  const out: Token[] = [];
  let i = 0;
  let glued = false;
  let boundary = true;
  const push = (start: number, kind: Token["kind"]) => {
    out.push({ text: s.slice(start, i), kind, glued, sentenceStart: boundary });
    glued = true;
  };
  while (i < s.length) {
    const cls = classAt(s, i);
    const c = s[i]!;
    if (cls === SPACE) {
      if (c === "\n" || c === "\r") boundary = true;
      glued = false;
      i += widthAt(s, i);
      continue;
    }
    const start = i;
    const dotWord = c === "." && !glued && classAt(s, i + 1) === WORD;
    if (cls === DIGIT || (c === "." && isDigitAt(s, i + 1) && !(glued && isWordChar(classAt(s, i - 1))))) {
      scanNumber();
      push(start, "number");
      boundary = false;
    } else if (cls === WORD || dotWord) {
      if (dotWord) i++;
      scanWord();
      push(start, "word");
      boundary = false;
    } else {
      i += widthAt(s, i);
      push(start, "symbol");
      if (c === "." || c === "!" || c === "?" || c === ":") boundary = true;
    }
  }
  return out;

  function scanWord(): void {
    for (;;) {
      while (i < s.length && isWordChar(classAt(s, i))) i += widthAt(s, i);
      const c = s[i];
      if ((c === "." || c === "'") && isWordChar(classAt(s, i + 1))) i++;
      else break;
    }
    if (s[i] === "#" && !isWordChar(classAt(s, i + 1))) i++;
    else if (s[i] === "+" && s[i + 1] === "+" && s[i + 2] !== "+" && !isWordChar(classAt(s, i + 2))) i += 2;
  }

  function scanNumber(): void {
    let lead = 0;
    while (isDigitAt(s, i)) {
      i++;
      lead++;
    }
    if (lead > 0 && lead <= 3) {
      // Thousands groups: ",ddd" not followed by another digit ("1,000,000"; "1,5" is two numbers).
      while (s[i] === "," && isDigitAt(s, i + 1) && isDigitAt(s, i + 2) && isDigitAt(s, i + 3) && !isDigitAt(s, i + 4))
        i += 4;
    }
    if (s[i] === "." && isDigitAt(s, i + 1)) {
      i++;
      while (isDigitAt(s, i)) i++;
    }
  }
}

/** The canonical value of a number token: no grouping commas, no leading or trailing zeros ("007" → "7", "3.50" → "3.5", ".5" → "0.5"). */
export function numberValue(token: string): string {
  let intEnd = token.indexOf(".");
  if (intEnd < 0) intEnd = token.length;
  let int = token.slice(0, intEnd).replaceAll(",", "");
  let a = 0;
  while (a < int.length - 1 && int[a] === "0") a++;
  int = int.slice(a) || "0";
  let frac = token.slice(intEnd + 1);
  let b = frac.length;
  while (b > 0 && frac[b - 1] === "0") b--;
  frac = frac.slice(0, b);
  return frac ? `${int}.${frac}` : int;
}

/** Operators of arithmetic, written as symbols, and the words that name them in normalised text. */
export const MATH_OPERATORS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    "+": "plus",
    "-": "minus",
    "−": "minus",
    "*": "times",
    "×": "times",
    "·": "times",
    "/": "over",
    "÷": "over",
    "^": "power",
    "=": "equals",
    "≠": "unequal",
    "<": "below",
    ">": "above",
    "≤": "atmost",
    "≥": "atleast",
    "±": "plusminus",
  }),
);

/** An operand of arithmetic: a number, a single letter ("x"), or a bracket on the operand's side. */
export function isOperand(t: Token | undefined, side: "left" | "right"): boolean {
  if (!t) return false;
  if (t.kind === "number") return true;
  if (t.kind === "word") return t.text.length === 1;
  return t.text === (side === "left" ? ")" : "(");
}

/** Whether the symbol at `i` is a binary arithmetic operator: "3x + 5", "x^2", "a-b"; not "GPT-4" or "x-ray". */
export function isBinaryOperatorAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  if (t.kind !== "symbol" || !MATH_OPERATORS.has(t.text)) return false;
  return isOperand(tokens[i - 1], "left") && isOperand(tokens[i + 1], "right");
}

/** Whether the symbol at `i` is a minus sign glued to the number after it, with no operand before ("-3", "(-3)"). */
export function isUnaryMinusAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  if (t.text !== "-" && t.text !== "−") return false;
  const right = tokens[i + 1];
  if (right?.kind !== "number" || !right.glued || isBinaryOperatorAt(tokens, i)) return false;
  const left = tokens[i - 1];
  return !t.glued || (left?.kind === "symbol" && left.text !== ")");
}

export const isMathOperatorAt = (tokens: readonly Token[], i: number): boolean =>
  isBinaryOperatorAt(tokens, i) || isUnaryMinusAt(tokens, i);
