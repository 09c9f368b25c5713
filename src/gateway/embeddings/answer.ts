// One answer to POST /v1/embeddings: PII policy → the keyed hash of each input → the stored vectors → provider
// calls for the inputs still missing (in their order, up to 256 a call) → the new vectors stored after the
// response. Vectors are held as float32 (crypto/encoding.ts), the form OpenAI's base64 carries.
// A vector is the same for the same input, model and parameters, so the cache is exact and per input: a batch
// whose inputs were all embedded before costs nothing, and one that repeats some pays for the rest only (an
// input repeated within the batch, once). Its audit event is HIT-EXACT when every input was cached; a batch the
// provider completed is a MISS that records what its cached inputs (and repeats) saved: `prompt_tokens_saved`, and
// their price in `cost_saved`.
// The provider is asked for floats (every provider behind AI Gateway's compat endpoint speaks them); the
// client gets what it asked for, encoded here, so a hit and a miss are the same bytes.
import type { UpstreamAttempt } from "../../shared/audit-event";
import { canonicalJson } from "../../shared/canonical-json";
import type { AuditFacts } from "../audit/facts";
import type { CacheControls } from "../cache/controls";
import {
  type EmbeddingAddress,
  MAX_STORED_PER_REQUEST,
  readEmbeddings,
  writeEmbeddings,
} from "../cache/embedding-store";
import { ANSWER_NEUTRAL_FIELDS } from "../cache/plan";
import { storeTicket } from "../cache/sealers";
import { notCached, piiRefused } from "../chat/answer";
import { upstreamCredential } from "../chat/upstream-credential";
import type { AuthedContext } from "../context";
import { type EmbeddingVector, fromFloat32Base64 } from "../crypto/encoding";
import { ApiError, fail } from "../http/errors";
import { costOf } from "../models";
import { applyPiiPolicyToInputs } from "../policy/pii-policy";
import { type EmbeddingInput, type EmbeddingsRequest, EmbeddingsResponseSchema } from "../protocol/embeddings";
import { callUpstream, requireRoutableModel, UpstreamFailure } from "../upstream/call";
import { EMBEDDING_ANSWER_BYTES, readAnswer } from "../upstream/errors";

/** Inputs per provider call (a batch that misses more is asked in slices). */
export const UPSTREAM_SLICE = 256;
const EMPTY = new Float32Array(0);

/** Fields that say how the answer is delivered or who asked, not what it is (beside chat's neutral fields). */
const NOT_IN_PARTITION = new Set(["input", "encoding_format", ...ANSWER_NEUTRAL_FIELDS]);

export interface EmbeddingsAnswer {
  /** One vector per input, in order. */
  readonly vectors: EmbeddingVector[];
  readonly promptTokens: number;
  /** Inputs answered from the cache. */
  readonly hits: number;
  /** HIT-EXACT when every input was, MISS when the provider was asked, BYPASS when the cache was not used. */
  readonly status: "HIT-EXACT" | "MISS" | "BYPASS";
  readonly tokensSaved: number;
  readonly costSaved: number;
  readonly facts: AuditFacts;
}

