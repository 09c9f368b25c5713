// POST /v1/chat/completions — OpenAI-compatible, cached. Streams on hit (replayed like a model streams) and on
// miss (passed through as it arrives, stored once complete). A hit looks like a fresh answer: a new id, the
// current time, the usage of the answer as first computed (what it would have cost; x-cache-tokens-saved and
// x-cache-cost-saved say what it saved). With the tenant's timing protection, hits and misses are made
// indistinguishable (chat/timing.ts).
import { resolveControls } from "../cache/controls";
import { answerChat, hitHeaders, notCached } from "../chat/answer";
import { obfuscationAsked, replayAsStream } from "../chat/sse";
import { delayLikeAMiss, freshCompletionId, padStream, recordMissLatency } from "../chat/timing";
import type { AuthedContext, Handled } from "../context";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { type ChatRequest, ChatRequestSchema } from "../protocol/chat";
import { entryHeader, reasonHeader, SSE_HEADERS, savedHeaders } from "./answer-headers";

export async function chatCompletions(rc: AuthedContext): Promise<Handled> {
  const req = parseWith(ChatRequestSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const controls = resolveControls({ headers: rc.request.headers, bodyUser: req.user }, rc.tenant.policy, rc.principal);
  const answer = await answerChat(rc, req, controls);
  const protect = rc.tenant.policy.timing_protection;
  const reason = reasonHeader(rc, answer.kind, answer.facts);

  switch (answer.kind) {
    case "hit": {
      if (protect) await delayLikeAMiss(rc.rt, rc.tenant.id, rc.receivedAt);
      // A hit is this request's answer: a fresh id and time, and the tier it asked for (`service_tier` is out of
      // the partition; "auto" leaves the tier the answer was given in).
      const tier =
        typeof req.service_tier === "string" && req.service_tier !== "auto" ? { service_tier: req.service_tier } : {};
      const completion = { ...answer.completion, ...tier, id: freshCompletionId(), created: nowSeconds() };
      const headers = { ...hitHeaders(answer.hit, answer.stale), ...savedHeaders(answer.facts) };
      if (req.stream) {
        const replay = replayAsStream(completion, {
          includeUsage: includeUsage(req),
          obfuscation: obfuscationAsked(req.stream_options),
        });
        const body = protect ? padStream(replay) : replay;
        return { response: new Response(body, { headers: { ...SSE_HEADERS, ...headers } }), facts: answer.facts };
      }
      return { response: json(completion, 200, headers), facts: answer.facts };
    }
    case "miss": {
      if (protect) recordMissLatency(rc);
      const completion = protect
        ? { ...answer.completion, id: freshCompletionId(), created: nowSeconds() }
        : answer.completion;
      const headers = { "x-cache": answer.status, ...entryHeader(answer.entryId), ...reason };
      return { response: json(completion, 200, headers), facts: answer.facts };
    }
    case "stream": {
      if (protect) recordMissLatency(rc);
      // x-cache-entry-id: the id the entry will have once the stream completes and is stored.
      const headers = { ...SSE_HEADERS, "x-cache": answer.status, ...entryHeader(answer.entryId), ...reason };
      return {
        response: new Response(protect ? padStream(answer.body) : answer.body, { headers }),
        facts: answer.facts,
      };
    }
    case "not_cached":
      throw notCached(answer.facts);
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const includeUsage = (req: ChatRequest) => req.stream_options?.include_usage === true;
