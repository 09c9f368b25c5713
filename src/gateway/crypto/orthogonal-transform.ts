// Embedding privacy: a secret orthogonal map per tenant, applied to every embedding before it reaches the
// vector index (and to every query vector), so that the index holds Q·v instead of v.
//
// Why orthogonal: Q preserves dot products, norms and so cosine similarity exactly (to float rounding), so
// semantic search over transformed vectors ranks and scores exactly as over the originals; no threshold moves.
//
// Construction: R rounds, each a secret permutation of the coordinates followed by a 2×2 orthogonal block on
// each disjoint pair (a Givens rotation by a secret angle composed with secret sign flips); with an odd
// dimension the unpaired last coordinate gets a secret sign. Successive permutations route every input
// coordinate into every output coordinate after about log2(d) rounds; R = 3·⌈log2 d⌉ + 2 rounds spread each
// input evenly (see transformRounds). Applying it costs R·d/2 two-by-two products: for d = 768, 32 rounds,
// well under a tenth of a millisecond. All parameters come from an AES-256-CTR keystream under a key derived
// from the seed by HKDF-SHA256 (salt "cordon", info "cordon/embedding-transform/v1/{d}"): the same seed and
// dimension always give the same map, and different dimensions give unrelated maps. Uniform integers are
// 64-bit draws reduced modulo n (bias below n/2^64, immaterial for a permutation); angles use 53-bit fractions.
// Its output is float64; stored as float32 (as both vector indexes do), cosines agree to about 1e-7.
//
// The map is a contract with the stored index: a changed seed, dimension, round count or derivation makes
// every stored vector unreachable. The known-answer test pins it; bump the `v1` label to change it.
//
// HONEST LIMITS — this is obfuscation with a secret, not encryption:
// - It is linear. Anyone holding d (or a few more) pairs (v, Q·v) — prompts they can embed plus the matching
//   leaked index entries — solves for Q by least squares and inverts the whole index.
// - It preserves all geometry: distances, clusters, nearest neighbours, and the statistics of the vector
//   cloud. With many leaked vectors and the public embedding model, an attacker can estimate Q without any
//   plaintext by aligning second-order statistics (the covariance's eigenvectors, the mean vector) of the
//   leaked cloud with the model's — costly and approximate, but not prevented.
// - What it does defeat: running an off-the-shelf embedding-inversion model (vec2text and similar) or a
//   nearest-neighbour lookup against public embeddings directly on a leaked index, and comparing or joining
//   vectors across tenants (each tenant has its own Q). Keep the seed as secret as the tenant data key it is
//   derived from; crypto-shredding the data key destroys Q as well.
import { utf8 } from "./encoding";

/**
 * Rounds for a dimension: 3·⌈log2 d⌉ + 2 (32 for d = 768, 35 for 1536). Measured: from about this many
 * rounds on, the largest entry of Q is that of a uniformly random orthogonal matrix (≈ 0.18 for d = 768);
 * with half as many, single input coordinates still dominate some outputs (0.57).
 */
export function transformRounds(dimensions: number): number {
  return 3 * Math.ceil(Math.log2(dimensions)) + 2;
}
export const MIN_TRANSFORM_DIMENSIONS = 2;
export const MAX_TRANSFORM_DIMENSIONS = 8192;
const SEED_BYTES = 32;

interface Round {
  /** Input coordinate feeding each output position. */
  readonly perm: Uint32Array;
  /** Per pair k: the 2×2 block [[c0, c1], [c2, c3]] at coef[4k…4k+3]. */
  readonly coef: Float64Array;
  /** Sign of the unpaired last coordinate (odd dimensions). */
  readonly lastSign: number;
}

/** Sequential reader over a pseudorandom byte string. */
class Keystream {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private uint32(): number {
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    if (this.offset > b.length) throw new Error("orthogonal transform: keystream exhausted");
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** An integer in [0, n), n ≤ 2^26: a 64-bit draw reduced mod n (the reduction is exact in doubles). */
  below(n: number): number {
    const hi = this.uint32() % n;
    const lo = this.uint32();
    return (((hi * (0x1_0000_0000 % n)) % n) + (lo % n)) % n;
  }

  /** A fraction in [0, 1) with 53 random bits. */
  fraction(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
  }

  sign(): number {
    const o = this.offset++;
    if (this.offset > this.bytes.length) throw new Error("orthogonal transform: keystream exhausted");
    return (this.bytes[o]! & 1) === 0 ? 1 : -1;
  }
}

function keystreamBytes(dimensions: number): number {
  const pairs = Math.floor(dimensions / 2);
  // Per round: d − 1 permutation draws (8 bytes), per pair an angle (8 bytes) and two signs (1 byte each),
  // and the sign of the unpaired coordinate (1 byte, drawn for even d too, so that every round reads alike).
  return transformRounds(dimensions) * ((dimensions - 1) * 8 + pairs * 10 + 1);
}

async function keystream(seed: Uint8Array, dimensions: number): Promise<Keystream> {
  const base = await crypto.subtle.importKey("raw", seed, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8(`cordon/embedding-transform/v1/${dimensions}`) },
    base,
    { name: "AES-CTR", length: 256 },
    false,
    ["encrypt"],
  );
  const zeros = new Uint8Array(keystreamBytes(dimensions));
  const stream = await crypto.subtle.encrypt({ name: "AES-CTR", counter: new Uint8Array(16), length: 64 }, key, zeros);
  return new Keystream(new Uint8Array(stream));
}

