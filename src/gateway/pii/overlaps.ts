// Turning candidates from independent detectors into non-overlapping findings.
import type { PiiFinding, PiiKind } from "./kinds";

/** Lower wins a tie between two overlapping candidates of equal length. */
const SPECIFICITY: Readonly<Record<PiiKind, number>> = {
  private_key: 0,
  jwt: 1,
  api_key: 2,
  iban: 3,
  payment_card: 4,
  ssn: 5,
  email: 6,
  ip_address: 7,
  phone: 8,
};

const length = (f: PiiFinding) => f.end - f.start;

/** Whether `a` names an overlap better than `b`: longer, or as long and more specific. */
const better = (a: PiiFinding, b: PiiFinding) =>
  length(a) !== length(b) ? length(a) > length(b) : SPECIFICITY[a.kind] < SPECIFICITY[b.kind];

/**
 * Sorted, non-overlapping findings from `candidates` (which this does not modify). Overlapping candidates merge
 * into one finding that covers all of them, so redaction never leaves part of a value in clear; it takes the kind
 * of the longest candidate, or at equal length of the most specific one (private_key, jwt, api_key, iban,
 * payment_card, ssn, email, ip_address, phone).
 */
export function resolveOverlaps(candidates: readonly PiiFinding[]): PiiFinding[] {
  const sorted = [...candidates].sort(
    (a, b) => a.start - b.start || b.end - a.end || SPECIFICITY[a.kind] - SPECIFICITY[b.kind],
  );
  const kept: PiiFinding[] = [];
  let best: PiiFinding | undefined; // the candidate whose kind the last kept finding carries
  for (const f of sorted) {
    const last = kept[kept.length - 1];
    if (!last || f.start >= last.end) {
      kept.push({ kind: f.kind, start: f.start, end: f.end });
      best = f;
      continue;
    }
    if (best && better(f, best)) best = f;
    kept[kept.length - 1] = { kind: best!.kind, start: last.start, end: Math.max(last.end, f.end) };
  }
  return kept;
}
