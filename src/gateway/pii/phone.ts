// Phone numbers, judged on a whole digit chain (see digit-chains.ts) so that no phone number is read out of a
// longer run of numbers. A chain is a phone number if it matches one of these formats:
//
//   international  "+" (or "00", then grouped) then a valid ITU country code and 9–15 digits in all, an optional
//                  "(0)" trunk ("+44 20 7946 0958", "+14155552671", "+44 (0)20 7946 0958", "0033 6 12 34 56 78");
//                  a separate first group must be exactly the country code ("+100 200 300" is not a phone);
//                  under +1 the number must be a valid North American one (11 digits, area and exchange 2–9).
//   North American "(415) 555-2671", "415-555-2671", "415.555.2671", "415 555 2671", "1-415-555-2671": area
//                  code and exchange start with 2–9, one separator used throughout.
//   French pairs   "06 12 34 56 78", "01.42.68.53.00": 0 then nine digits in pairs, one separator throughout.
//   trunk-0        "020 7946 0958", "07700 900123", "030 12345678", "(0151) 1234 5678", "030/1234567": a 2–5 digit
//                  area code starting with 0, then a subscriber part not starting with 0; 10–12 digits in all.
//   with context   any other chain of 7–15 digits (spaces, "-", "." and parentheses only; not date-shaped) right
//                  after a phone word: "phone", "tel", "mobile", "cell", "fax", "WhatsApp", "call me"…
//                  ("my cell is 98480 22338", "tel: 4155552671").
//
// Never a phone: a chain glued to a word or another number ("v415-555-2671", "ORD-4155552671", "4155552671.txt"),
// followed by ":" and a digit (a time) or "%", preceded by a currency sign or "#" (but for "phone#", "cell#"…),
// or introduced by a word naming another kind of number ("order", "invoice", "ticket", "tracking", "account",
// "id", "isbn", "serial", "version"…);
// digits that are placeholders (one repeated digit, a run of 0123456789 / 9876543210, pairs counting up by a fixed
// step as in a byte dump "<Buffer 01 02 03 04 05>"). Years, dates, times,
// prices, versions, ports and short numbers fail the formats above by digit count, grouping or separators.
import { chainText, type DigitChain } from "./digit-chains";
import { isDigitCode, textBefore } from "./text";

const NANP_PAREN = /^(?:\+?1 ?)?\([2-9]\d\d\)[ -]?[2-9]\d\d[ .-]\d{4}$/;
const NANP_SEPARATED = /^(?:\+?1[ .-])?[2-9]\d\d([ .-])[2-9]\d\d\1\d{4}$/;
const NANP_DIGITS = /^1[2-9]\d\d[2-9]\d{6}$/;
const FRENCH_PAIRS = /^0[1-9]([ .-])\d\d\1\d\d\1\d\d\1\d\d$/;
const TRUNK_ZERO = /^(?:\(0\d{1,4}\) ?|0\d{1,4}[ /-])[1-9]\d{2,7}(?:[ -]\d{3,4})?$/;
const INTERNATIONAL = /^(?:\+|00[1-9])[\d ().-]+$/;
const CONTEXT_SHAPE = /^[\d ().-]+$/;
const DATE_SHAPE = /^(?:\d{4}[-. ]\d{1,2}[-. ]\d{1,2}|\d{1,2}[-. ]\d{1,2}[-. ](?:\d{2}|\d{4}))$/;
const DECIMAL_SHAPE = /^\d+\.\d+$/;

const PHONE_WORDS =
  /(?:\b(?:phone|telephone|tel|mobile|mob|cell|cellphone|fax|whats ?app|sms|t[eé]l[eé]phone|telefon|tel[eé]fono|handy)\b|\b(?:call|text|ring|reach|contact) (?:me|us|him|her|them)\b)[^\d\n]{0,24}$/i;