function drawRound(ks: Keystream, d: number): Round {
  const perm = new Uint32Array(d);
  for (let i = 0; i < d; i++) perm[i] = i;
  for (let i = d - 1; i > 0; i--) {
    // Fisher–Yates
    const j = ks.below(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const pairs = Math.floor(d / 2);
  const coef = new Float64Array(pairs * 4);
  for (let k = 0; k < pairs; k++) {
    const theta = 2 * Math.PI * ks.fraction();
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const sa = ks.sign();
    const sb = ks.sign();
    // Rotation by θ after flipping the pair's signs: [[c, −s], [s, c]] · diag(sa, sb).
    coef[4 * k] = c * sa;
    coef[4 * k + 1] = -s * sb;
    coef[4 * k + 2] = s * sa;
    coef[4 * k + 3] = c * sb;
  }
  const lastSign = ks.sign();
  return { perm, coef, lastSign };
}

/** A tenant's secret orthogonal map on R^d. Immutable; safe to cache per tenant and share across requests. */
export class OrthogonalTransform {
  private constructor(
    readonly dimensions: number,
    private readonly rounds: readonly Round[],
  ) {}

  /**
   * Builds the map for a 32-byte secret seed and a dimension (2…8192). Deterministic. Throws TypeError or
   * RangeError on a wrong seed length or dimension (configuration bugs).
   */
  static async fromSeed(seed: Uint8Array, dimensions: number): Promise<OrthogonalTransform> {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
      throw new TypeError(`orthogonal transform: the seed must be ${SEED_BYTES} bytes`);
    }
    if (
      !Number.isInteger(dimensions) ||
      dimensions < MIN_TRANSFORM_DIMENSIONS ||
      dimensions > MAX_TRANSFORM_DIMENSIONS
    ) {
      throw new RangeError(
        `orthogonal transform: dimensions must be an integer in ${MIN_TRANSFORM_DIMENSIONS}..${MAX_TRANSFORM_DIMENSIONS}`,
      );
    }
    const ks = await keystream(seed, dimensions);
    const rounds = Array.from({ length: transformRounds(dimensions) }, () => drawRound(ks, dimensions));
    return new OrthogonalTransform(dimensions, rounds);
  }

  /** Q·v. Throws RangeError for a vector of another length or with a non-finite component. */
  apply(vector: ArrayLike<number>): number[] {
    let a = this.load(vector);
    let b: Float64Array<ArrayBuffer> = new Float64Array(this.dimensions);
    const d = this.dimensions;
    const pairs = d >> 1;
    for (const { perm, coef, lastSign } of this.rounds) {
      for (let k = 0; k < pairs; k++) {
        const u = a[perm[2 * k]!]!;
        const v = a[perm[2 * k + 1]!]!;
        b[2 * k] = coef[4 * k]! * u + coef[4 * k + 1]! * v;
        b[2 * k + 1] = coef[4 * k + 2]! * u + coef[4 * k + 3]! * v;
      }
      if (d & 1) b[d - 1] = lastSign * a[perm[d - 1]!]!;
      [a, b] = [b, a];
    }
    return toArray(a);
  }

  /** Qᵀ·w = Q⁻¹·w: restores the original vector (to float rounding). Same errors as apply. */
  invert(vector: ArrayLike<number>): number[] {
    let a = this.load(vector);
    let b: Float64Array<ArrayBuffer> = new Float64Array(this.dimensions);
    const d = this.dimensions;
    const pairs = d >> 1;
    for (let r = this.rounds.length - 1; r >= 0; r--) {
      const { perm, coef, lastSign } = this.rounds[r]!;
      for (let k = 0; k < pairs; k++) {
        const u = a[2 * k]!;
        const v = a[2 * k + 1]!;
        b[perm[2 * k]!] = coef[4 * k]! * u + coef[4 * k + 2]! * v;
        b[perm[2 * k + 1]!] = coef[4 * k + 1]! * u + coef[4 * k + 3]! * v;
      }
      if (d & 1) b[perm[d - 1]!] = lastSign * a[d - 1]!;
      [a, b] = [b, a];
    }
    return toArray(a);
  }

  private load(vector: ArrayLike<number>): Float64Array<ArrayBuffer> {
    if (vector.length !== this.dimensions) {
      throw new RangeError(`orthogonal transform: expected ${this.dimensions} dimensions, got ${vector.length}`);
    }
    const out = new Float64Array(this.dimensions);
    for (let i = 0; i < out.length; i++) {
      const x = vector[i]!;
      if (!Number.isFinite(x)) throw new RangeError("orthogonal transform: non-finite component");
      out[i] = x;
    }
    return out;
  }
}

function toArray(values: Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}
