// Character and context helpers shared by the detectors. Every helper looks at a bounded window of the text, so
// calling one per candidate keeps a detector linear in the length of the text.

// Scripts written without spaces between words put numbers right next to letters ("电话13912345678",
// "010-1234-5678로"): their letters do not glue a number into a word.
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;
const SPACELESS_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A letter, digit or "_", i.e. a character that would make a match part of a longer word. Letters of scripts
 * written without spaces (Chinese, Japanese, Korean, Thai…) do not count.
 */
export function isWordCode(c: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const ch = String.fromCharCode(c);
  return NON_ASCII_WORD.test(ch) && !SPACELESS_SCRIPT.test(ch);
}

/** True when `text[i]` exists and is a word character. */
export function wordAt(text: string, i: number): boolean {
  return i >= 0 && i < text.length && isWordCode(text.charCodeAt(i));
}

/** Space, no-break space, thin space or narrow no-break space: the spaces people group digits with. */
export function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0xa0 || c === 0x2009 || c === 0x202f;
}

/** "-", or the Unicode hyphen and no-break hyphen a word processor puts in a phone number ("415‑555‑2671"). */
export function isHyphenCode(c: number): boolean {
  return c === 0x2d || c === 0x2010 || c === 0x2011;
}

const CONTEXT_WINDOW = 48;

/** Up to 48 characters before `start`, cut at the previous line break: the phrase that introduces a value. */
export function textBefore(text: string, start: number): string {
  const from = Math.max(0, start - CONTEXT_WINDOW);
  const slice = text.slice(from, start);
  const nl = slice.lastIndexOf("\n");
  return nl === -1 ? slice : slice.slice(nl + 1);
}

const JOINING_PUNCTUATION = new Set([0x2e, 0x2d, 0x2010, 0x2011, 0x5f, 0x2f, 0x5c]); // . - ‐ ‑ _ / \

/**
 * Whether a match starting at `start` sits inside a longer token: a word character right before it, or one of
 * `. - _ / \` with a word character before that ("v1.2", "ORD-4155552671", "/users/4155552671").
 */
export function gluedLeft(text: string, start: number): boolean {
  if (wordAt(text, start - 1)) return true;
  return start >= 2 && JOINING_PUNCTUATION.has(text.charCodeAt(start - 1)) && wordAt(text, start - 2);
}

/** The same after a match ending at `end` ("4155552671abc", "4155552671.txt"). */
export function gluedRight(text: string, end: number): boolean {
  if (wordAt(text, end)) return true;
  return end + 1 < text.length && JOINING_PUNCTUATION.has(text.charCodeAt(end)) && wordAt(text, end + 1);
}

const isLetterCode = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * The last `count` ASCII words before `start`, lower case, nearest first, skipping spaces and the punctuation that
 * introduces a value (": = # ( ." …), within the current line: "the server IP: " → ["ip", "server"]. A cheaper,
 * clearer test than a regex anchored at the end of the preceding text, for checks that run on every candidate.
 */
export function wordsBefore(text: string, start: number, count: number): string[] {
  const words: string[] = [];
  let i = start - 1;
  const stop = Math.max(0, start - CONTEXT_WINDOW);
  while (words.length < count && i >= stop) {
    while (i >= stop && !isLetterCode(text.charCodeAt(i))) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || isDigitCode(c)) return words; // a line break or another number ends the phrase
      i--;
    }
    const end = i + 1;
    while (i >= stop && isLetterCode(text.charCodeAt(i))) i--;
    if (end > i + 1) words.push(text.slice(i + 1, end).toLowerCase());
  }
  return words;
}
