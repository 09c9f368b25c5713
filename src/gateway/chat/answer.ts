// One answer to a chat request, shared by /v1/chat/completions and /v1/cache/query: plan → cache address →
// lookup → (miss) provider → store after the response. Returns the answer with the facts the audit trail
// records (facts of a stream resolve when the stream ends). The lookup, the provider call with its fallbacks and
// the stale answer when every target fails are `consult`, which the Responses API's answer shares.
import type { AuditFacts } from "../audit/facts";
import { type CacheAddress, cacheAddress } from "../cache/address";
import type { CacheControls } from "../cache/controls";
import { answerTokens, type CachedAnswer, type CacheHit } from "../cache/entries";
import { type LookupResult, lookup } from "../cache/lookup";
import { type ChatCachePlan, planChat } from "../cache/plan";
import { storeTicket } from "../cache/sealers";
import { type StoreAddress, storeEntry } from "../cache/store";
import type { AuthedContext } from "../context";
import { ApiError, docsUrlOf, fail } from "../http/errors";
import { costOf } from "../models";
import type { PiiKind } from "../pii/index";
import { applyPiiPolicy, type PiiOutcome, piiInAnswer } from "../policy/pii-policy";
import { providerObjectsNamed } from "../policy/provider-objects";
import type { UpstreamPath } from "../ports/provider";
import { type ChatCompletion, ChatCompletionSchema, type ChatRequest, isStorable } from "../protocol/chat";
import type { ResponsesRequest } from "../protocol/responses";
import { callUpstream, requireRoutableModel, UpstreamFailure, type UpstreamResult } from "../upstream/call";
import { readAnswer } from "../upstream/errors";
import { hideCachedTokens } from "../upstream/shared-cache";
import { captureStream } from "./sse";
import { providerObjectRefused, upstreamCredential } from "./upstream-credential";

export type Answer =
  /** From the cache; `stale` when served past its TTL because every upstream target failed. */
  | { kind: "hit"; hit: CacheHit; completion: ChatCompletion; stale: boolean; facts: AuditFacts }
  | { kind: "miss"; completion: ChatCompletion; entryId: string | null; status: "MISS" | "BYPASS"; facts: AuditFacts }
  | {
      kind: "stream";
      body: ReadableStream<Uint8Array>;
      entryId: string | null;
      status: "MISS" | "BYPASS";
      facts: Promise<AuditFacts>;
    }
  | { kind: "not_cached"; facts: AuditFacts };

/** The provider endpoint that makes each kind of answer. */
const UPSTREAM_PATH = { chat: "chat/completions", responses: "responses" } as const satisfies Record<
  CachedAnswer["kind"],
  UpstreamPath
>;

type AnswerOf<K extends CachedAnswer["kind"]> = Extract<CachedAnswer, { kind: K }>;
const isAnswerOf = <K extends CachedAnswer["kind"]>(a: CachedAnswer, kind: K): a is AnswerOf<K> => a.kind === kind;

/** What the cache, then the provider, said to a request: the steps the chat and Responses answers share. */
export type Consulted<K extends CachedAnswer["kind"]> =
  /** From the cache; `stale` when served past its TTL because every upstream target failed. */
  | { kind: "hit"; hit: CacheHit; answer: AnswerOf<K>; stale: boolean; facts: AuditFacts }
  | { kind: "not_cached"; facts: AuditFacts }
  | {
      kind: "upstream";
      /** The provider's response, not read yet. */
      response: Response;
      status: "MISS" | "BYPASS";
      missed: AuditFacts;
      /** Where the answer may be stored: null for a request that may not write, or a fallback target's answer. */
      storeAs: StoreAddress | null;
      entryId: string | null;
      /** The prompt's embedding, when the lookup computed one (reused by the store). */
      embedding: number[] | null;
      /** The credentials the call sent (scrubbed from any error the provider's stream carries). */
      secrets: readonly string[];
      /** Sent with the deployment's shared credential: the answer's cached prompt tokens are hidden. */
      shared: boolean;
    };

/**
 * Looks the request up (when it has a cache address and may read); on a miss, unless the request asked for the
 * cache only, calls the requested model and then the tenant's fallbacks; when every target fails, serves an
 * answer expired within the tenant's stale window, if there is one. Facts are the audit trail's.
 */
