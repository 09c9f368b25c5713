// The embedded embedder: deterministic feature hashing, no model and no network (local dev, tests, benchmarks).
//
// Features of a text (the caller passes it through `semanticText` first, but any string is accepted), on the
// canonical form of each word (`canonicalWord`: stemmed, synonyms merged, so "lists" = "list", "car" = "automobile"):
//   - words                  `w:{word}`          weight 1.0 for content words, 0.2 for function and soft words
//   - pairs of neighbouring content words, unordered  `p:{a} {b}`  weight 0.5
//   - character 3-grams of each content word of at most 40 characters, padded (`<word>`)  `c:{gram}`  weight 0.2
// Function words ("what", "the", "to") and soft words ("briefly", "explain") come from the same lists hit
// verification uses, so the vector is mostly the prompt's content: paraphrases that verification accepts score
// close, while unrelated prompts stay apart. Pairs are unordered because word order is verification's job
// (direction rule). Words are runs of letters, digits and the in-token characters `.#+` (so "c++", "c#",
// "node.js" survive), with leading and trailing dots dropped. Each feature is hashed with 32-bit FNV-1a: the
// lowest bit gives the sign, the other 31 bits the bucket (mod dimensions), so collisions cancel out on average
// instead of piling up. A feature seen n times contributes weight × (1 + ln n) (sublinear TF). The vector is
// L2-normalised. Every step is linear in the length of the text.
//
// Empty input (no word at all) embeds to a fixed unit vector: +1 in bucket 0. Every output is therefore a unit
// vector and cosine is always defined; the gateway never caches prompts whose normalised text is empty
// (`empty_prompt` in plan.ts), so that vector is never stored or queried in practice.

import type { Embedder } from "../ports/embedder";
import { canonicalWord, memoize, wordRole } from "../text/word-roles";

const WEIGHTS = { content: 1.0, minor: 0.2, pair: 0.5, gram: 0.2 } as const;
/** Longer words (hashes, base64, runs of one letter) give no character n-grams: they are not language. */
const MAX_GRAM_WORD = 40;

/** 32-bit FNV-1a over the UTF-16 code units of `s`, unsigned. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The words of a text as the embedder sees them. */
export function lexicalWords(text: string): string[] {
  const out: string[] = [];
  for (const token of text.toLowerCase().split(/[^\p{L}\p{N}.#+]+/u)) {
    let start = 0;
    let end = token.length;
    while (start < end && token[start] === ".") start++;
    while (end > start && token[end - 1] === ".") end--;
    if (end > start) out.push(token.slice(start, end));
  }
  return out;
}

export class LexicalEmbedder implements Embedder {
  readonly id = "cordon-lexical-v2";
  readonly dimensions: number;

  constructor(dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 65_536) {
      throw new RangeError("lexical embedder dimensions must be an integer from 8 to 65536");
    }
    this.dimensions = dimensions;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** The synchronous core: one unit vector of `dimensions` numbers. */
  embedOne(text: string): number[] {
    const features = featuresOf(lexicalWords(text));
    const v = new Array<number>(this.dimensions).fill(0);
    if (features.size === 0) {
      v[0] = 1;
      return v;
    }
    for (const [feature, { weight, n }] of features) {
      const h = fnv1a(feature);
      const bucket = (h >>> 1) % this.dimensions;
      const sign = h & 1 ? 1 : -1;
      v[bucket]! += sign * weight * (1 + Math.log(n));
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    if (norm === 0) {
      // Every feature cancelled out in its bucket (possible only for tiny dimensions): still a unit vector.
      v[0] = 1;
      return v;
    }
    norm = Math.sqrt(norm);
    return v.map((x) => x / norm);
  }
}

/** A hashed feature's weight and how often it occurs. */
type Features = Map<string, { weight: number; n: number }>;

/**
 * The features of a word sequence (see the header). Work per distinct word, not per occurrence, where it can be:
 * character n-grams are counted once per distinct word, times its count, so a million repetitions of one word
 * cost a million map lookups, not seven million string slices.
 */
function featuresOf(words: readonly string[]): Features {
  const features: Features = new Map();
  const add = (feature: string, weight: number, n: number) => {
    const f = features.get(feature);
    if (f) {
      f.n += n;
      f.weight = Math.max(f.weight, weight);
    } else features.set(feature, { weight, n });
  };
  // Distinct words by canonical form, with their counts; neighbouring content words as numeric pair keys.
  const canonicalOf = memoize(canonicalWord);
  const roleOf = memoize(wordRole);
  const ids = new Map<string, number>();
  const distinct: { canonical: string; weight: number; content: boolean; n: number }[] = [];
  const pairs = new Map<number, number>();
  let previous = -1;
  for (const word of words) {
    const canonical = canonicalOf(word);
    const role = roleOf(word);
    const content = role === "content";
    const weight = content || role === "negation" ? WEIGHTS.content : WEIGHTS.minor;
    let id = ids.get(canonical);
    if (id === undefined) {
      id = distinct.length;
      ids.set(canonical, id);
      distinct.push({ canonical, weight, content, n: 0 });
    }
    const entry = distinct[id]!;
    entry.n += 1;
    entry.weight = Math.max(entry.weight, weight);
    entry.content ||= content;
    // Negations count, but outside pairs: "why didn't X survive" and "why did X not survive" pair the same words.
    if (!content) continue;
    if (previous >= 0 && previous !== id) {
      const key = Math.min(previous, id) * 2 ** 26 + Math.max(previous, id);
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    previous = id;
  }
  for (const { canonical, weight, content, n } of distinct) {
    add(`w:${canonical}`, weight, n);
    if (!content || canonical.length > MAX_GRAM_WORD) continue;
    const padded = `<${canonical}>`;
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, WEIGHTS.gram, n);
  }
  for (const [key, n] of pairs) {
    const a = distinct[Math.floor(key / 2 ** 26)]!.canonical;
    const b = distinct[key % 2 ** 26]!.canonical;
    add(a < b ? `p:${a} ${b}` : `p:${b} ${a}`, WEIGHTS.pair, n);
  }
  return features;
}

/** Cosine similarity of two vectors of equal length; 0 when either has no direction. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
