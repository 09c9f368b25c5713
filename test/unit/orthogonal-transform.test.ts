import { beforeAll, describe, expect, it } from "vitest";
import {
  MAX_TRANSFORM_DIMENSIONS,
  OrthogonalTransform,
  transformRounds,
} from "../../src/gateway/crypto/orthogonal-transform";

const SEED = new Uint8Array(32).map((_, i) => i);
const OTHER_SEED = new Uint8Array(32).map((_, i) => 255 - i);

/** A seeded generator, so that every run tests the same vectors. */
function gaussians(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  return (n: number) =>
    Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const norm = (a: readonly number[]) => Math.sqrt(dot(a, a));
const cosine = (a: readonly number[], b: readonly number[]) => dot(a, b) / (norm(a) * norm(b));
const unit = (d: number, i: number) => Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));
const maxAbsDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe("OrthogonalTransform", () => {
  let q768: OrthogonalTransform;
  beforeAll(async () => {
    q768 = await OrthogonalTransform.fromSeed(SEED, 768);
  });

  it.each([2, 3, 8, 767, 768, 769, 1024, 1536])("inverts exactly and preserves norms in %i dimensions", async (d) => {
    const q = await OrthogonalTransform.fromSeed(SEED, d);
    const draw = gaussians(d);
    for (let t = 0; t < 5; t++) {
      const v = draw(d);
      const w = q.apply(v);
      expect(w).toHaveLength(d);
      expect(maxAbsDiff(q.invert(w), v)).toBeLessThan(1e-12);
      expect(maxAbsDiff(q.apply(q.invert(v)), v)).toBeLessThan(1e-12);
      expect(Math.abs(norm(w) - norm(v))).toBeLessThan(1e-12 * norm(v));
    }
  });

  it("preserves cosine similarity to 1e-6 (in fact to float rounding)", () => {
    const draw = gaussians(7);
    let worst = 0;
    for (let t = 0; t < 50; t++) {
      const a = draw(768);
      // Pairs from unrelated to nearly identical, as cache hits and misses are.
      const noise = draw(768);
      const b = a.map((x, i) => x + (t / 10) * noise[i]!);
      worst = Math.max(worst, Math.abs(cosine(q768.apply(a), q768.apply(b)) - cosine(a, b)));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(worst).toBeLessThan(1e-12);
  });

  it("preserves cosine similarity once stored as float32, to 1e-6", () => {
    const draw = gaussians(8);
    const a = draw(768);
    const b = a.map((x, i) => x + 0.3 * draw(768)[i]!);
    const stored = (v: number[]) => Array.from(new Float32Array(v));
    expect(Math.abs(cosine(stored(q768.apply(a)), stored(q768.apply(b))) - cosine(a, b))).toBeLessThan(1e-6);
  });

  it("is linear", () => {
    const draw = gaussians(9);
    const [a, b] = [draw(768), draw(768)];
    const combined = q768.apply(a.map((x, i) => 2 * x - 3 * b[i]!));
    const separate = q768.apply(a).map((x, i) => 2 * x - 3 * q768.apply(b)[i]!);
    expect(maxAbsDiff(combined, separate)).toBeLessThan(1e-12);
  });

  it("moves a vector far from itself: cosine to the original near 0 on average", () => {
    const draw = gaussians(10);
    const cosines = Array.from({ length: 100 }, () => {
      const v = draw(768);
      return cosine(v, q768.apply(v));
    });
    const mean = cosines.reduce((s, c) => s + c, 0) / cosines.length;
    const meanAbs = cosines.reduce((s, c) => s + Math.abs(c), 0) / cosines.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(meanAbs).toBeLessThan(0.1); // a random pair in 768 dimensions: ≈ 0.03
  });

  it("moves structured vectors too (a constant vector, an all-positive one, basis vectors)", () => {
    const ones = new Array(768).fill(1);
    expect(Math.abs(cosine(ones, q768.apply(ones)))).toBeLessThan(0.15);
    const positive = gaussians(11)(768).map(Math.abs);
    expect(Math.abs(cosine(positive, q768.apply(positive)))).toBeLessThan(0.15);
    for (const i of [0, 1, 383, 767]) expect(Math.abs(q768.apply(unit(768, i))[i]!)).toBeLessThan(0.25);
  });

  it("spreads every input coordinate over the output like a random orthogonal matrix", () => {
    // For a uniformly random orthogonal 768×768 matrix the largest entry is about 0.18.
    let largest = 0;
    for (let i = 0; i < 768; i += 3) largest = Math.max(largest, ...q768.apply(unit(768, i)).map(Math.abs));
    expect(largest).toBeLessThan(0.25);
  });

  it("is deterministic for a seed and a dimension", async () => {
    const again = await OrthogonalTransform.fromSeed(SEED.slice(), 768);
    const v = gaussians(12)(768);
    expect(again.apply(v)).toEqual(q768.apply(v));
  });

  it("gives unrelated maps for different seeds", async () => {
    const other = await OrthogonalTransform.fromSeed(OTHER_SEED, 768);
    const draw = gaussians(13);
    for (let t = 0; t < 10; t++) {
      const v = draw(768);
      expect(Math.abs(cosine(q768.apply(v), other.apply(v)))).toBeLessThan(0.2);
    }
  });

  it("gives a different map for a seed differing in one bit", async () => {
    const flipped = SEED.slice();
    flipped[31]! ^= 1;
    const other = await OrthogonalTransform.fromSeed(flipped, 768);
    const v = gaussians(14)(768);
    expect(Math.abs(cosine(q768.apply(v), other.apply(v)))).toBeLessThan(0.2);
  });

  it("never changes for a given seed and dimension (known answers: stored indexes depend on it)", async () => {
    const q8 = await OrthogonalTransform.fromSeed(SEED, 8);
    const expected8 = [
      -0.10866389048191119, -0.31295779032636917, -0.14319184157511827, -0.6454958565533591, 0.5405194774683965,
      -0.31156927486514974, -0.1768377050639856, -0.18047848504224198,
    ];
    expect(maxAbsDiff(q8.apply(unit(8, 0)), expected8)).toBeLessThan(1e-12);
    const q3 = await OrthogonalTransform.fromSeed(SEED, 3);
    expect(
      maxAbsDiff(q3.apply([1, 2, 3]), [-3.2765886620135882, -0.5143585486190307, -1.7318781779982457]),
    ).toBeLessThan(1e-12);
    const expected768 = [0.005698256382657796, 0.026228285411036428, -0.012089674253259382, 0.011675368637610997];
    expect(maxAbsDiff(q768.apply(unit(768, 0)).slice(0, 4), expected768)).toBeLessThan(1e-12);
  });

  it("uses 3·⌈log2 d⌉ + 2 rounds", () => {
    expect([2, 3, 768, 1024, 1536, 8192].map(transformRounds)).toEqual([5, 8, 32, 32, 35, 41]);
  });

  it("accepts Float32Array and Float64Array input", () => {
    const v = gaussians(15)(768);
    expect(maxAbsDiff(q768.apply(Float64Array.from(v)), q768.apply(v))).toBe(0);
    const f32 = Float32Array.from(v);
    expect(maxAbsDiff(q768.apply(f32), q768.apply(Array.from(f32)))).toBe(0);
  });

  it.each([
    ["a short vector", new Array(767).fill(0)],
    ["a long vector", new Array(769).fill(0)],
    ["NaN", [...new Array(767).fill(0), Number.NaN]],
    ["Infinity", [Number.POSITIVE_INFINITY, ...new Array(767).fill(0)]],
  ])("refuses %s", (_name, v) => {
    expect(() => q768.apply(v)).toThrow(RangeError);
    expect(() => q768.invert(v)).toThrow(RangeError);
  });

  it.each([
    ["a 16-byte seed", new Uint8Array(16), 768, TypeError],
    ["a 33-byte seed", new Uint8Array(33), 768, TypeError],
    ["one dimension", SEED, 1, RangeError],
    ["a fractional dimension", SEED, 767.5, RangeError],
    ["too many dimensions", SEED, MAX_TRANSFORM_DIMENSIONS + 1, RangeError],
  ])("refuses to build with %s", async (_name, seed, d, error) => {
    await expect(OrthogonalTransform.fromSeed(seed, d)).rejects.toThrow(error);
  });
});
