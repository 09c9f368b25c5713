// API-key secrets: `cdn_{env}_{random}_{checksum}`. The prefix lets secret scanners recognise a leaked key and
// its environment; the checksum (CRC-32 of the rest, base62) rejects typos and garbage without a storage read.

export type KeyEnv = "live" | "test" | "dev";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 32; // ≈190 bits
const CHECKSUM_CHARS = 6;
const KEY_PATTERN = /^cdn_(live|test|dev)_([0-9A-Za-z]{32})_([0-9A-Za-z]{6})$/;

export function randomBase62(n: number): string {
  let out = "";
  while (out.length < n) {
    // Rejection sampling keeps every character uniform (248 = 4 × 62).
    for (const b of crypto.getRandomValues(new Uint8Array(n * 2))) {
      if (b < 248 && out.length < n) out += ALPHABET[b % 62];
    }
  }
  return out;
}

function base62(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function generateApiKey(env: KeyEnv): string {
  const body = `cdn_${env}_${randomBase62(RANDOM_CHARS)}`;
  return `${body}_${base62(crc32(body), CHECKSUM_CHARS)}`;
}

/** The key's environment if the format and checksum are right, else null. */
export function parseApiKey(secret: string): { env: KeyEnv } | null {
  const m = KEY_PATTERN.exec(secret);
  if (!m) return null;
  const body = secret.slice(0, secret.length - CHECKSUM_CHARS - 1);
  if (base62(crc32(body), CHECKSUM_CHARS) !== m[3]) return null;
  return { env: m[1] as KeyEnv };
}

export const looksLikeApiKey = (token: string) => token.startsWith("cdn_");

/** Public identifier of a key (shown in listings and the audit trail; not a secret). */
export function newKeyId(): string {
  return `key_${randomBase62(16)}`;
}
