// IBANs: a country code with a known IBAN length (the SWIFT registry's table below), two check digits 02–98, and
// a mod-97 checksum that holds; written contiguously ("DE89370400440532013000") or in the print format, groups
// of four separated by single spaces ("DE89 3704 0044 0532 0130 00"; a no-break, thin or narrow no-break space
// counts, as between a card's groups). Letters must be upper case. The number must end where its country's
// length says (a longer run of letters and digits is not an IBAN).

import type { PiiFinding } from "./kinds";
import { isSpaceCode } from "./text";

/** IBAN length per country (SWIFT IBAN registry), written "DE22" = Germany, 22 characters. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 " +
    "DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 " +
    "IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 " +
    "MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 " +
    "SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
  )
    .split(" ")
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

// A country code and check digits where a run of letters and digits starts; readIban reads the rest (a bounded
// number of characters). The match is only the head, so that a candidate never swallows the next one: in
// "DE89370400440532013000 GB82WEST12345698765432" or "FROM DE44… TO DE89…" each IBAN starts its own match.
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[A-Z0-9 \u00a0\u2009\u202f])/g;

/** ISO 13616 check: move the first four characters to the end, letters to numbers, remainder mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const check = Number(iban.slice(2, 4));
  if (check < 2 || check > 98) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    const value = c <= 57 ? c - 48 : c - 55; // "0"–"9" → 0–9, "A"–"Z" → 10–35
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder === 1;
}

/**
 * The IBAN of `length` characters starting at `start`, written contiguously or with a single space after every
 * group of four: its characters and the offset just past the last one, or null.
 */
function readIban(text: string, start: number, length: number): { end: number; compact: string } | null {
  const spaced = isSpaceCode(text.charCodeAt(start + 4));
  let compact = "";
  let i = start;
  while (compact.length < length) {
    if (spaced && compact.length > 0 && compact.length % 4 === 0) {
      if (!isSpaceCode(text.charCodeAt(i))) return null;
      i++;
    }
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return null;
    compact += text[i];
    i++;
  }
  return { end: i, compact };
}

/** IBANs in `text`. */
export function ibans(text: string): PiiFinding[] {
  const found: PiiFinding[] = [];
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    const length = IBAN_LENGTHS.get(m[0].slice(0, 2));
    if (length === undefined) continue;
    const iban = readIban(text, m.index, length);
    if (!iban || /[A-Za-z0-9]/.test(text.charAt(iban.end))) continue;
    if (ibanChecksumValid(iban.compact)) found.push({ kind: "iban", start: m.index, end: iban.end });
  }
  return found;
}
