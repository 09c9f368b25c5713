// Digit chains: the unit the number detectors (phone, payment card, SSN, IPv4) reason about. A chain is a run of
// ASCII digit groups, each pair joined by exactly one separator:
//
//   " " (or a no-break / thin space)   "-" (or a Unicode hyphen / no-break hyphen, as word processors write one)
//   "."   "/"   "(" and ")" around one group ("(415) 555", "(0)20")
//
// with an optional leading "+" and/or "(". "+1 (415) 555-2671", "192.0.2.1", "2024-05-01 10" and
// "4111 1111 1111 1111" are each one chain; "1,234" and "10:30" are two ("," and ":" do not join). Chains are
// maximal, so a detector that accepts only a whole chain (or a whole part of one split at a different separator)
// never reads a phone number out of the middle of a longer run of numbers.
//
// The scanner visits each character a bounded number of times: linear in the text whatever it contains.
import { isDigitCode, isHyphenCode, isSpaceCode } from "./text";

export type Joiner = " " | "-" | "." | "/" | "(" | ")" | " (" | ") " | ")-";

export interface DigitChain {
  /** First character, including a leading "+" and/or "(". */
  readonly start: number;
  /** Just past the last digit. */
  readonly end: number;
  /** Whether the chain starts with "+". */
  readonly plus: boolean;
  /** How many digits the chain holds. */
  readonly digits: number;
  /** Offsets of each digit group: group i is text.slice(groupStart[i], groupEnd[i]). */
  readonly groupStart: number[];
  readonly groupEnd: number[];
  /** joiners[i] joins group i and group i + 1. */
  readonly joiners: Joiner[];
}

const PLUS = 0x2b;
const OPEN = 0x28;
const CLOSE = 0x29;
const DOT = 0x2e;
const SLASH = 0x2f;

/** The joiner at `j` (just after a digit group; the next group starts after it), or null if the chain ends. */
function joinerAt(text: string, j: number, parenOpen: boolean): Joiner | null {
  const c = text.charCodeAt(j);
  const c1 = text.charCodeAt(j + 1);
  if (isDigitCode(c1)) {
    if (isHyphenCode(c)) return "-";
    if (c === DOT) return ".";
    if (isSpaceCode(c)) return " ";
    if (c === SLASH) return "/";
    if (c === CLOSE) return parenOpen ? ")" : null;
    if (c === OPEN) return parenOpen ? null : "(";
    return null;
  }
  if (!isDigitCode(text.charCodeAt(j + 2))) return null;
  if (c === CLOSE && parenOpen && (isSpaceCode(c1) || isHyphenCode(c1))) return isHyphenCode(c1) ? ")-" : ") ";
  if (isSpaceCode(c) && c1 === OPEN && !parenOpen) return " (";
  return null;
}

/**
 * Calls `visit` with every digit chain of `text`, in order, except lone groups of fewer than `minLone` digits
 * (a year, a count: most numbers in prose), which are skipped without building a chain.
 */
export function forEachDigitChain(text: string, minLone: number, visit: (chain: DigitChain) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigitCode(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let first = i + 1;
    while (first < n && isDigitCode(text.charCodeAt(first))) first++;
    if (first - i < minLone && joinerAt(text, first, text.charCodeAt(i - 1) === OPEN) === null) {
      i = first;
      continue;
    }
    let start = i;
    let parenOpen = false;
    if (text.charCodeAt(start - 1) === OPEN) {
      start--;
      parenOpen = true;
    }
    const plus = text.charCodeAt(start - 1) === PLUS;
    if (plus) start--;
    const groupStart: number[] = [];
    const groupEnd: number[] = [];
    const joiners: Joiner[] = [];
    let digits = 0;
    let g = i;
    for (;;) {
      let j = g + 1;
      while (j < n && isDigitCode(text.charCodeAt(j))) j++;
      groupStart.push(g);
      groupEnd.push(j);
      digits += j - g;
      const joiner = joinerAt(text, j, parenOpen);
      if (!joiner) {
        i = j;
        break;
      }
      if (joiner === "(" || joiner === " (") parenOpen = true;
      else if (joiner === ")" || joiner === ") " || joiner === ")-") parenOpen = false;
      joiners.push(joiner);
      g = j + joiner.length;
    }
    visit({ start, end: i, plus, digits, groupStart, groupEnd, joiners });
  }
}

/** The chain's text with every kind of space written as " " and of hyphen as "-", for matching against formats. */
export function chainText(text: string, chain: DigitChain): string {
  return text
    .slice(chain.start, chain.end)
    .replace(/[\u00a0\u2009\u202f]/g, " ")
    .replace(/[\u2010\u2011]/g, "-");
}

/** The digits of groups [from, to) concatenated. */
export function groupDigits(text: string, chain: DigitChain, from: number, to: number): string {
  let digits = "";
  for (let k = from; k < to; k++) digits += text.slice(chain.groupStart[k], chain.groupEnd[k]);
  return digits;
}

export const isSpaced = (joiner: Joiner): boolean => joiner.includes(" ");

/**
 * The chain split at spaced joiners into tight tokens ("415-555-2671", "12/25", "4111"): token i is groups
 * [bounds[i], bounds[i + 1]).
 */
export function tokenBounds(chain: DigitChain): number[] {
  const bounds = [0];
  const groups = chain.groupStart.length;
  for (let k = 0; k < groups - 1; k++) if (isSpaced(chain.joiners[k]!)) bounds.push(k + 1);
  bounds.push(groups);
  return bounds;
}
