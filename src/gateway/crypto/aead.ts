// The primitives every key of Cordon is built from, all WebCrypto: HKDF-SHA256 derivation under fixed labels,
// HMAC-SHA256, and AES-256-GCM sealing with a random 96-bit IV and additional data that binds a ciphertext to
// where it belongs (it does not open anywhere else).
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from "./encoding";

const IV_BYTES = 12;

export function hkdfBase(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey", "deriveBits"]);
}

export function deriveAes(base: CryptoKey, label: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8(label) },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export function deriveHmac(base: CryptoKey, label: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8(label) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

export async function hmac(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(data)));
}

export async function seal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, key, plaintext),
  );
  const out = new Uint8Array(IV_BYTES + ct.length);
  out.set(iv);
  out.set(ct, IV_BYTES);
  return toBase64Url(out);
}

/** Throws when the ciphertext was altered, moved to another AAD, or sealed under another key. */
export async function open(key: CryptoKey, sealed: string, aad: string): Promise<Uint8Array> {
  const bytes = fromBase64Url(sealed);
  const iv = bytes.subarray(0, IV_BYTES);
  const ct = bytes.subarray(IV_BYTES);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, key, ct));
}

/** Constant-time string comparison: both sides are hashed first, so length differences do not leak either. */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const ka = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(a)));
  const kb = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(b)));
  return crypto.subtle.timingSafeEqual(ka, kb);
}
