// What makes the local provider deterministic: fingerprints of requests, a seeded random number generator for
// everything that looks random in a real answer (tool-call ids, logprobs, embedding values, obfuscation), and
// the token estimate every endpoint shares (a token is four characters, counted in code points).
import { canonicalJson } from "../shared/canonical-json";
import { sha256Hex } from "../shared/sha256";

/** Characters per token in every estimate, truncation and logprobs list. */
export const CHARS_PER_TOKEN = 4;

/** The text cut into tokens of four code points (the last may be shorter). */
export function tokenize(text: string): string[] {
  const points = Array.from(text);
  const tokens: string[] = [];
  for (let i = 0; i < points.length; i += CHARS_PER_TOKEN) tokens.push(points.slice(i, i + CHARS_PER_TOKEN).join(""));
  return tokens;
}

export const countTokens = (text: string): number => Math.ceil(Array.from(text).length / CHARS_PER_TOKEN);

/** The first `tokens` tokens of `text`. */
export const truncateToTokens = (text: string, tokens: number): string =>
  Array.from(text)
    .slice(0, tokens * CHARS_PER_TOKEN)
    .join("");

/** Eight hex digits naming a value independently of key order. */
export async function fingerprintOf(value: unknown): Promise<string> {
  return (await sha256Hex(canonicalJson(value))).slice(0, 8);
}

/** A hex digest of the seed, long enough to seed a generator. */
export const seedOf = (...parts: (string | number)[]): Promise<string> => sha256Hex(parts.join("\u0000"));

/**
 * A small seeded generator (xoshiro128**) of uniform numbers in [0, 1). The same seed always gives the same
 * sequence, on every platform: it uses 32-bit integer arithmetic only.
 */
export class Rng {
  private s: Uint32Array;

  /** `seedHex`: at least 32 hex digits (a SHA-256 digest). */
  constructor(seedHex: string) {
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) this.s[i] = Number.parseInt(seedHex.slice(i * 8, i * 8 + 8), 16) >>> 0;
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    let [a, b, c, d] = this.s as unknown as [number, number, number, number];
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    this.s.set([a, b, c, d]);
    return result;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** `length` characters from `alphabet`. */
  chars(length: number, alphabet = ALPHANUMERIC): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.below(alphabet.length)];
    return out;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

/** A fresh random id such as `chatcmpl-…` or `resp_…` (ids of objects are unique, as OpenAI's are). */
export function randomId(prefix: string, length = 24, alphabet = ALPHANUMERIC): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = prefix;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** OpenAI's request id format: `req_` and 32 hex digits. */
export const newRequestId = (): string => randomId("req_", 32, HEX);

/** The `system_fingerprint` of a model: fixed per model name, `fp_` and ten hex digits. */
export async function systemFingerprintOf(model: string): Promise<string> {
  return `fp_${(await sha256Hex(`system-fingerprint:${model}`)).slice(0, 10)}`;
}
