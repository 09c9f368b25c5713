// POST /v1/chat/completions — OpenAI-compatible, cached. Streams on hit (replayed) and on miss (passed
// through as it arrives, stored once complete).
import { resolveControls } from "../cache/controls";
import { answerChat, hitHeaders } from "../chat/answer";
import { replayAsStream } from "../chat/sse";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { ChatRequestSchema } from "../protocol/chat";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" };

export async function chatCompletions(rc: AuthedContext): Promise<Handled> {
  const req = parseWith(ChatRequestSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const controls = resolveControls({ headers: rc.request.headers, bodyUser: req.user }, rc.tenant.policy, rc.principal);
  const answer = await answerChat(rc, req, controls);

  switch (answer.kind) {
    case "hit": {
      const { hit } = answer;
      const headers = hitHeaders(hit);
      const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;
      if (req.stream) {
        const body = replayAsStream(hit.completion, { id, includeUsage: req.stream_options?.include_usage === true });
        return { response: new Response(body, { headers: { ...SSE_HEADERS, ...headers } }), facts: answer.facts };
      }
      return { response: json({ ...hit.completion, id }, 200, headers), facts: answer.facts };
    }
    case "miss":
      return {
        response: json(answer.completion, 200, { "x-cache": answer.status, ...entryHeader(answer.entryId) }),
        facts: answer.facts,
      };
    case "stream":
      // The id the entry will have once the stream completes and is stored.
      return {
        response: new Response(answer.body, {
          headers: { ...SSE_HEADERS, "x-cache": answer.status, ...entryHeader(answer.entryId) },
        }),
        facts: answer.facts,
      };
    case "not_cached":
      throw fail("not_cached", { facts: answer.facts });
  }
}

/** x-cache-entry-id: where a client finds (GET /v1/cache/entries/{id}) or deletes the answer it was just given. */
function entryHeader(entryId: string | null): Record<string, string> {
  return entryId === null ? {} : { "x-cache-entry-id": entryId };
}