export async function consult<K extends CachedAnswer["kind"]>(
  rc: AuthedContext,
  o: {
    /** The kind of stored answer that serves this request (and the provider endpoint that makes one). */
    answer: K;
    /** What the PII policy made of the request: the request sent on, and the kinds it found. */
    pii: Exclude<PiiOutcome<ChatRequest | ResponsesRequest>, { action: "refuse" }>;
    targets: readonly string[];
    /** Whether the request may use the cache at all, and if so under which prompt and partition. */
    plan: ChatCachePlan | { cacheable: false; reason: string };
    controls: CacheControls;
    now: number;
  },
): Promise<Consulted<K>> {
  const { rt, tenant, keyring } = rc;
  const body = o.pii.request;
  const model = body.model;
  const addr: CacheAddress | null = o.plan.cacheable
    ? await cacheAddress({
        tenant: tenant.id,
        keyring,
        model,
        kind: o.answer,
        prompt: o.plan.prompt,
        prose: o.plan.prose,
        partition: o.plan.partition,
        controls: o.controls,
        erasedBefore: tenant.erased_before,
        staleSeconds: tenant.policy.serve_stale_seconds,
        transform: await rt.embeddingTransform(tenant, keyring),
        vectorSpace: rt.vectorSpace,
      })
    : null;
  const base: AuditFacts = {
    ...(o.pii.action === "clean" ? {} : { pii: o.pii.kinds }),
    model,
    ...(o.plan.cacheable ? {} : { cacheReason: `bypass:${o.plan.reason}` }),
    // The prompt's keyed hash correlates requests in the trail — not for a request that consented to no storage.
    ...(addr && o.controls.write ? { promptHash: addr.promptHash } : {}),
  };
  const found = addr && o.controls.read ? await lookup(rt, addr, o.now) : null;
  const hit = found?.hit;
  if (hit && isAnswerOf(hit.answer, o.answer)) {
    const cache = hit.tier === "exact" ? "HIT-EXACT" : "HIT-SEMANTIC";
    return {
      kind: "hit",
      hit,
      answer: hit.answer,
      stale: false,
      facts: { ...base, ...hitFacts(hit, model), cache },
    };
  }
  const missed = missFacts(base, addr, o.controls, found);
  if (o.controls.onlyIfCached || !o.controls.callProvider) return { kind: "not_cached", facts: missed };
  // What this request saw of erasures, before the provider is called: its answer is not stored if one ran since.
  const ticket = addr && o.controls.write ? await storeTicket(rt, addr, found) : null;

  // Files, vector stores, containers and conversations are the credential holder's: under the deployment's own
  // credential, a request may name none (policy/provider-objects.ts); a fallback without the tenant's key is skipped.
  const named = providerObjectsNamed(body);
  let result: UpstreamResult;
  try {
    result = await callUpstream(rt, {
      path: UPSTREAM_PATH[o.answer],
      body,
      tenant: tenant.id,
      targets: o.targets,
      credentialFor: async (target) => {
        const credential = await upstreamCredential(rt, tenant, keyring, target, rc.request.headers);
        if (credential === undefined && named.length > 0) throw providerObjectRefused(named[0]!, target);
        return credential;
      },
      signal: rc.request.signal,
    });
  } catch (err) {
    if (!(err instanceof UpstreamFailure)) throw err instanceof ApiError ? err.withFacts(missed) : err;
    // Every target failed: a recently expired answer, if the tenant allows serving one, beats none.
    const stale = await staleAnswer(rc, addr, o.controls, o.now);
    if (stale && isAnswerOf(stale.answer, o.answer)) {
      const facts = { ...base, ...hitFacts(stale, model), cache: "STALE", upstream: err.attempts } as const;
      return { kind: "hit", hit: stale, answer: stale.answer, stale: true, facts };
    }
    throw err.error.withFacts({ ...missed, upstream: err.attempts });
  }
  // An answer from a fallback target is another model's: served, never stored as the requested model's.
  const fellBack = result.target !== model;
  const storeAs = addr && ticket && !fellBack ? { ...addr, ticket } : null;
  return {
    kind: "upstream",
    response: result.response,
    status: missed.cache,
    // The fallback that answered, by its place in the tenant's list (a target's name is not a code; `upstream`
    // names it).
    missed: {
      ...missed,
      upstream: result.attempts,
      ...(fellBack ? { reason: `fallback:${o.targets.indexOf(result.target)}` } : {}),
    },
    storeAs,
    secrets: result.secrets,
    shared: result.shared,
    entryId: storeAs ? crypto.randomUUID() : null,
    embedding: found?.embedding ?? null,
  };
}

