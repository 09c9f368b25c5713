// US Social Security numbers. "123-45-6789" (three groups joined by "-") is an SSN on its own; the same digits
// unformatted ("123456789") or grouped by spaces or dots count only right after a word that names them ("SSN",
// "social security", "soc. sec.", also as a field name: "customer_ssn", "socialSecurityNumber"). Numbers the SSA
// never issues are rejected: area 000, 666 or 900–999, group 00, serial 0000.
import { type DigitChain, groupDigits } from "./digit-chains";
import { textBefore } from "./text";

// The words also as field names: "ssn_number", "customer_ssn", "social_security_number", "socialSecurityNumber",
// "applicantSSN" (a JSON record or a line of code names the value so).
const SSN_WORDS = /(?:(?<![a-z])ssns?(?![a-z])|\bss#|social[ _-]?security|\bsoc\.? ?sec\b)[^\d\n]{0,24}$/i;
const SSN_CAMEL = /(?<=[a-z])(?:SSN|Ssn)s?(?![a-z])[^\d\n]{0,24}$/;

const ssnWordBefore = (before: string) => SSN_WORDS.test(before) || SSN_CAMEL.test(before);

export function validSsn(digits: string): boolean {
  if (digits.length !== 9) return false;
  const area = digits.slice(0, 3);
  if (area === "000" || area === "666" || area[0] === "9") return false;
  return digits.slice(3, 5) !== "00" && digits.slice(5) !== "0000";
}

function sizes(chain: DigitChain, from: number, to: number): string {
  const out: number[] = [];
  for (let k = from; k < to; k++) out.push(chain.groupEnd[k]! - chain.groupStart[k]!);
  return out.join(",");
}

/** SSNs in one chain (`bounds` from tokenBounds), as group ranges [from, to). */
export function ssnsInChain(text: string, chain: DigitChain, bounds: readonly number[]): [number, number][] {
  const groups = chain.groupStart.length;
  if (groups <= 3 && !chain.plus) {
    const layout = sizes(chain, 0, groups);
    const separator = chain.joiners[0];
    const oneSeparator = chain.joiners.every((j) => j === separator) && [" ", "-", "."].includes(separator!);
    if (
      (layout === "9" || (layout === "3,2,4" && oneSeparator)) &&
      validSsn(groupDigits(text, chain, 0, groups)) &&
      ssnWordBefore(textBefore(text, chain.start))
    )
      return [[0, groups]];
  }
  const found: [number, number][] = [];
  for (let t = 0; t < bounds.length - 1; t++) {
    const from = bounds[t]!;
    const to = bounds[t + 1]!;
    if (to - from !== 3 || chain.joiners[from] !== "-" || chain.joiners[from + 1] !== "-") continue;
    if (from === 0 && chain.plus) continue;
    if (sizes(chain, from, to) === "3,2,4" && validSsn(groupDigits(text, chain, from, to))) found.push([from, to]);
  }
  return found;
}
