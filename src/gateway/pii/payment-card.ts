// Payment cards (PAN). A candidate is accepted only if all of these hold:
//   - 13 to 19 digits, written contiguously or grouped by one kind of separator (all spaces or all dashes) in a
//     card layout: groups of 4 with a shorter last group ("4111 1111 1111 1111", "4111-1111-1111-1111-123"),
//     or Amex/Diners 4-6-5 / 4-6-4;
//   - the number starts with an issuer prefix (IIN) of a known network and has a length that network issues;
//   - the Luhn checksum holds;
//   - it is not glued to a word, after a currency sign, or introduced as another kind of number ("EAN
//     4006381333931", "IMEI 356938035643809", "order id …"): see numbers.ts.
// The IIN table keeps random Luhn-valid numbers (order ids, snowflake ids, timestamps, factorials) out: most
// start with a digit or a length no network uses.
import { type DigitChain, groupDigits } from "./digit-chains";

interface Network {
  from: number;
  to: number;
  /** Number of leading digits `from`/`to` describe. */
  prefix: number;
  lengths: readonly number[];
}

const L16_19 = [16, 17, 18, 19];
const NETWORKS: readonly Network[] = [
  { from: 4, to: 4, prefix: 1, lengths: [13, 16, 19] }, // Visa
  { from: 51, to: 55, prefix: 2, lengths: [16] }, // Mastercard
  { from: 2221, to: 2720, prefix: 4, lengths: [16] }, // Mastercard 2-series
  { from: 34, to: 34, prefix: 2, lengths: [15] }, // American Express
  { from: 37, to: 37, prefix: 2, lengths: [15] },
  { from: 6011, to: 6011, prefix: 4, lengths: L16_19 }, // Discover
  { from: 644, to: 649, prefix: 3, lengths: L16_19 },
  { from: 65, to: 65, prefix: 2, lengths: L16_19 },
  { from: 3528, to: 3589, prefix: 4, lengths: L16_19 }, // JCB
  { from: 300, to: 305, prefix: 3, lengths: [14, 16] }, // Diners Club
  { from: 3095, to: 3095, prefix: 4, lengths: [14, 16] },
  { from: 36, to: 36, prefix: 2, lengths: [14, 16] },
  { from: 38, to: 39, prefix: 2, lengths: [14, 16] },
  { from: 62, to: 62, prefix: 2, lengths: L16_19 }, // UnionPay (and Discover's 622126–622925)
  { from: 2200, to: 2204, prefix: 4, lengths: L16_19 }, // Mir
  { from: 50, to: 50, prefix: 2, lengths: [13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { from: 56, to: 58, prefix: 2, lengths: [13, 14, 15, 16, 17, 18, 19] },
  { from: 67, to: 67, prefix: 2, lengths: [13, 14, 15, 16, 17, 18, 19] },
  { from: 6304, to: 6304, prefix: 4, lengths: [13, 14, 15, 16, 17, 18, 19] },
  { from: 60, to: 60, prefix: 2, lengths: [16] }, // RuPay
  { from: 81, to: 82, prefix: 2, lengths: [16] },
];

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A known network issues numbers with this prefix and length. */
export function knownCardNetwork(digits: string): boolean {
  return NETWORKS.some((n) => {
    if (!n.lengths.includes(digits.length)) return false;
    const p = Number(digits.slice(0, n.prefix));
    return p >= n.from && p <= n.to;
  });
}

export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && knownCardNetwork(digits) && luhnValid(digits);
}

/** Group sizes a card is printed with: one block, 4-4-…-(1..4), or 4-6-5 / 4-6-4. */
function cardLayout(sizes: readonly number[]): boolean {
  if (sizes.length === 1) return true;
  if (sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (sizes[2] === 5 || sizes[2] === 4)) return true;
  const last = sizes[sizes.length - 1]!;
  return last >= 1 && last <= 4 && sizes.slice(0, -1).every((s) => s === 4);
}

/** Groups [from, to) of the chain form a card. The caller has checked that they share one separator. */
function cardAt(text: string, chain: DigitChain, from: number, to: number): boolean {
  if (to - from > 5) return false;
  const total = chain.groupEnd[to - 1]! - chain.groupStart[from]! - (to - from - 1); // one-character separators
  if (total < 13 || total > 19) return false;
  const sizes: number[] = [];
  for (let k = from; k < to; k++) sizes.push(groupSize(chain, k));
  if (sizes.reduce((a, b) => a + b) !== total || !cardLayout(sizes)) return false;
  return isCardNumber(groupDigits(text, chain, from, to));
}

/**
 * Card candidates in one chain (`bounds` from tokenBounds), as group ranges [from, to): each tight token whose
 * groups are joined by "-" (or that is one block of digits), and each maximal run of space-joined one-group
 * tokens. A space-grouped card followed by a space and a 3-digit CVV is also found ("4111 1111 1111 1111 123").
 */
export function cardsInChain(text: string, chain: DigitChain, bounds: readonly number[]): [number, number][] {
  const found: [number, number][] = [];
  const tokens = bounds.length - 1;
  for (let t = 0; t < tokens; t++) {
    const from = bounds[t]!;
    const to = bounds[t + 1]!;
    let dashed = true;
    for (let k = from; k < to - 1 && dashed; k++) dashed = chain.joiners[k] === "-";
    if (dashed && cardAt(text, chain, from, to)) found.push([from, to]);
  }
  const oneGroup = (t: number) => bounds[t + 1]! - bounds[t]! === 1;
  let t = 0;
  while (t < tokens) {
    let u = t;
    while (u < tokens && oneGroup(u) && (u === t || chain.joiners[bounds[u]! - 1] === " ")) u++;
    if (u - t >= 2) {
      const from = bounds[t]!;
      const to = bounds[u]!;
      if (cardAt(text, chain, from, to)) found.push([from, to]);
      else if (to - from === 5 && groupSize(chain, to - 1) === 3 && cardAt(text, chain, from, to - 1))
        found.push([from, to - 1]);
    }
    t = Math.max(u, t + 1);
  }
  return found;
}

function groupSize(chain: DigitChain, k: number): number {
  return chain.groupEnd[k]! - chain.groupStart[k]!;
}
