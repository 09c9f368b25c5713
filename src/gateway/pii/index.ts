// PII detector: finds personal data and secrets in prompt text so the gateway can apply the tenant's PII mode
// (SPEC §3: `skip` answers without caching, `redact` replaces before the provider and the cache, `block`
// refuses with 422). Pure functions: no I/O, no clock, no shared state; safe on any input up to megabytes
// (every scan is linear, see docs/pii.md).
//
// API
//   detectPii(text)      → PiiFinding[]   {kind, start, end} UTF-16 offsets, sorted by start, non-overlapping.
//                                          A finding never carries the value: log kinds and counts, not slices.
//   redactPii(text)      → {text, kinds}  every finding replaced by a typed placeholder ("[EMAIL]", "[PHONE]",
//                                          "[PAYMENT_CARD]", "[SSN]", "[IBAN]", "[IP_ADDRESS]", "[API_KEY]", "[JWT]",
//                                          "[PRIVATE_KEY]"); kinds = the distinct kinds found, in PII_KINDS order.
//   redactFindings(text, findings)        the same from findings already computed (detect once, then decide).
//   piiKindsIn(text)     → PiiKind[]      distinct kinds found, in PII_KINDS order ([] = clean).
//   PII_KINDS, PII_PLACEHOLDERS, PiiKind, PiiFinding
//
// Integration: run it on every piece of user-controlled text that would reach the provider or the cache (each
// message's content, each text part; a finding never spans two strings). Redacted text contains no findings, so
// redacting twice changes nothing. What is detected and the rules that keep innocent prompts clean (years,
// versions, dates, prices, private IPs, example.com, placeholder keys…) are in each detector's header and in
// docs/pii.md.
//
// Overlaps: candidates that overlap merge into one finding covering all of them (redaction never leaves part of a
// value in clear), named after the longest ("::ffff:81.2.69.160" is one IPv6 address, not an IPv4 one; a PEM
// block swallows whatever its base64 resembles); at equal length the more specific kind names it, in the order
// private_key, jwt, api_key, iban, payment_card, ssn, email, ip_address, phone.
import { emailAddresses } from "./email";
import { ibans } from "./iban";
import { ipv6Addresses } from "./ip-address";
import { PII_KINDS, type PiiFinding, type PiiKind } from "./kinds";
import { numbers } from "./numbers";
import { resolveOverlaps } from "./overlaps";
import { secrets } from "./secrets";

export { PII_KINDS, type PiiFinding, type PiiKind };

export const PII_PLACEHOLDERS: Readonly<Record<PiiKind, string>> = Object.freeze({
  email: "[EMAIL]",
  phone: "[PHONE]",
  payment_card: "[PAYMENT_CARD]",
  ssn: "[SSN]",
  iban: "[IBAN]",
  ip_address: "[IP_ADDRESS]",
  api_key: "[API_KEY]",
  jwt: "[JWT]",
  private_key: "[PRIVATE_KEY]",
});

/** Each detector reports candidates of its kinds; they may overlap each other. */
const DETECTORS: readonly ((text: string) => PiiFinding[])[] = [emailAddresses, ibans, ipv6Addresses, numbers, secrets];

/** Findings in `text`: sorted by start, non-overlapping (overlapping candidates merge; the longest names them). */
export function detectPii(text: string): PiiFinding[] {
  return resolveOverlaps(DETECTORS.flatMap((detect) => detect(text)));
}

/** The distinct kinds among `findings`, in PII_KINDS order. */
function kindsOf(findings: readonly PiiFinding[]): PiiKind[] {
  const seen = new Set(findings.map((f) => f.kind));
  return PII_KINDS.filter((k) => seen.has(k));
}

/** `text` with each of `findings` (sorted, non-overlapping, as detectPii returns them) replaced by its placeholder. */
export function redactFindings(text: string, findings: readonly PiiFinding[]): { text: string; kinds: PiiKind[] } {
  let out = "";
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + PII_PLACEHOLDERS[f.kind];
    at = f.end;
  }
  return { text: out + text.slice(at), kinds: kindsOf(findings) };
}

export function redactPii(text: string): { text: string; kinds: PiiKind[] } {
  return redactFindings(text, detectPii(text));
}

export function piiKindsIn(text: string): PiiKind[] {
  return kindsOf(detectPii(text));
}
