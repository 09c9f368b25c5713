// Byte encodings (crypto/encoding.ts): RFC 4648 test vectors for both alphabets, base64url without padding on
// output and with or without it on input, every byte value through both, and refusals of characters outside
// the alphabet — sealed values, JWTs and salts are decoded with these.
import { describe, expect, it } from "vitest";
import { fromBase64, fromBase64Url, toBase64, toBase64Url, toHex, utf8 } from "../../src/gateway/crypto/encoding";

// RFC 4648 §10.
const VECTORS: [string, string][] = [
  ["", ""],
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
  ["foobar", "Zm9vYmFy"],
];

describe("base64", () => {
  it.each(VECTORS)("%j ↔ %j", (text, b64) => {
    expect(toBase64(utf8(text))).toBe(b64);
    expect(new TextDecoder().decode(fromBase64(b64))).toBe(text);
  });

  it("refuses the URL alphabet and stray characters", () => {
    for (const bad of ["Zm9v-_", "Zm9v*", "Zm9vY!=="]) expect(() => fromBase64(bad)).toThrow();
  });
});

describe("base64url", () => {
  it.each(VECTORS)("%j ↔ %j without padding", (text, b64) => {
    const url = b64.replace(/=+$/, "");
    expect(toBase64Url(utf8(text))).toBe(url);
    expect(new TextDecoder().decode(fromBase64Url(url))).toBe(text);
    expect(new TextDecoder().decode(fromBase64Url(b64))).toBe(text);
  });

  it("uses - and _ where base64 has + and /", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf]);
    expect(toBase64(bytes)).toBe("+/+/");
    expect(toBase64Url(bytes)).toBe("-_-_");
    expect(toHex(fromBase64Url("-_-_"))).toBe("fbffbf");
  });

  it("round-trips every byte value, at every length modulo 3", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const n of [256, 255, 254]) {
      const bytes = all.subarray(0, n);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
  });

  it("refuses the standard alphabet's + and /, and characters outside either", () => {
    for (const bad of ["+/+/", "Zm9v/", "Zm9v.", "Zm9v%", "Zm9v\u00e9"]) expect(() => fromBase64Url(bad)).toThrow();
  });
});