export async function answerEmbeddings(
  rc: AuthedContext,
  asked: EmbeddingsRequest,
  controls: CacheControls,
): Promise<EmbeddingsAnswer> {
  const { rt, tenant } = rc;
  requireRoutableModel(rt, asked.model);
  const pii = applyPiiPolicyToInputs(asked, tenant.policy.pii_mode);
  if (pii.action === "unscannable") {
    throw fail("unscannable_input", { reason: "pii:token_arrays", facts: { model: asked.model } });
  }
  if (pii.action === "refuse") throw piiRefused("request", pii.kinds, asked.model);
  // The request as the provider and the cache see it (under `redact`, its findings replaced).
  const req = pii.request;
  const inputs = pii.inputs;
  const bypass = pii.action === "bypass" ? (pii.kinds.length ? "pii_skip" : "token_arrays") : null;
  const base: AuditFacts = {
    model: req.model,
    ...(pii.action === "clean" || pii.kinds.length === 0 ? {} : { pii: pii.kinds }),
    ...(bypass ? { cacheReason: `bypass:${bypass}` } : {}),
  };

  const addr = bypass === null && (controls.read || controls.write) ? await addressOf(rc, req, inputs, controls) : null;
  const now = Date.now();
  const read = addr && controls.read ? await readEmbeddings(rt, addr, now) : null;
  const stored = read?.stored ?? inputs.map(() => null);
  const missing = stored.flatMap((s, i) => (s === null ? [i] : []));
  const hitTokens = stored.reduce((n, s) => n + (s?.tokens ?? 0), 0);
  const saved = { tokensSaved: hitTokens, costSaved: costOf(req.model, hitTokens, 0) };
  // The inputs' keyed hash correlates requests in the trail — not for a request that consented to no storage.
  const promptHash =
    addr && controls.write ? { promptHash: await rc.keyring.hash("prompt", addr.inputHashes.join("\n")) } : {};

  if (missing.length === 0) {
    return {
      vectors: stored.map((s) => s!.embedding),
      promptTokens: hitTokens,
      hits: inputs.length,
      status: "HIT-EXACT",
      ...saved,
      facts: { ...base, ...promptHash, cache: "HIT-EXACT", promptTokens: hitTokens, costSaved: saved.costSaved },
    };
  }
  const status = addr && controls.read ? "MISS" : "BYPASS";
  // An input the batch repeats is asked for once (known by its keyed hash, when the cache is read): its copies
  // are answered with the first's vector, as a later request's would be from the cache.
  const firstAsked = new Map<string, number>();
  const toAskAt: number[] = [];
  const slotOf = new Map<number, number>();
  for (const i of missing) {
    const hash = addr && controls.read ? addr.inputHashes[i]! : null;
    const first = hash === null ? undefined : firstAsked.get(hash);
    if (first !== undefined) {
      slotOf.set(i, first);
      continue;
    }
    if (hash !== null) firstAsked.set(hash, toAskAt.length);
    slotOf.set(i, toAskAt.length);
    toAskAt.push(i);
  }
  const hits = inputs.length - toAskAt.length;
  let facts: AuditFacts = {
    ...base,
    ...promptHash,
    cache: status,
    ...(hits > 0 ? { reason: `embeddings:hits:${hits}` } : {}),
  };
  if (controls.onlyIfCached || !controls.callProvider) throw notCached(facts);
  // What this request saw of erasures, before the provider is called: its vectors are not stored if one ran since.
  const ticket = addr && controls.write ? await storeTicket(rt, addr, read) : null;

  // Asked in slices of UPSTREAM_SLICE inputs, one after another: a provider's answer is JSON numbers, about 19
  // bytes a float, so 2,048 vectors of 3,072 dimensions in one answer would be 120 MB of text to hold and parse.
  const fresh: { embedding: EmbeddingVector; tokens: number }[] = [];
  const attempts: UpstreamAttempt[] = [];
  let length = req.dimensions;
  try {
    for (let from = 0; from < toAskAt.length; from += UPSTREAM_SLICE) {
      const toAsk = toAskAt.slice(from, from + UPSTREAM_SLICE).map((i) => inputs[i]!);
      const result = await callUpstream(rt, {
        path: "embeddings",
        body: { ...req, input: toAsk, encoding_format: "float" },
        tenant: tenant.id,
        // Vectors of another model live in another space: an embedding request has no fallbacks.
        targets: [req.model],
        credentialFor: (target) => upstreamCredential(rt, tenant, rc.keyring, target, rc.request.headers),
        signal: rc.request.signal,
      });
      attempts.push(...result.attempts);
      const slice = await readVectors(result.response, toAsk, length);
      length ??= slice[0]?.embedding.length;
      fresh.push(...slice);
    }
    facts = { ...facts, upstream: attempts };
  } catch (err) {
    if (err instanceof UpstreamFailure)
      throw err.error.withFacts({ ...facts, upstream: [...attempts, ...err.attempts] });
    throw err instanceof ApiError
      ? err.withFacts({ ...facts, ...(attempts.length ? { upstream: attempts } : {}) })
      : err;
  }

  const vectors: EmbeddingVector[] = stored.map((s) => s?.embedding ?? EMPTY);
  let promptTokens = hitTokens;
  let repeatTokens = 0;
  for (const i of missing) {
    const slot = slotOf.get(i)!;
    const f = fresh[slot]!;
    vectors[i] = f.embedding;
    promptTokens += f.tokens;
    if (toAskAt[slot] !== i) repeatTokens += f.tokens;
  }
  const tokensSaved = hitTokens + repeatTokens;
  const costSaved = costOf(req.model, tokensSaved, 0);
  if (addr && ticket) {
    const toStore = new Map(toAskAt.slice(0, MAX_STORED_PER_REQUEST).map((i, n) => [i, fresh[n]!] as const));
    rc.exec.waitUntil(writeEmbeddings(rt, addr, ticket, toStore));
  }
  return {
    vectors,
    promptTokens,
    hits,
    status,
    tokensSaved,
    costSaved,
    // A MISS that was partly answered from the cache: what its cached inputs saved, as x-cache-tokens-saved says
    // (the event leaves it out when that is nothing).
    facts: { ...facts, promptTokens, costSaved, promptTokensSaved: tokensSaved },
  };
}

