// The kinds of personal data and secrets the detector reports, and the shape of one finding.

export type PiiKind =
  | "email"
  | "phone"
  | "payment_card"
  | "ssn"
  | "iban"
  | "ip_address"
  | "api_key"
  | "jwt"
  | "private_key";

/** Every kind, in the order `redactPii` and `piiKindsIn` report them. */
export const PII_KINDS: readonly PiiKind[] = Object.freeze([
  "email",
  "phone",
  "payment_card",
  "ssn",
  "iban",
  "ip_address",
  "api_key",
  "jwt",
  "private_key",
] as const);

/** Where one piece of PII sits: UTF-16 offsets into the text (`text.slice(start, end)`), never the value. */
export interface PiiFinding {
  kind: PiiKind;
  start: number;
  end: number;
}
