// POST /v1/responses — the OpenAI Responses API. Stateless requests (store: false, no previous_response_id,
// conversation or background) are cached like chat completions; every other request is passed through to the
// provider and never cached (chat/responses-answer.ts). Streams on hit (replayed as the real event sequence)
// and on miss (passed through as it arrives, stored once response.completed came). A hit looks like a fresh
// answer: a new `resp_…` id and item ids, the current time, this request's metadata and user fields, and the
// usage of the answer as first computed (what it would have cost; x-cache-tokens-saved and x-cache-cost-saved
// say what it saved). With the tenant's timing protection, hits and misses are made indistinguishable; the
// latencies aimed at are chat's (a Responses answer is generated as a chat answer is).
// GET and DELETE /v1/responses/{id}, POST …/cancel and GET …/input_items act on a response the provider stored,
// for its owner only (chat/stored-responses.ts), their audit events naming it.
import { decodedSegment } from "../../shared/path-segment";
import type { AuditFacts } from "../audit/facts";
import { resolveControls } from "../cache/controls";
import { hitHeaders, notCached } from "../chat/answer";
import { answerResponses } from "../chat/responses-answer";
import { FreshIds, protectResponseStream, servedFromCache, withFreshIds } from "../chat/responses-fresh";
import { replayResponseStream } from "../chat/responses-sse";
import { obfuscationAsked } from "../chat/sse";
import { asksForStream, storedResponse, streamedResponse } from "../chat/stored-responses";
import { delayLikeAMiss, recordMissLatency } from "../chat/timing";
import type { AuthedContext, Handled } from "../context";
import { ApiError } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { isStateless, ResponsesRequestSchema } from "../protocol/responses";
import { entryHeader, reasonHeader, SSE_HEADERS, savedHeaders } from "./answer-headers";

export async function responses(rc: AuthedContext): Promise<Handled> {
  const req = parseWith(ResponsesRequestSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const controls = resolveControls({ headers: rc.request.headers, bodyUser: req.user }, rc.tenant.policy, rc.principal);
  const answer = await answerResponses(rc, req, controls);
  const protect = rc.tenant.policy.timing_protection;
  const stateless = isStateless(req);
  const reason =
    answer.kind === "stream"
      ? reasonHeader(rc, "miss", { cacheReason: answer.cacheReason })
      : reasonHeader(rc, answer.kind, answer.facts);

  switch (answer.kind) {
    case "hit": {
      if (protect) await delayLikeAMiss(rc.rt, rc.tenant.id, rc.receivedAt);
      const response = servedFromCache(answer.response, req);
      const headers = { ...hitHeaders(answer.hit, answer.stale), ...savedHeaders(answer.facts) };
      if (req.stream) {
        const replay = replayResponseStream(response, { obfuscation: obfuscationAsked(req.stream_options) });
        const body = protect ? protectResponseStream(replay) : replay;
        return { response: new Response(body, { headers: { ...SSE_HEADERS, ...headers } }), facts: answer.facts };
      }
      return { response: json(response, 200, headers), facts: answer.facts };
    }
    case "miss": {
      if (protect) recordMissLatency(rc);
      // Fresh ids keep a miss like a hit; a stateful request is never a hit, and its ids are the provider's
      // handles for what it stored (previous_response_id), so they are passed on as they are.
      const body =
        protect && stateless && answer.body !== null && typeof answer.body === "object"
          ? withFreshIds(answer.body as Record<string, unknown>, new FreshIds())
          : answer.body;
      const headers = { "x-cache": answer.status, ...entryHeader(answer.entryId), ...reason };
      return { response: json(body, 200, headers), facts: answer.facts };
    }
    case "stream": {
      if (protect) recordMissLatency(rc);
      // x-cache-entry-id: the id the entry will have once the stream completes and is stored.
      const headers = { ...SSE_HEADERS, "x-cache": answer.status, ...entryHeader(answer.entryId), ...reason };
      return {
        response: new Response(protect && stateless ? protectResponseStream(answer.body) : answer.body, { headers }),
        facts: answer.facts,
      };
    }
    case "not_cached":
      throw notCached(answer.facts);
  }
}

/**
 * GET /v1/responses/{id}: a response this tenant's requests stored at the provider (chat/stored-responses.ts);
 * with `stream=true`, its events (after `starting_after`), audited once the stream has ended.
 */
export function retrieveResponse(rc: AuthedContext): Promise<Handled> {
  return aboutResponse(rc, async (id) => {
    if (asksForStream(rc.url.searchParams)) {
      const { body, facts } = await streamedResponse(rc, id);
      return { response: new Response(body, { headers: SSE_HEADERS }), facts };
    }
    return { response: json(await storedResponse(rc, "retrieve", id)) };
  });
}

/** DELETE /v1/responses/{id}: deletes it at the provider, and forgets it. */
export function deleteResponse(rc: AuthedContext): Promise<Handled> {
  return aboutResponse(rc, async (id) => ({ response: json(await storedResponse(rc, "delete", id)) }));
}

/** POST /v1/responses/{id}/cancel: cancels it at the provider (a background one); the response as it now is. */
export function cancelResponse(rc: AuthedContext): Promise<Handled> {
  return aboutResponse(rc, async (id) => ({ response: json(await storedResponse(rc, "cancel", id)) }));
}

/** GET /v1/responses/{id}/input_items: a page of its input items, as the provider lists them (query passed on). */
export function listInputItems(rc: AuthedContext): Promise<Handled> {
  return aboutResponse(rc, async (id) => ({ response: json(await storedResponse(rc, "inputItems", id)) }));
}

/**
 * A stored response's route, its audit event naming the response (`target`), answered or refused: who read,
 * deleted or cancelled which response, or was refused it (an id that is no identifier is recorded as `invalid`).
 */
async function aboutResponse(rc: AuthedContext, answer: (rawId: string) => Promise<Handled>): Promise<Handled> {
  const rawId = rc.params.id ?? "";
  const named: AuditFacts = { target: decodedSegment(rawId) };
  let done: Handled;
  try {
    done = await answer(rawId);
  } catch (err) {
    throw err instanceof ApiError ? err.withFacts(named) : err;
  }
  const { facts } = done;
  return {
    response: done.response,
    facts: facts === undefined ? named : Promise.resolve(facts).then((f) => ({ ...f, ...named })),
  };
}