export async function answerChat(rc: AuthedContext, asked: ChatRequest, controls: CacheControls): Promise<Answer> {
  const { rt, tenant } = rc;
  requireRoutableModel(rt, asked.model);
  const now = Date.now();

  // Personal data: refused, redacted before anything else sees it, or kept away from the cache (policy/pii-policy).
  const pii = applyPiiPolicy(asked, tenant.policy.pii_mode);
  if (pii.action === "refuse") throw piiRefused("request", pii.kinds, asked.model);
  const req = pii.request;

  const plan = pii.action === "bypass" ? { cacheable: false as const, reason: "pii_skip" } : planChat(req);
  // A stored answer carries its usage, as a hit reports it: a stream that may be stored is asked for it, and the
  // usage chunk is kept from a client that did not ask (captureStream).
  const addUsage =
    req.stream === true && req.stream_options?.include_usage !== true && plan.cacheable && controls.write;
  const sent = addUsage
    ? { ...pii, request: { ...req, stream_options: { ...(req.stream_options ?? {}), include_usage: true } } }
    : pii;
  const consulted = await consult(rc, {
    answer: "chat",
    pii: sent,
    targets: [req.model, ...tenant.policy.fallbacks],
    plan,
    controls,
    now,
  });
  if (consulted.kind === "hit") {
    const { hit, answer, stale, facts } = consulted;
    return { kind: "hit", hit, completion: answer.completion, stale, facts };
  }
  if (consulted.kind === "not_cached") return consulted;
  const { response: upstream, status, missed, storeAs, entryId, embedding, secrets, shared } = consulted;

  if (req.stream) {
    const { stream, facts, settle } = providerStream(upstream, missed);
    const body = captureStream(
      stream,
      docsUrlOf(rc.url),
      (end) => {
        // Only an answer that would otherwise be stored is scanned: its reason must not hide why it was not.
        const answerPii = end.kind === "complete" && storeAs !== null ? piiInAnswer(end.completion?.choices) : [];
        const stored =
          end.kind === "complete" &&
          end.completion !== null &&
          storeAs !== null &&
          entryId !== null &&
          answerPii.length === 0;
        if (stored)
          rc.exec.waitUntil(storeEntry(rt, storeAs, entryId, { kind: "chat", completion: end.completion! }, embedding));
        settle({
          ...missed,
          ...(stored ? { entryId: entryId! } : {}),
          ...(answerPii.length ? { cacheReason: "pii:answer" } : {}),
          ...(end.usage
            ? { promptTokens: end.usage.prompt_tokens, completionTokens: end.usage.completion_tokens }
            : {}),
          ...streamEndFacts(end.kind, rc.request.signal),
        });
      },
      { dropUsageChunk: addUsage, secrets, signal: rc.request.signal, hideCachedTokens: shared },
    );
    return { kind: "stream", body, entryId, status, facts };
  }

  let completion: ChatCompletion;
  try {
    completion = await readCompletion(upstream);
  } catch (err) {
    throw err instanceof ApiError ? err.withFacts(missed) : err;
  }
  if (shared) hideCachedTokens(completion.usage);
  // An answer holding personal data is never stored, whatever the prompt held. Only an answer that would
  // otherwise be stored is scanned, so that `pii:answer` never hides the reason it was not (pii_skip, no-store).
  const answerPii = storeAs === null ? [] : piiInAnswer(completion.choices);
  const storable = storeAs !== null && entryId !== null && isStorable(completion) && answerPii.length === 0;
  if (storable) rc.exec.waitUntil(storeEntry(rt, storeAs, entryId, { kind: "chat", completion }, embedding));
  return {
    kind: "miss",
    completion,
    entryId: storable ? entryId : null,
    status,
    facts: {
      ...missed,
      ...(storable ? { entryId } : {}),
      ...(answerPii.length ? { cacheReason: "pii:answer" } : {}),
      ...(completion.usage
        ? { promptTokens: completion.usage.prompt_tokens, completionTokens: completion.usage.completion_tokens }
        : {}),
    },
  };
}

/**
 * A provider's answer passed on as a stream (a miss's, or a stored response's events): its body (502
 * `upstream_invalid_response`, with the facts `known` so far, when it sent none), and the request's audit facts,
 * known once the stream ends (`settle`).
 */
