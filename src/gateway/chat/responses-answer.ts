// One answer to a Responses API request (POST /v1/responses), as chat's (answer.ts): PII policy → plan → cache
// address → lookup → (miss) provider → store after the response. Only stateless requests (store: false, no
// previous_response_id, conversation or background) use the cache; a stateful request is passed through:
// sent to the requested model only — never to a tenant fallback, since the provider keeps the response under
// the model that made it and a follow-up would continue another model's conversation — its answer returned
// or streamed as the provider sent it, never stored (`x-cache: BYPASS`, reason `bypass:stateful`).
import type { AuditFacts } from "../audit/facts";
import type { CacheControls } from "../cache/controls";
import type { CacheHit } from "../cache/entries";
import { planResponses } from "../cache/plan-responses";
import { storeEntry } from "../cache/store";
import type { AuthedContext } from "../context";
import { ApiError, fail } from "../http/errors";
import { piiInAnswer } from "../policy/pii-policy";
import { applyResponsesPiiPolicy } from "../policy/pii-responses";
import {
  isStateless,
  isStorableResponse,
  outputItemIds,
  type ResponseObject,
  ResponseObjectSchema,
  type ResponsesRequest,
} from "../protocol/responses";
import { readAnswer } from "../upstream/errors";
import { hideCachedTokens } from "../upstream/shared-cache";
import { consult, piiRefused, providerStream, streamEndFacts } from "./answer";
import { forStorage } from "./responses-fresh";
import { captureResponseStream } from "./responses-sse";
import { forWhom, recordStoredResponse, responseOwner } from "./stored-responses";

export type ResponsesAnswer =
  /** From the cache; `stale` when served past its TTL because every upstream target failed. */
  | { kind: "hit"; hit: CacheHit; response: ResponseObject; stale: boolean; facts: AuditFacts }
  /** `body` is the provider's JSON as it sent it. */
  | { kind: "miss"; body: unknown; entryId: string | null; status: "MISS" | "BYPASS"; facts: AuditFacts }
  | {
      kind: "stream";
      body: ReadableStream<Uint8Array>;
      entryId: string | null;
      status: "MISS" | "BYPASS";
      /** Why the cache was not used, as known when the stream starts (e.g. `bypass:stateful`). */
      cacheReason: string | undefined;
      facts: Promise<AuditFacts>;
    }
  | { kind: "not_cached"; facts: AuditFacts };

