// Cache quality on the labelled pairs of test/fixtures/semantic-pairs.ts, through the semantic tier as the gateway
// runs it: semanticText on both prompts → lexical embedder (768 dimensions) → cosine ≥ the default threshold →
// verifyMatch on the original prompts. The numbers printed here are the ones in docs/cache-quality.md.
import { describe, expect, it } from "vitest";
import { cosine, LexicalEmbedder } from "../../src/gateway/adapters/embedder-lexical";
import { verifyMatch } from "../../src/gateway/cache/verify";
import { DEFAULT_POLICY } from "../../src/gateway/policy/tenant-policy";
import { semanticText } from "../../src/gateway/text/semantic-text";
import { MUST_NOT_HIT, SHOULD_HIT } from "../fixtures/semantic-pairs";

const embedder = new LexicalEmbedder(768);
const THRESHOLD = DEFAULT_POLICY.similarity_threshold;

/** Whether the semantic tier would answer `query` with the entry stored for `candidate`, and its similarity. */
function semanticHit(query: string, candidate: string, similarity = lexicalSimilarity(query, candidate)) {
  return { similarity, hit: similarity >= THRESHOLD && verifyMatch(query, candidate).ok };
}

function lexicalSimilarity(a: string, b: string): number {
  return cosine(embedder.embedOne(semanticText(a)), embedder.embedOne(semanticText(b)));
}

const hitPairs = Object.entries(SHOULD_HIT).flatMap(([category, pairs]) => pairs.map(([a, b]) => ({ category, a, b })));
const missPairs = Object.entries(MUST_NOT_HIT).flatMap(([category, pairs]) =>
  pairs.map(([a, b]) => ({ category, a, b })),
);
const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;

describe("labelled pairs", () => {
  it("hold at least 300 distinct pairs, ten or more per category, none labelled both ways", () => {
    expect(hitPairs.length + missPairs.length).toBeGreaterThanOrEqual(300);
    for (const pairs of [...Object.values(SHOULD_HIT), ...Object.values(MUST_NOT_HIT)])
      expect(pairs.length).toBeGreaterThanOrEqual(10);
    const keys = [...hitPairs, ...missPairs].map(({ a, b }) => [a, b].sort().join("\n"));
    expect(new Set(keys).size).toBe(keys.length);
    for (const { a, b } of [...hitPairs, ...missPairs]) expect(a).not.toBe(b);
  });
});

describe("cache quality with the lexical embedder at the default threshold", () => {
  it("serves no false hit on any must-not-hit pair, in either direction", () => {
    const falseHits = missPairs.filter(({ a, b }) => semanticHit(a, b).hit || semanticHit(b, a).hit);
    const byCategory = Object.keys(MUST_NOT_HIT).map((category) => {
      const pairs = missPairs.filter((p) => p.category === category);
      const aboveThreshold = pairs.filter(({ a, b }) => lexicalSimilarity(a, b) >= THRESHOLD).length;
      return `${category}: ${pairs.length} pairs, ${aboveThreshold} at or above ${THRESHOLD} before verification, 0 served`;
    });
    console.info(`must not hit (${missPairs.length} pairs):\n  ${byCategory.join("\n  ")}`);
    expect(falseHits).toEqual([]);
  });

  it("is refused by verification alone for every must-not-hit pair, so an embedder scoring 1.0 serves none", () => {
    const passed = missPairs.filter(({ a, b }) => verifyMatch(a, b).ok || verifyMatch(b, a).ok);
    expect(passed).toEqual([]);
    const constantEmbedder = missPairs.filter(({ a, b }) => semanticHit(a, b, 1).hit || semanticHit(b, a, 1).hit);
    expect(constantEmbedder).toEqual([]);
  });

  it("hits at least 60% of the should-hit pairs, the same in both directions", () => {
    const lines: string[] = [];
    let hits = 0;
    for (const [category, pairs] of Object.entries(SHOULD_HIT)) {
      let categoryHits = 0;
      for (const [a, b] of pairs) {
        const forward = semanticHit(a, b);
        expect(semanticHit(b, a)).toEqual(forward);
        if (forward.hit) categoryHits++;
      }
      hits += categoryHits;
      lines.push(`${category}: ${categoryHits}/${pairs.length} (${percent(categoryHits, pairs.length)})`);
    }
    console.info(`should hit: ${hits}/${hitPairs.length} (${percent(hits, hitPairs.length)})\n  ${lines.join("\n  ")}`);
    expect(hits / hitPairs.length).toBeGreaterThanOrEqual(0.6);
  });
});