async function addressOf(
  rc: AuthedContext,
  req: EmbeddingsRequest,
  inputs: readonly EmbeddingInput[],
  controls: CacheControls,
): Promise<EmbeddingAddress> {
  const { keyring, tenant } = rc;
  const partition = Object.fromEntries(Object.entries(req).filter(([k]) => !NOT_IN_PARTITION.has(k)));
  const [partitionHash, scopeHash, userHash] = await Promise.all([
    keyring.hash("partition", `embeddings\n${canonicalJson(partition)}`),
    keyring.hash("scope", controls.scope),
    controls.user === null ? null : keyring.hash("user", controls.user),
  ]);
  const inputHashes = await Promise.all(
    inputs.map((i) =>
      keyring.hash(
        "embedding",
        `${scopeHash}\n${partitionHash}\n${typeof i === "string" ? `s:${i}` : `t:${i.join(",")}`}`,
      ),
    ),
  );
  return {
    tenant: tenant.id,
    keyring,
    userHash,
    model: req.model,
    inputHashes,
    ttlSeconds: controls.ttlSeconds,
    erasedBefore: tenant.erased_before,
  };
}

/**
 * The provider's vectors for the inputs asked, in order, each with its share of the tokens counted. They must
 * all have one length, the `dimensions` asked for when there are, and hold finite numbers only (NaN would reach
 * the client as `null`): anything else is not served, nor stored to answer later requests.
 */
async function readVectors(
  res: Response,
  asked: readonly EmbeddingInput[],
  length: number | undefined,
): Promise<{ embedding: EmbeddingVector; tokens: number }[]> {
  const raw = await readAnswer(res, { maxBytes: asked.length * EMBEDDING_ANSWER_BYTES });
  const parsed = EmbeddingsResponseSchema.safeParse(raw);
  if (!parsed.success || parsed.data.data.length !== asked.length) {
    throw fail("upstream_invalid_response", { reason: "embeddings_shape" });
  }
  const vectors: EmbeddingVector[] = [];
  for (const d of parsed.data.data) {
    const v = typeof d.embedding === "string" ? fromFloat32Base64(d.embedding) : Float32Array.from(d.embedding);
    if (v === null || d.index >= asked.length || vectors[d.index] !== undefined) {
      throw fail("upstream_invalid_response", { reason: "embeddings_shape" });
    }
    length ??= v.length;
    // Read as float32, a number beyond its range is infinite: refused with NaN.
    if (v.length !== length || !v.every(Number.isFinite)) {
      throw fail("upstream_invalid_response", { reason: "embeddings_vector" });
    }
    // A stored vector keeps no -0: read as 0 now, a miss's base64 is a hit's, bit for bit.
    for (const [i, x] of v.entries()) if (x === 0) v[i] = 0;
    vectors[d.index] = v;
  }
  const tokens = shareTokens(parsed.data.usage?.prompt_tokens ?? 0, asked);
  return vectors.map((embedding, i) => ({ embedding, tokens: tokens[i]! }));
}

/**
 * The provider counts a batch's tokens together; each input is credited a share by its length (largest
 * remainder, so the shares add up exactly). A single input gets the exact count, and every input at least one
 * token when the batch has as many (no input is free: a later hit of it reports what it cost).
 */
export function shareTokens(total: number, inputs: readonly EmbeddingInput[]): number[] {
  const weights = inputs.map((i) => (typeof i === "string" ? new TextEncoder().encode(i).length : i.length) || 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    shares[i]!++;
  }
  if (total >= inputs.length) {
    for (const [i, share] of shares.entries()) {
      if (share > 0) continue;
      const largest = shares.indexOf(Math.max(...shares));
      shares[largest]!--;
      shares[i] = 1;
    }
  }
  return shares;
}
