// What the completion routes (/v1/chat/completions, /v1/responses) say about the cache in their response
// headers. Under the tenant's timing protection the pipeline withholds every cache header (chat/timing.ts,
// CACHE_HEADERS) whatever is set here.
import type { AuditFacts } from "../audit/facts";
import type { AuthedContext } from "../context";

export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" };

/** x-cache-entry-id: where a client finds (GET /v1/cache/entries/{id}) or deletes the answer it was just given. */
export function entryHeader(entryId: string | null): Record<string, string> {
  return entryId === null ? {} : { "x-cache-entry-id": entryId };
}

/** What a hit saved, in tokens and (estimated) dollars: what the answer cost when it was computed. */
export function savedHeaders(facts: AuditFacts): Record<string, string> {
  const { promptTokens, completionTokens, costSaved } = facts;
  return {
    ...(promptTokens !== undefined && completionTokens !== undefined
      ? { "x-cache-tokens-saved": String(promptTokens + completionTokens) }
      : {}),
    ...(costSaved !== undefined ? { "x-cache-cost-saved": costSaved.toFixed(8) } : {}),
  };
}

/** Why the cache did not answer (e.g. `verify:direction`), for callers who may read the cache. */
export function reasonHeader(
  rc: AuthedContext,
  kind: string,
  facts: AuditFacts | Promise<AuditFacts>,
): Record<string, string> {
  if (kind === "hit" || kind === "stream" || rc.principal.kind === "operator" || facts instanceof Promise) return {};
  const reason = facts.cacheReason;
  return reason && rc.principal.scopes.has("cache:read") ? { "x-cache-reason": reason } : {};
}