export async function answerResponses(
  rc: AuthedContext,
  asked: ResponsesRequest,
  controls: CacheControls,
): Promise<ResponsesAnswer> {
  const { rt, tenant } = rc;
  const aiGateway = rt.config.provider.kind === "ai-gateway";
  if (aiGateway && !/^openai\/\S+$/.test(asked.model)) {
    throw fail("invalid_model", {
      message: "The Responses API is served for OpenAI models: model must be 'openai/<model>', e.g. 'openai/gpt-4o'.",
      facts: { model: asked.model },
    });
  }
  const now = Date.now();

  const pii = applyResponsesPiiPolicy(asked, tenant.policy.pii_mode);
  if (pii.action === "refuse") throw piiRefused("request", pii.kinds, asked.model);
  const req = pii.request;
  const stateless = isStateless(req);
  // The provider keeps stored responses and their items under the credential that made them, which tenants
  // without a virtual key share: a request continues only from a response made through its own tenant — for
  // the same user, or for no user as this one — and an item_reference (or a reasoning item sent by its id alone)
  // names only an output item of one. Both are looked up in one call to the tenant's object.
  const previous = req.previous_response_id ?? null;
  const references = itemReferences(req);
  const named = references.filter((id): id is string => typeof id === "string" && id !== "" && id.length <= 256);
  const ids = previous === null ? named : [previous, ...named];
  // Whose the responses are (a keyed hash, for a user): needed only by a request that names one, or whose answer
  // the provider stores — not on the way of a stateless request to the cache.
  const storedAtProvider = !stateless && req.store !== false;
  const owner = ids.length > 0 || storedAtProvider ? await responseOwner(rc, controls) : null;
  const unknown = new Set(
    owner !== null && ids.length > 0 ? await rt.tenantObject(tenant.id).unknownProviderIds(ids, owner) : [],
  );
  if (previous !== null && unknown.has(previous)) {
    throw fail("previous_response_not_found", {
      message: `No response with id '${previous.slice(0, 64)}' was made through this tenant${forWhom(controls)}.`,
      reason: "previous_response_of_another_tenant_or_unknown",
      facts: { model: req.model },
    });
  }
  if (named.length < references.length || named.some((id) => unknown.has(id))) {
    throw fail("invalid_field", {
      message: `An item in 'input' refers to no item of a response made through this tenant${forWhom(controls)}.`,
      reason: "item_reference_of_another_tenant_or_unknown",
      facts: { model: req.model },
    });
  }
  const plan: ReturnType<typeof planResponses> = !stateless
    ? { cacheable: false, reason: "stateful" }
    : pii.action === "bypass"
      ? { cacheable: false, reason: "pii_skip" }
      : planResponses(req);

  const consulted = await consult(rc, {
    answer: "responses",
    pii,
    targets: stateless ? [req.model, ...fallbacks(rc)] : [req.model],
    plan,
    controls,
    now,
  });
  if (consulted.kind === "hit") {
    const { hit, answer, stale, facts } = consulted;
    return { kind: "hit", hit, response: answer.response, stale, facts };
  }
  if (consulted.kind === "not_cached") return consulted;
  const { response: upstream, status, missed, storeAs, entryId, embedding, secrets, shared } = consulted;
  // A response the provider stores (a stateful request's) is recorded as this tenant's, to be continued from.
  const remember = (id: string | null, items: readonly string[]) => {
    if (storedAtProvider && owner !== null && id !== null) recordStoredResponse(rc, id, items, owner);
  };
  /** Stores a completed text answer holding no personal data; returns the facts it adds. */
  const keep = (response: ResponseObject | null): AuditFacts => {
    const storable = response !== null && storeAs !== null && isStorableResponse(response);
    const answerPii = storable ? piiInAnswer(response.output) : [];
    const stored = storable && answerPii.length === 0;
    if (stored)
      rc.exec.waitUntil(
        storeEntry(rt, storeAs, entryId!, { kind: "responses", response: forStorage(response) }, embedding),
      );
    return {
      ...(stored ? { entryId: entryId! } : {}),
      ...(answerPii.length ? { cacheReason: "pii:answer" } : {}),
      ...tokenFacts(response),
    };
  };

  if (req.stream) {
    const { stream, facts, settle } = providerStream(upstream, missed);
    const body = captureResponseStream(
      stream,
      (end) => {
        remember(end.id, end.items);
        settle({
          ...missed,
          ...keep(end.response),
          ...streamEndFacts(end.kind, rc.request.signal),
        });
      },
      {
        secrets,
        signal: rc.request.signal,
        // The response is its owner's from its first event: a client whose connection drops (one the gateway may
        // not notice for a while) resumes a background stream at once (GET …?stream=true&starting_after).
        onNamed: (id) => remember(id, []),
        hideCachedTokens: shared,
      },
    );
    return { kind: "stream", body, entryId, status, cacheReason: missed.cacheReason, facts };
  }

  let raw: unknown;
  let response: ResponseObject;
  try {
    ({ raw, response } = await readResponse(upstream));
  } catch (err) {
    throw err instanceof ApiError ? err.withFacts(missed) : err;
  }
  if (shared) hideCachedTokens(response.usage);
  remember(typeof response.id === "string" ? response.id : null, outputItemIds(response));
  const added = keep(response);
  return { kind: "miss", body: raw, entryId: added.entryId ?? null, status, facts: { ...missed, ...added } };
}

/**
 * The tenant's fallbacks a stateless request may go to: all of them with the local provider; through AI
 * Gateway only OpenAI models, as the Responses API is OpenAI's (config.ts sends it to AI Gateway's OpenAI
 * endpoint).
 */
function fallbacks(rc: AuthedContext): string[] {
  const all = rc.tenant.policy.fallbacks;
  return rc.rt.config.provider.kind === "ai-gateway" ? all.filter((m) => m.startsWith("openai/")) : [...all];
}

/**
 * The ids of stored items the request's input refers to (whatever their type, as sent): each `item_reference`'s,
 * and each reasoning item's sent by its id alone — without its encrypted_content, the provider takes it from what
 * it stored under that id.
 */
function itemReferences(req: ResponsesRequest): unknown[] {
  if (!Array.isArray(req.input)) return [];
  return req.input.flatMap((item) => {
    const { id, encrypted_content: carried } = item as { id?: unknown; encrypted_content?: unknown };
    if (item.type === "item_reference") return [id];
    return item.type === "reasoning" && id !== undefined && id !== null && (carried ?? null) === null ? [id] : [];
  });
}

function tokenFacts(response: ResponseObject | null): AuditFacts {
  const usage = response?.usage;
  return usage ? { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens } : {};
}

async function readResponse(res: Response): Promise<{ raw: unknown; response: ResponseObject }> {
  const raw = await readAnswer(res);
  // Checked, then kept as the provider sent it (the schema's output would reorder its fields; it changes nothing).
  if (!ResponseObjectSchema.safeParse(raw).success)
    throw fail("upstream_invalid_response", { reason: "response_shape" });
  return { raw, response: raw as ResponseObject };
}
