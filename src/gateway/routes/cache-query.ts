// POST /v1/cache/query — {prompt, model, similarity_threshold?, context?, ttl?} → the cached answer, or on a
// miss the provider's (when the caller may call the provider; stored when it may write and did not say
// no-store / store:false). `context` becomes the system message, so entries are shared with
// /v1/chat/completions requests that send the same system prompt.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";
import { resolveControls } from "../cache/controls";
import { answerChat, hitHeaders } from "../chat/answer";
import type { AuthedContext, Handled } from "../context";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { costOf } from "../models";
import type { ChatRequest } from "../protocol/chat";

export const CacheQuerySchema = z.strictObject({
  prompt: z.string().min(1).max(100_000),
  model: ModelNameSchema,
  similarity_threshold: z.number().min(0).max(1).optional(),
  context: z.string().min(1).max(100_000).optional(),
  ttl: z
    .number()
    .int()
    .min(1)
    .max(365 * 86400)
    .optional(),
  user: z.string().min(1).max(256).optional(),
  /** false: do not store the provider's answer on a miss. */
  store: z.boolean().optional(),
});

/** What a cache query answers, hit or miss. */
export const CacheQueryResultSchema = z.strictObject({
  cache_hit: z.boolean(),
  /** The answer's text: the cached one on a hit, the provider's on a miss (null when neither was had). */
  response: z.string().nullable(),
  /** The cosine similarity of the entry that answered (1 for an exact hit); null on a miss. */
  similarity_score: z.number().nullable(),
  /** The entry that answered, or that a miss was stored as; null when nothing was stored. */
  entry_id: z.string().nullable(),
  /** The provider cost the hit avoided, in US dollars (0 on a miss). */
  cost_saved: z.number(),
});
type CacheQueryResult = z.infer<typeof CacheQueryResultSchema>;

export async function cacheQuery(rc: AuthedContext): Promise<Handled> {
  const q = parseWith(CacheQuerySchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const controls = resolveControls(
    {
      headers: rc.request.headers,
      bodyUser: q.user,
      threshold: q.similarity_threshold,
      ttlSeconds: q.ttl,
      store: q.store,
    },
    rc.tenant.policy,
    rc.principal,
  );
  const req: ChatRequest = {
    model: q.model,
    messages: [
      ...(q.context ? [{ role: "system" as const, content: q.context }] : []),
      { role: "user", content: q.prompt },
    ],
    ...(q.user ? { user: q.user } : {}),
  };
  const answer = await answerChat(rc, req, controls);

  switch (answer.kind) {
    case "hit": {
      const { hit, completion } = answer;
      const usage = completion.usage;
      const body: CacheQueryResult = {
        cache_hit: true,
        response: completion.choices[0]?.message.content ?? null,
        similarity_score: round(hit.similarity),
        entry_id: hit.entryId,
        cost_saved: usage ? costOf(q.model, usage.prompt_tokens, usage.completion_tokens) : 0,
      };
      return { response: json(body, 200, hitHeaders(hit, answer.stale)), facts: answer.facts };
    }
    case "miss": {
      const body: CacheQueryResult = {
        cache_hit: false,
        response: answer.completion.choices[0]?.message.content ?? null,
        similarity_score: null,
        entry_id: answer.entryId,
        cost_saved: 0,
      };
      return { response: json(body, 200, { "x-cache": answer.status }), facts: answer.facts };
    }
    case "not_cached": {
      const body: CacheQueryResult = {
        cache_hit: false,
        response: null,
        similarity_score: null,
        entry_id: null,
        cost_saved: 0,
      };
      return { response: json(body, 200, { "x-cache": answer.facts.cache ?? "MISS" }), facts: answer.facts };
    }
    case "stream":
      throw new Error("cache/query never streams");
  }
}

const round = (n: number) => Math.round(n * 1e4) / 1e4;
