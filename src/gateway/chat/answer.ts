// One answer to a chat request, shared by /v1/chat/completions and /v1/cache/query: plan → controls →
// cache lookup → (miss) provider → store after the response. Fills the request's audit fields on the way.

import type { CacheControls } from "../cache/controls";
import { planChat } from "../cache/plan";
import { type CacheHit, type Lookup, lookup, prepareLookup, store } from "../cache/semantic-cache";
import type { AuthedContext } from "../context";
import { ApiError } from "../http/errors";
import { costOf } from "../pricing";
import { type ChatCompletion, ChatCompletionSchema, type ChatRequest, isStorable } from "../protocol/chat";
import { captureStream } from "./sse";

export type Answer =
  | { kind: "hit"; hit: CacheHit }
  | { kind: "miss"; completion: ChatCompletion; entryId: string | null; status: "MISS" | "BYPASS" }
  | { kind: "stream"; body: ReadableStream<Uint8Array>; entryId: string | null; status: "MISS" | "BYPASS" }
  | { kind: "not_cached" };

export async function answerChat(rc: AuthedContext, req: ChatRequest, controls: CacheControls): Promise<Answer> {
  const { rt, tenant, keys, audit } = rc;
  audit.model = req.model;
  if (rt.config.provider.kind === "ai-gateway" && !/^[\w.-]+\/\S+$/.test(req.model)) {
    throw new ApiError(
      400,
      "invalid_model",
      "model must name its provider: 'provider/model', e.g. 'openai/gpt-4o-mini'.",
    );
  }

  const plan = planChat(req);
  let l: Lookup | null = null;
  if (plan.cacheable) {
    l = await prepareLookup({
      tenant: tenant.id,
      keys,
      model: req.model,
      prompt: plan.prompt,
      partition: plan.partition,
      controls,
    });
    audit.prompt_hash = l.promptHash;
  } else {
    audit.detail = `cache bypassed: ${plan.reason}`;
  }

  if (l && controls.read) {
    const hit = await lookup(rt, l);
    if (hit) {
      const usage = hit.completion.usage;
      audit.cache = cacheStatusOf(hit);
      audit.entry_id = hit.entryId;
      audit.similarity = hit.similarity;
      audit.prompt_tokens = usage?.prompt_tokens ?? null;
      audit.completion_tokens = usage?.completion_tokens ?? null;
      audit.cost_saved = usage ? costOf(req.model, usage.prompt_tokens, usage.completion_tokens) : 0;
      return { kind: "hit", hit };
    }
  }
  const status = l && controls.read ? "MISS" : "BYPASS";
  audit.cache = status;
  if (controls.onlyIfCached) return { kind: "not_cached" };

  const upstream = await rt.provider.chat(req, { tenant: tenant.id, signal: rc.request.signal });
  const storeAs = l && controls.write ? l : null;
  const entryId = storeAs ? crypto.randomUUID() : null;
  audit.entry_id = entryId;

  if (req.stream) {
    if (!upstream.body)
      throw new ApiError(502, "upstream_invalid_response", "The model provider sent an empty stream.");
    const body = captureStream(upstream.body, (completion) => {
      if (storeAs && entryId && completion) rc.exec.waitUntil(store(rt, storeAs, entryId, completion));
    });
    return { kind: "stream", body, entryId, status };
  }

  const completion = await readCompletion(upstream);
  audit.prompt_tokens = completion.usage?.prompt_tokens ?? null;
  audit.completion_tokens = completion.usage?.completion_tokens ?? null;
  const storable = storeAs !== null && entryId !== null && isStorable(completion);
  if (storable) rc.exec.waitUntil(store(rt, storeAs, entryId, completion));
  else audit.entry_id = null;
  return { kind: "miss", completion, entryId: storable ? entryId : null, status };
}

function cacheStatusOf(hit: CacheHit): "HIT-EXACT" | "HIT-SEMANTIC" {
  return hit.tier === "exact" ? "HIT-EXACT" : "HIT-SEMANTIC";
}

/** The response headers that say how a hit was found. */
export function hitHeaders(hit: CacheHit): Record<string, string> {
  return { "x-cache": cacheStatusOf(hit), "x-cache-similarity": hit.similarity.toFixed(4) };
}

async function readCompletion(res: Response): Promise<ChatCompletion> {
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new ApiError(502, "upstream_invalid_response", "The model provider sent an invalid response.", {
      detail: "body is not JSON",
    });
  }
  const parsed = ChatCompletionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(502, "upstream_invalid_response", "The model provider sent an invalid response.", {
      detail: `completion shape: ${parsed.error.issues[0]?.path.join(".")}`,
    });
  }
  return parsed.data;
}
