// The number detectors over digit chains: phone numbers, payment cards, SSNs and IPv4 addresses. One pass finds
// the chains; each detector looks at a bounded part of each chain; the boundary rules live here, once.
import { type DigitChain, forEachDigitChain, tokenBounds } from "./digit-chains";
import { ipv4sInChain } from "./ip-address";
import type { PiiFinding, PiiKind } from "./kinds";
import { cardsInChain } from "./payment-card";
import { isPhoneChain } from "./phone";
import { ssnsInChain } from "./ssn";
import { gluedLeft, gluedRight, isDigitCode, textBefore } from "./text";

const NOT_A_CARD_BEFORE =
  /(?:\b(?:ean|gtin|upc|sku|isbn|issn|imei|meid|iccid|barcode|id|ids|order|invoice|tracking|serial|snowflake|timestamp|epoch|transaction|txn|ref|reference)\b\.?(?: ?(?:no|nr|num|number|#|id|code)\.?)? ?[:#=]? ?|[$€£¥₹] ?)$/i;

/**
 * Groups [from, to) of the chain may stand alone: where they touch an end of the chain, the chain is not glued to
 * a word ("v1.2.3.4", "ID-4111…", "4111….txt"); a time or port ":12" after the chain is allowed only for IPs, and
 * so is a path: "http://81.2.69.160/admin", "\\81.2.69.160\share" name the host.
 */
function standsAlone(text: string, chain: DigitChain, from: number, to: number, ip: boolean): boolean {
  if (from === 0 && gluedLeft(text, chain.start)) return false;
  if (to < chain.groupStart.length) return true;
  const after = text.charCodeAt(chain.end);
  if (gluedRight(text, chain.end) && !((ip && (after === 0x2f /* / */ || after === 0x5c)) /* \ */)) return false;
  return ip || !(after === 0x3a && isDigitCode(text.charCodeAt(chain.end + 1)));
}

/** Phone numbers, payment cards, SSNs and IPv4 addresses in `text`. */
export function numbers(text: string): PiiFinding[] {
  const out: PiiFinding[] = [];
  const span = (kind: PiiKind, chain: DigitChain, [from, to]: [number, number]) => {
    const start = kind === "phone" && from === 0 ? chain.start : chain.groupStart[from]!; // a phone keeps its "+" or "("
    out.push({ kind, start, end: chain.groupEnd[to - 1]! });
  };
  // The shortest candidates: an IPv4 address has 4 groups and 4 digits, anything else 7 digits.
  forEachDigitChain(text, 7, (chain) => {
    const groups = chain.groupStart.length;
    if (chain.digits < 4 || (groups < 4 && chain.digits < 7)) return;
    if (standsAlone(text, chain, 0, groups, false) && isPhoneChain(text, chain)) span("phone", chain, [0, groups]);
    const bounds = tokenBounds(chain);
    for (const range of cardsInChain(text, chain, bounds)) {
      if (!standsAlone(text, chain, range[0], range[1], false)) continue;
      if (range[0] === 0 && (chain.plus || NOT_A_CARD_BEFORE.test(textBefore(text, chain.start)))) continue;
      if (text.charCodeAt(chain.groupEnd[range[1] - 1]!) === 0x25 /* % */) continue;
      span("payment_card", chain, range);
    }
    for (const range of ssnsInChain(text, chain, bounds)) {
      if (standsAlone(text, chain, range[0], range[1], false)) span("ssn", chain, range);
    }
    for (const range of ipv4sInChain(text, chain)) {
      if (standsAlone(text, chain, range[0], range[1], true)) span("ip_address", chain, range);
    }
  });
  return out;
}
