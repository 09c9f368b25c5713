// POST /v1/chat/completions — OpenAI-compatible, cached. Streams on hit (replayed) and on miss (passed
// through as it arrives, stored once complete).

import { resolveControls } from "../cache/controls";
import { answerChat, hitHeaders } from "../chat/answer";
import { replayAsStream } from "../chat/sse";
import type { AuthedContext } from "../context";
import { ApiError } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { ChatRequestSchema } from "../protocol/chat";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" };

export async function chatCompletions(rc: AuthedContext): Promise<Response> {
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
        return new Response(body, { headers: { ...SSE_HEADERS, ...headers } });
      }
      return json({ ...hit.completion, id }, 200, headers);
    }
    case "miss":
      return json(answer.completion, 200, { "x-cache": answer.status });
    case "stream":
      return new Response(answer.body, { headers: { ...SSE_HEADERS, "x-cache": answer.status } });
    case "not_cached":
      throw new ApiError(
        504,
        "not_cached",
        "No cached answer, and x-cache-control: only-if-cached forbids calling the provider.",
      );
  }
}
