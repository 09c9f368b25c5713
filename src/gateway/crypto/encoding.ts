// Byte encodings used by the gateway's crypto and storage keys. Base64 is workerd's own: the ES2026 methods of
// Uint8Array (TC39 "Uint8Array to/from base64"), which decode and encode in native code without the string copies
// and per-byte loops atob and btoa need. Base64url is without padding (RFC 7515 §2); decoding accepts it with or
// without, and refuses any character outside the alphabet.

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