const NOT_A_PHONE_BEFORE =
  /(?:\b(?:order|invoice|inv|ticket|tracking|track|ref|reference|account|acct|id|sku|isbn|issn|serial|part|case|po|transaction|txn|confirmation|conf|booking|pnr|receipt|policy|claim|patent|vin|imei|licen[cs]e|passport|routing|iban|swift|zip|postcode|build|version|ver|v|item|product|model|batch|lot|job|run|row|record)\b\.?(?: ?(?:no|nr|num|number|#|id|code)\.?)? ?[:#=]? ?|(?<!\b(?:phone|telephone|tel|mobile|mob|cell|fax|ph) ?)# ?|[№$€£¥₹] ?)$/i;

/** ITU country-code blocks: first two digits of the codes that are two digits long, and of three-digit blocks. */
const TWO_DIGIT_CODES = new Set([
  20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62,
  63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
]);
const THREE_DIGIT_BLOCKS = new Set([
  21, 22, 23, 24, 25, 26, 29, 35, 37, 38, 42, 50, 59, 67, 68, 69, 80, 85, 87, 88, 96, 97, 99,
]);

/** Length of the country code `digits` starts with (E.164 codes are prefix-free), or 0 if none is assigned. */
export function countryCodeLength(digits: string): number {
  if (digits[0] === "1" || digits[0] === "7") return 1;
  const two = Number(digits.slice(0, 2));
  if (TWO_DIGIT_CODES.has(two)) return 2;
  return THREE_DIGIT_BLOCKS.has(two) ? 3 : 0;
}

const ASCENDING = "01234567890123456789";
const DESCENDING = "98765432109876543210";

/** One digit repeated, or a stretch of 0123456789 / 9876543210: example numbers, not anyone's. */
export function placeholderDigits(digits: string): boolean {
  if (/^(\d)\1*$/.test(digits)) return true;
  return digits.length <= 20 && (ASCENDING.includes(digits) || DESCENDING.includes(digits));
}

/** "01 02 03 04 05", "02 04 06 08 10": pairs counting up by a fixed step read as a sequence or a byte dump. */
function steppedPairs(shape: string): boolean {
  const pairs = shape.split(/\D/).map(Number);
  const step = pairs[1]! - pairs[0]!;
  return pairs.every((p, k) => k === 0 || p - pairs[k - 1]! === step);
}

function international(chain: DigitChain, shape: string): boolean {
  if (!INTERNATIONAL.test(shape)) return false;
  if (!chain.plus && chain.groupStart.length === 1) return false; // "00…" unbroken is a number, not a dialling code
  const prefix = chain.plus ? 0 : 2; // "+" is outside the groups; "00" is inside the first one
  const digits = shape.replace("(0)", "").replace(/\D/g, "").slice(prefix);
  if (digits.length < 9 || digits.length > 15) return false;
  const cc = countryCodeLength(digits);
  if (cc === 0) return false;
  const firstGroup = chain.groupEnd[0]! - chain.groupStart[0]! - prefix;
  if (chain.groupStart.length > 1 && firstGroup <= 3 && firstGroup !== cc) return false;
  if (cc === 1 && digits[0] === "1") return NANP_DIGITS.test(digits) && !placeholderDigits(digits.slice(1));
  return !placeholderDigits(digits.slice(cc));
}

function national(shape: string): boolean {
  if (NANP_PAREN.test(shape) || NANP_SEPARATED.test(shape))
    return !placeholderDigits(shape.replace(/\D/g, "").slice(-10));
  if (FRENCH_PAIRS.test(shape)) return !placeholderDigits(shape.replace(/\D/g, "").slice(1)) && !steppedPairs(shape);
  if (!TRUNK_ZERO.test(shape)) return false;
  const digits = shape.replace(/\D/g, "");
  return digits.length >= 10 && digits.length <= 12 && !placeholderDigits(digits.slice(1));
}

function withContext(text: string, chain: DigitChain, shape: string): boolean {
  if (!CONTEXT_SHAPE.test(shape) || DATE_SHAPE.test(shape) || DECIMAL_SHAPE.test(shape)) return false;
  const digits = shape.replace(/\D/g, "");
  if (digits.length > 15 || placeholderDigits(digits)) return false;
  return PHONE_WORDS.test(textBefore(text, chain.start));
}

/** Whether the whole chain is a phone number. The caller has checked that the chain is not glued to a word. */
export function isPhoneChain(text: string, chain: DigitChain): boolean {
  if (chain.end - chain.start > 32 || chain.digits < 7) return false;
  const after = text.charCodeAt(chain.end);
  if (after === 0x25 /* % */ || (after === 0x3a /* : */ && isDigitCode(text.charCodeAt(chain.end + 1)))) return false;
  const shape = chainText(text, chain);
  // Six groups at most, not counting a "(0)" trunk: "+33 (0)1 42 68 53 00" has seven.
  if (chain.groupStart.length > (shape.includes("(0)") ? 7 : 6)) return false;
  if (!(international(chain, shape) || national(shape) || withContext(text, chain, shape))) return false;
  return !NOT_A_PHONE_BEFORE.test(textBefore(text, chain.start));
}