export function providerStream(upstream: Response, known: AuditFacts) {
  if (!upstream.body) {
    throw fail("upstream_invalid_response", {
      message: "The model provider sent an empty stream.",
      reason: "empty_stream",
      facts: known,
    });
  }
  let settle: (facts: AuditFacts) => void = () => {};
  const facts = new Promise<AuditFacts>((resolve) => {
    settle = resolve;
  });
  return { stream: upstream.body, facts, settle };
}

/**
 * Why a passed-through stream ended short, for its audit event (nothing when it completed). A read cut by the
 * client's own abort (its request signal, which the upstream call follows) is the client going away, not the
 * provider failing.
 */
export function streamEndFacts(kind: "complete" | "failed" | "cancelled", signal: AbortSignal): { reason?: string } {
  return kind === "complete" ? {} : { reason: `stream_${kind === "failed" && signal.aborted ? "cancelled" : kind}` };
}

/** The response headers that say how a hit was found. */
export function hitHeaders(hit: CacheHit, stale = false): Record<string, string> {
  return {
    "x-cache": stale ? "STALE" : hit.tier === "exact" ? "HIT-EXACT" : "HIT-SEMANTIC",
    "x-cache-similarity": hit.similarity.toFixed(4),
  };
}

/** What the audit trail records of a hit: the entry, and what the answer cost when it was computed. */
/**
 * How a request the cache did not answer is recorded: MISS when it was looked up, BYPASS when it was not, and
 * why (verification refused the nearest entry, or the caller may not read the cache).
 */
function missFacts(
  base: AuditFacts,
  addr: CacheAddress | null,
  controls: CacheControls,
  found: LookupResult | null,
): AuditFacts & { cache: "MISS" | "BYPASS" } {
  return {
    ...base,
    cache: addr && controls.read ? "MISS" : "BYPASS",
    ...(found?.refused ? { cacheReason: `verify:${found.refused}` } : {}),
    ...(addr && !controls.read && !base.cacheReason ? { cacheReason: "bypass:no_read" } : {}),
  };
}

/** The `block` mode's refusal: the kinds found, never the values (chat, Responses, embeddings). */
export function piiRefused(what: "request" | "input", kinds: readonly PiiKind[], model: string): ApiError {
  return fail("pii_detected", {
    message: `The ${what} contains personal data (${kinds.join(", ")}), and this tenant refuses such requests.`,
    reason: "pii:block",
    facts: { model, pii: [...kinds] },
  });
}

/**
 * `only-if-cached` found no answer: 504, as HTTP has it, with `x-should-retry: false` — an OpenAI SDK retries a
 * 5xx otherwise, asking the cache twice more for what it just said it does not hold (chat, Responses, embeddings).
 */
export function notCached(facts: AuditFacts): ApiError {
  return fail("not_cached", { facts, headers: { "x-should-retry": "false" } });
}

function hitFacts(hit: CacheHit, model: string): AuditFacts {
  const tokens = answerTokens(hit.answer);
  return {
    entryId: hit.entryId,
    similarity: hit.similarity,
    ...(tokens
      ? {
          promptTokens: tokens.input,
          completionTokens: tokens.output,
          costSaved: costOf(model, tokens.input, tokens.output),
        }
      : { costSaved: 0 }),
  };
}

/**
 * With the tenant's serve_stale_seconds set, an entry expired at most that long ago, found as a fresh lookup
 * would find it (same tiers, partition, scope and verification) — for when no upstream target answered.
 */
async function staleAnswer(
  rc: AuthedContext,
  addr: CacheAddress | null,
  controls: CacheControls,
  now: number,
): Promise<CacheHit | null> {
  const bound = rc.tenant.policy.serve_stale_seconds;
  if (!addr || !controls.read || bound <= 0) return null;
  return (await lookup(rc.rt, addr, now - bound * 1000)).hit;
}

async function readCompletion(res: Response): Promise<ChatCompletion> {
  const raw = await readAnswer(res);
  // Checked, then kept as the provider sent it (the schema's output would reorder its fields; it changes nothing).
  if (!ChatCompletionSchema.safeParse(raw).success) {
    throw fail("upstream_invalid_response", { reason: "completion_shape" });
  }
  return raw as ChatCompletion;
}
