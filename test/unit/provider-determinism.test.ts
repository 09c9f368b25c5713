// The local provider's token estimate and seeded generator.
import { describe, expect, it } from "vitest";
import { countTokens, Rng, tokenize, truncateToTokens } from "../../src/provider/determinism";

describe("tokens", () => {
  it.each([
    ["", [], 0],
    ["abc", ["abc"], 1],
    ["abcdefgh", ["abcd", "efgh"], 2],
    ["abcdefghi", ["abcd", "efgh", "i"], 3],
    ["😀😀😀😀😀", ["😀😀😀😀", "😀"], 2],
  ])("%o is %o (%i tokens)", (text, tokens, count) => {
    expect(tokenize(text)).toEqual(tokens);
    expect(countTokens(text)).toBe(count);
  });

  it("truncates to whole tokens without splitting a character", () => {
    expect(truncateToTokens("abcdefghij", 2)).toBe("abcdefgh");
    expect(truncateToTokens("😀😀😀😀😀", 1)).toBe("😀😀😀😀");
  });
});

describe("seeded generator", () => {
  const SEED = "a".repeat(64);

  it("gives the same sequence for the same seed and another for another seed", () => {
    const draw = (seed: string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => rng.nextUint32());
    };
    expect(draw(SEED)).toEqual(draw(SEED));
    expect(draw("b".repeat(64))).not.toEqual(draw(SEED));
  });

  it("draws uniform values in range", () => {
    const rng = new Rng(SEED);
    const values = Array.from({ length: 10_000 }, () => rng.next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const ints = Array.from({ length: 1000 }, () => rng.below(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(rng.chars(12, "xy")).toMatch(/^[xy]{12}$/);
  });

  it("still draws from an all-zero seed", () => {
    const rng = new Rng("0".repeat(64));
    expect(new Set(Array.from({ length: 10 }, () => rng.nextUint32())).size).toBeGreaterThan(1);
  });
});
