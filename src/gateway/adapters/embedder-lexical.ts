// The embedded embedder: deterministic feature hashing, no model and no network (local dev, tests, benchmarks).
//
// Features of a text (the caller passes it through `semanticText` first, but any string is accepted):
//   - word unigrams              `w:{word}`         weight 1.0
//   - word bigrams               `b:{word} {word}`  weight 0.6
//   - character 3-grams of each word, padded with boundary markers (`<word>`)  `c:{gram}`  weight 0.25
// Words are runs of letters, digits and the in-token characters `.#+` (so "c++", "c#", "node.js" survive), with
// leading and trailing dots dropped. Each feature is hashed with 32-bit FNV-1a: the lowest bit gives the sign,
// the other 31 bits the bucket (mod dimensions), so collisions cancel out on average instead of piling up.
// A feature seen n times contributes weight × (1 + ln n) (sublinear TF). With these weights whole words carry
// most of the vector's mass (≈ 60 % for ordinary English), so questions about different things stay apart,
// while character n-grams give some robustness to inflection and typos. The vector is L2-normalised.
//
// Empty input (no word at all) embeds to a fixed unit vector: +1 in bucket 0. Every output is therefore a unit
// vector and cosine is always defined; the gateway never caches prompts whose normalised text is empty
// (`empty_prompt` in normalize.ts), so that vector is never stored or queried in practice.
import type { Embedder } from "../ports/embedder";

const WEIGHTS = { w: 1.0, b: 0.6, c: 0.25 } as const;
type Group = keyof typeof WEIGHTS;

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
    const word = token.replace(/^\.+|\.+$/g, "");
    if (word) out.push(word);
  }
  return out;
}

export class LexicalEmbedder implements Embedder {
  readonly id = "cordon-lexical-v1";
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
    const counts = new Map<string, number>();
    const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const words = lexicalWords(text);
    words.forEach((w, i) => {
      add(`w:${w}`);
      if (i > 0) add(`b:${words[i - 1]} ${w}`);
      const padded = `<${w}>`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`);
    });

    const v = new Array<number>(this.dimensions).fill(0);
    if (counts.size === 0) {
      v[0] = 1;
      return v;
    }
    for (const [feature, n] of counts) {
      const h = fnv1a(feature);
      const bucket = (h >>> 1) % this.dimensions;
      const sign = h & 1 ? 1 : -1;
      v[bucket]! += sign * WEIGHTS[feature[0] as Group] * (1 + Math.log(n));
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
