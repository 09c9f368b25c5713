// POST /v1/embeddings — OpenAI-compatible, exact-cached per input (embeddings/answer.ts). The answer is
// OpenAI's list of `embedding` objects, in `float` or `base64` as asked; usage counts every input's tokens
// as first computed, hits included (x-cache-tokens-saved and x-cache-cost-saved say what the cache saved).
// x-cache: HIT-EXACT when every input was cached, MISS when the provider was asked (x-cache-hits: how many of
// the inputs were not), BYPASS when the cache was not used. With timing protection, hits are held back toward
// the tenant's embedding miss latency and those headers are withheld.
import * as z from "zod";
import { resolveControls } from "../cache/controls";
import { delayLikeAMiss, recordMissLatency } from "../chat/timing";
import type { AuthedContext, Handled } from "../context";
import { answerEmbeddings } from "../embeddings/answer";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { EmbeddingsRequestSchema, float32Base64 } from "../protocol/embeddings";

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
  const base64 = req.encoding_format === "base64";
  const body: z.infer<typeof EmbeddingsListSchema> = {
    object: "list",
    data: answer.vectors.map((v, index) => ({ object: "embedding", index, embedding: base64 ? float32Base64(v) : v })),
    model: req.model,
    usage: { prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens },
  };
  const headers: Record<string, string> = {
    "x-cache": answer.status,
    "x-cache-hits": `${answer.hits}/${answer.vectors.length}`,
  };
  if (answer.hits > 0) {
    headers["x-cache-tokens-saved"] = String(answer.tokensSaved);
    headers["x-cache-cost-saved"] = answer.costSaved.toFixed(8);
  }
  return { response: json(body, 200, headers), facts: answer.facts };
}
