// Byte encodings used by the gateway's crypto and storage keys, and the forms of an embedding vector. Base64 is
// workerd's own: the ES2026 methods of Uint8Array (TC39 "Uint8Array to/from base64"), which decode and encode in
// native code without the string copies and per-byte loops atob and btoa need. Base64url is without padding
// (RFC 7515 §2); decoding accepts it with or without, and refuses any character outside the alphabet.

interface Base64Options {
  alphabet?: "base64" | "base64url";
  omitPadding?: boolean;
  lastChunkHandling?: "loose" | "strict" | "stop-before-partial";
}
const Native = Uint8Array as unknown as { fromBase64(s: string, options?: Base64Options): Uint8Array };
const encode = (bytes: Uint8Array, options: Base64Options): string =>
  (bytes as unknown as { toBase64(options: Base64Options): string }).toBase64(options);

export const toBase64 = (bytes: Uint8Array): string => encode(bytes, {});

export const fromBase64 = (b64: string): Uint8Array => Native.fromBase64(b64);

export const toBase64Url = (bytes: Uint8Array): string => encode(bytes, { alphabet: "base64url", omitPadding: true });

export const fromBase64Url = (s: string): Uint8Array => Native.fromBase64(s, { alphabet: "base64url" });

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * A vector as the gateway holds it: float32, as OpenAI's models compute it and its base64 form carries it — half
 * the memory of numbers, which matters for a batch of 2,048 inputs of 3,072 dimensions (25 MB so, not 50).
 */
export type EmbeddingVector = Float32Array;

// Float32Array uses the platform's byte order; OpenAI's base64 is little-endian, as every Workers host is.
if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) throw new Error("embeddings: big-endian platform");

/** A vector as OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64-encoded. */
export function float32Base64(vector: EmbeddingVector): string {
  return toBase64(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
}

/** The floats of a base64 float32 vector; null when it is not one. */
export function fromFloat32Base64(text: string): EmbeddingVector | null {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    return null;
  }
  if (bytes.length === 0 || bytes.length % 4 !== 0) return null;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * A vector as JSON numbers, as JSON.stringify writes an array of them (a float32 read as the double it is; no -0,
 * which the gateway never holds).
 */
export function float32Json(vector: EmbeddingVector): string {
  return `[${vector.join(",")}]`;
}
