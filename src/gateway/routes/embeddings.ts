// POST /v1/embeddings — OpenAI-compatible, exact-cached per input (embeddings/answer.ts). The answer is
// OpenAI's list of `embedding` objects, in `float` or `base64` as asked, written as the client reads it (no
// answer of 2,048 vectors is one string in memory); usage counts every input's tokens as first computed, hits
// included (x-cache-tokens-saved and x-cache-cost-saved say what the cache saved).
// x-cache: HIT-EXACT when every input was cached, MISS when the provider was asked (x-cache-hits: how many of
// the inputs were not), BYPASS when the cache was not used. With timing protection, hits are held back toward
// the tenant's embedding miss latency and those headers are withheld.

import * as z from "zod";
import { resolveControls } from "../cache/controls";
import { delayLikeAMiss, recordMissLatency } from "../chat/timing";
import type { AuthedContext, Handled } from "../context";
import { type EmbeddingVector, float32Base64, float32Json } from "../crypto/encoding";
import { answerEmbeddings } from "../embeddings/answer";
import { readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { EmbeddingsRequestSchema } from "../protocol/embeddings";
import { reasonHeader } from "./answer-headers";

/** The answer, in OpenAI's shape: one vector per input, in order (numbers, or base64 float32 when asked). */
export const EmbeddingsListSchema = z.strictObject({
  object: z.literal("list"),
  data: z.array(
    z.strictObject({
      object: z.literal("embedding"),
      index: z.int().nonnegative(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.strictObject({ prompt_tokens: z.int(), total_tokens: z.int() }),
});

export async function embeddings(rc: AuthedContext): Promise<Handled> {
  const req = parseWith(EmbeddingsRequestSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const controls = resolveControls({ headers: rc.request.headers, bodyUser: req.user }, rc.tenant.policy, rc.principal);
  const answer = await answerEmbeddings(rc, req, controls);
  if (rc.tenant.policy.timing_protection) {
    if (answer.status === "HIT-EXACT") await delayLikeAMiss(rc.rt, rc.tenant.id, rc.receivedAt, "embeddings");
    else recordMissLatency(rc, "embeddings");
  }
  const usage = { prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens };
  const headers: Record<string, string> = {
    "x-cache": answer.status,
    "x-cache-hits": `${answer.hits}/${answer.vectors.length}`,
    // Why the cache was not used (token arrays, personal data, consent), as chat and Responses say it.
    ...reasonHeader(rc, answer.status === "HIT-EXACT" ? "hit" : "miss", answer.facts),
  };
  if (answer.hits > 0) {
    headers["x-cache-tokens-saved"] = String(answer.tokensSaved);
    headers["x-cache-cost-saved"] = answer.costSaved.toFixed(8);
  }
  const body = listStream(answer.vectors, req.encoding_format === "base64", req.model, usage);
  const response = new Response(body, { headers: { "content-type": "application/json; charset=utf-8", ...headers } });
  return { response, facts: answer.facts };
}

/** Vectors written per read of the answer's stream (about 64 KiB of base64 at 1,536 dimensions). */
const VECTORS_PER_PULL = 8;

/**
 * The answer (EmbeddingsListSchema), the bytes JSON.stringify would write, written a few vectors at a time as the
 * client reads: 2,048 vectors of 1,536 dimensions are 65 MB of JSON numbers, more than an isolate should hold as
 * one string beside the vectors themselves.
 */
function listStream(
  vectors: readonly EmbeddingVector[],
  base64: boolean,
  model: string,
  usage: z.infer<typeof EmbeddingsListSchema>["usage"],
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      let text = next === 0 ? '{"object":"list","data":[' : "";
      for (const end = Math.min(next + VECTORS_PER_PULL, vectors.length); next < end; next++) {
        const v = vectors[next]!;
        const embedding = base64 ? JSON.stringify(float32Base64(v)) : float32Json(v);
        text += `${next === 0 ? "" : ","}{"object":"embedding","index":${next},"embedding":${embedding}}`;
      }
      const last = next === vectors.length;
      if (last) text += `],"model":${JSON.stringify(model)},"usage":${JSON.stringify(usage)}}`;
      controller.enqueue(encoder.encode(text));
      if (last) controller.close();
    },
  });
}
