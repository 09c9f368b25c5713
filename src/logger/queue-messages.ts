// What the logger's two Queue consumers share: the queue names, backoff, and the capped, printable form of a body.

/** The Queue this Worker chains events from, and its dead-letter queue; the Worker consumes both. */
export const AUDIT_QUEUE = "cordon-audit";
export const DEAD_LETTER_QUEUE = "cordon-audit-dlq";

const MAX_DELAY_SECONDS = 300;
const DETAIL_MAX = 1024;

/** Exponential backoff from the delivery attempt (1, 2, 3…): 2, 4, 8 … seconds, at most five minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, 2 ** Math.max(1, Math.min(attempts, 16)));
}

/** Validation issues as `path: message; …`, at most ten of them and 1024 characters. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const text = issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
  return (text || "invalid").slice(0, DETAIL_MAX);
}

/** JSON text of a body, or what can be said of it when it has none (BigInt, cycles, undefined). */
export function serialize(body: unknown): string {
  try {
    return JSON.stringify(body) ?? String(body);
  } catch {
    return String(body);
  }
}

/** Cuts `text` to at most `max` bytes of UTF-8 without splitting a character; `bytes` is the full length. */
export function capUtf8(text: string, max: number): { text: string; bytes: number } {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= max) return { text, bytes: encoded.length };
  let cut = max;
  while (cut > 0 && (encoded[cut]! & 0xc0) === 0x80) cut -= 1; // back off continuation bytes
  return { text: new TextDecoder().decode(encoded.subarray(0, cut)), bytes: encoded.length };
}
