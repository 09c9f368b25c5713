// The embedded embedder: deterministic feature hashing, no model and no network. Features are word unigrams,
// word bigrams and character 3-grams of each word (with boundary markers); each is hashed (FNV-1a) to a
// bucket and a sign, weighted by group and by sublinear term frequency, and the vector is L2-normalised.
// Whole words dominate, so questions about different things stay apart; character n-grams give some
// robustness to inflection and typos. Empty text embeds to a fixed unit vector (bucket 0); the gateway never
// caches prompts whose normalised text is empty.
import type { Embedder } from "./embedder";

const WEIGHTS = { word: 1.0, bigram: 0.6, char: 0.25 } as const;

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class LexicalEmbedder implements Embedder {
  readonly id = "cordon-lexical-v1";

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 8) throw new Error("dimensions must be an integer ≥ 8");
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    const words = text.toLowerCase().split(/[^\p{L}\p{N}.#+]+/u).filter(Boolean);
    words.forEach((w, i) => {
      add(`w:${w}`, WEIGHTS.word);
      if (i > 0) add(`b:${words[i - 1]} ${w}`, WEIGHTS.bigram);
      const padded = `<${w}>`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, WEIGHTS.char);
    });

    const v = new Array<number>(this.dimensions).fill(0);
    if (counts.size === 0) {
      v[0] = 1;
      return v;
    }
    for (const [feature, weight] of counts) {
      const h = fnv1a(feature);
      const bucket = (h >>> 1) % this.dimensions;
      const sign = h & 1 ? 1 : -1;
      // Sublinear: a repeated feature counts as 1 + ln(count) occurrences of its group weight.
      const groupWeight = WEIGHTS[feature[0] === "w" ? "word" : feature[0] === "b" ? "bigram" : "char"];
      const tf = weight / groupWeight;
      v[bucket]! += sign * groupWeight * (1 + Math.log(tf));
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    return v.map((x) => x / norm);
  }
}

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
