// The provider's prompt cache belongs to the account a call is made with. Tenants without a virtual key for a
// provider all call it with the deployment's own credential, so they share that account's prompt cache: the count
// of cached prompt tokens in an answer's usage would tell one tenant that another sent the same long prompt
// prefix minutes before. Under the shared credential that count is reported as 0 — in a whole answer, in a
// stream's usage, in a stored response read back. (How fast an answer comes is not hidden: see docs/security.md.)

/** The usage objects' members that count cached prompt tokens: chat's, then the Responses API's. */
const DETAILS = ["prompt_tokens_details", "input_tokens_details"] as const;

/** Sets the cached prompt-token counts of `usage` (an answer's `usage` member) to 0; whether any was not 0. */
export function hideCachedTokens(usage: unknown): boolean {
  if (usage === null || typeof usage !== "object") return false;
  let changed = false;
  for (const member of DETAILS) {
    const details = (usage as Record<string, unknown>)[member];
    if (details === null || typeof details !== "object") continue;
    const counts = details as Record<string, unknown>;
    if (typeof counts.cached_tokens === "number" && counts.cached_tokens !== 0) {
      counts.cached_tokens = 0;
      changed = true;
    }
  }
  return changed;
}

/**
 * A streamed event's data with hideCachedTokens applied to the usage it carries (a chat chunk's `usage`, a
 * Responses event's `response.usage`); the same string when it carries no count to hide.
 */
export function withCachedTokensHidden(data: string): string {
  if (!data.includes('"cached_tokens"')) return data;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return data;
  }
  if (event === null || typeof event !== "object") return data;
  const e = event as { usage?: unknown; response?: { usage?: unknown } | null };
  const inChunk = hideCachedTokens(e.usage);
  const inResponse = hideCachedTokens(e.response?.usage);
  return inChunk || inResponse ? JSON.stringify(event) : data;
}

/**
 * How a relayed stream shows each event's data: with `hide` (a call under the shared credential)
 * withCachedTokensHidden, else as sent.
 */
export const shownEvents = (hide: boolean | undefined): ((data: string) => string) =>
  hide ? withCachedTokensHidden : (data) => data;
