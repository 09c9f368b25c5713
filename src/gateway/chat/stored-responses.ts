// GET and DELETE /v1/responses/{id}, POST …/cancel and GET …/input_items: a response the provider stored for a
// stateful Responses request, read, deleted, cancelled (a background one) or its input items listed at the
// provider; and GET /v1/responses/{id}?stream=true, its events streamed again (a background response's, resumed
// after `starting_after`). The provider keeps it under the credential that made it — the deployment's own for
// every tenant without a virtual key — so Cordon asks only for a response its tenant's requests stored, for the
// same user or for no user as this request (the owner, as for previous_response_id: provider-responses.ts).
// Anything else is 404 `response_not_found` before the provider is asked, whether another's or unknown. Never
// cached; one attempt, which a client may repeat (x-should-retry: true on a provider failure).
import type * as z from "zod";
import { logText } from "../../shared/log-text";
import { decodedSegment } from "../../shared/path-segment";
import type { AuditFacts } from "../audit/facts";
import { type CacheControls, resolveControls } from "../cache/controls";
import type { AuthedContext } from "../context";
import { fail } from "../http/errors";
import { UpstreamAttemptError } from "../ports/provider";
import {
  type DeletedResponseSchema,
  InputItemListSchema,
  outputItemIds,
  type ResponseObject,
  ResponseObjectSchema,
} from "../protocol/responses";
import { TENANT_WIDE_OWNER } from "../storage/tenant-object/provider-responses";
import { secretsOf } from "../upstream/call";
import { passOn, readAnswer, unanswered } from "../upstream/errors";
import { hideCachedTokens } from "../upstream/shared-cache";
import { providerStream, streamEndFacts } from "./answer";
import { captureResponseStream } from "./responses-sse";
import { upstreamCredential } from "./upstream-credential";

/**
 * Whose a stored response is, for a request with these controls, as the tenant's object records it: the user's
 * keyed hash, or TENANT_WIDE_OWNER.
 */
export async function responseOwner(rc: AuthedContext, controls: CacheControls): Promise<string> {
  return controls.user === null ? TENANT_WIDE_OWNER : await rc.keyring.hash("user", controls.user);
}

/** The words that end the refusal of a stored response to a request with these controls. */
export const forWhom = (controls: CacheControls): string =>
  controls.user === null ? " for a request naming no user" : " for this user";

/** A response id as the provider makes them (`resp_…`), bounded as recorded ids are. */
const RESPONSE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** What common query parsers read as true (case aside): Pydantic's and most frameworks' spellings of a boolean. */
const TRUE_WORDS = new Set(["true", "1", "yes", "on", "t", "y"]);

/**
 * Whether a retrieval's query asks for a stream in a spelling a provider may read as one: any `stream` parameter
 * (the first, the last or another, as the provider picks) whose value says true. Such a retrieval is streamed
 * (streamedResponse), and the provider is sent one `stream=true`, so that the two cannot read the query apart.
 */
export const asksForStream = (query: URLSearchParams): boolean =>
  query.getAll("stream").some((value) => TRUE_WORDS.has(value.trim().toLowerCase()));

/**
 * The query passed on to the provider: the request's as sent, but a retrieval's `stream` parameters, which become
 * one `stream=true` for a streamed retrieval and none for any other (the provider's default, a whole response).
 */
function providerQuery(url: URL, action: StoredResponseAction, streamed: boolean): string {
  if (action !== "retrieve" || (!streamed && !url.searchParams.has("stream"))) return url.search;
  const query = new URLSearchParams();
  let said = false;
  for (const [name, value] of url.searchParams) {
    if (name !== "stream") query.append(name, value);
    else if (streamed && !said) {
      query.append("stream", "true");
      said = true;
    }
  }
  const text = query.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * What can be done to a stored response: the provider's method, what follows `/{id}` in its URL, and the shape
 * its answer must have (null: answered with OpenAI's deletion object once the provider said yes).
 */
const ACTIONS = {
  retrieve: { method: "GET", under: "", shape: ResponseObjectSchema },
  delete: { method: "DELETE", under: "", shape: null },
  cancel: { method: "POST", under: "/cancel", shape: ResponseObjectSchema },
  inputItems: { method: "GET", under: "/input_items", shape: InputItemListSchema },
} as const satisfies Record<string, { method: "GET" | "DELETE" | "POST"; under: string; shape: z.ZodType | null }>;
export type StoredResponseAction = keyof typeof ACTIONS;

/**
 * Reads, deletes, cancels or lists the input items of the stored response `rawId`; the provider's JSON on
 * success. A deleted one is forgotten here too, so that no later request continues from it.
 */
export async function storedResponse(rc: AuthedContext, action: StoredResponseAction, rawId: string): Promise<unknown> {
  const { shape } = ACTIONS[action];
  const { res, id, owner, shared } = await askProvider(rc, action, rawId);
  // One attempt: a provider that stopped sending part-way is worth another.
  const body = await readAnswer(res, { retry: true });
  if (shared && body !== null && typeof body === "object") hideCachedTokens((body as { usage?: unknown }).usage);
  if (shape === null) {
    await rc.rt.tenantObject(rc.tenant.id).forgetProviderResponse(id, owner);
    return { id, object: "response", deleted: true } satisfies z.infer<typeof DeletedResponseSchema>;
  }
  const parsed = shape.safeParse(body);
  if (!parsed.success) throw fail("upstream_invalid_response", { reason: "response_shape" });
  // A background response has no output when it is made: its items are recorded once its owner sees them, so
  // that an item_reference to them is that owner's to make, as for a response answered at once.
  if (action === "retrieve" || action === "cancel") {
    const items = outputItemIds(parsed.data as ResponseObject);
    if (items.length > 0) recordStoredResponse(rc, id, items, owner);
  }
  return body;
}

/**
 * GET /v1/responses/{id}?stream=true: the stored response's events as the provider streams them again (after
 * `starting_after`, for a background response resumed), relayed as a streamed answer is (captureResponseStream:
 * credentials scrubbed from its error events, the client's abort followed, an error event and response.failed
 * when it breaks or is not a stream at all). The output items it names are recorded for the owner, as a read
 * records them. Facts: how the stream ended, once it has.
 */
export async function streamedResponse(
  rc: AuthedContext,
  rawId: string,
): Promise<{ body: ReadableStream<Uint8Array>; facts: Promise<AuditFacts> }> {
  const { res, id, owner, secrets, shared } = await askProvider(rc, "retrieve", rawId, true);
  const { stream, facts, settle } = providerStream(res, {});
  const body = captureResponseStream(
    stream,
    (end) => {
      if (end.items.length > 0) recordStoredResponse(rc, id, end.items, owner);
      settle(streamEndFacts(end.kind, rc.request.signal));
    },
    { secrets, signal: rc.request.signal, hideCachedTokens: shared },
  );
  return { body, facts };
}

/**
 * The provider's answer (2xx, its body unread) to `action` on the stored response `rawId`, once the owner check
 * passed, with the request's query (providerQuery). A failure to answer, a 5xx, or a refusal (passed on in the
 * provider's terms, scrubbed) is thrown.
 */
async function askProvider(
  rc: AuthedContext,
  action: StoredResponseAction,
  rawId: string,
  streamed = false,
): Promise<{ res: Response; id: string; owner: string; secrets: readonly string[]; shared: boolean }> {
  const { rt, tenant, keyring } = rc;
  const { method, under } = ACTIONS[action];
  const id = decodedSegment(rawId);
  const controls = resolveControls({ headers: rc.request.headers, bodyUser: undefined }, tenant.policy, rc.principal);
  const owner = await responseOwner(rc, controls);
  const known = RESPONSE_ID.test(id) && (await rt.tenantObject(tenant.id).unknownProviderIds([id], owner)).length === 0;
  if (!known) {
    throw fail("response_not_found", {
      message: `No response with id '${id.slice(0, 64)}' was made through this tenant${forWhom(controls)}.`,
      reason: "response_of_another_owner_or_unknown",
    });
  }
  // The Responses API is OpenAI's: the credential a request for an OpenAI model would be sent with.
  const credential = await upstreamCredential(rt, tenant, keyring, "openai/responses", rc.request.headers);
  const secrets = secretsOf(rt, credential);
  let res: Response;
  try {
    res = await rt.provider.send({
      path: "responses",
      method,
      resource: `/${encodeURIComponent(id)}${under}${providerQuery(rc.url, action, streamed)}`,
      tenant: tenant.id,
      ...(credential === undefined ? {} : { credential }),
      signal: rc.request.signal,
      timeoutMs: rt.config.providerTimeoutMs,
    });
  } catch (err) {
    const failure = err instanceof UpstreamAttemptError ? err.failure : "network";
    if (failure === "aborted") throw fail("request_aborted", { reason: "client_aborted" });
    throw unanswered(failure === "timeout", null, true);
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw unanswered(false, res.status, true);
  }
  // The provider's refusal in its own terms (its 404 for a response it no longer keeps, say), scrubbed.
  if (!res.ok) throw (await passOn(res, secrets)).error;
  return { res, id, owner, secrets, shared: credential === undefined };
}

/**
 * Records a response the provider stored, and the ids of its output items, as `owner`'s — what later requests
 * may continue from or refer to — once the answer is sent; a failure is logged (the response then cannot be
 * continued through Cordon).
 */
export function recordStoredResponse(rc: AuthedContext, id: string, items: readonly string[], owner: string): void {
  rc.exec.waitUntil(
    rc.rt
      .tenantObject(rc.tenant.id)
      .recordProviderResponse(
        id,
        Date.now(),
        items.filter((item) => item.length <= 256),
        owner,
      )
      .catch((err: unknown) => console.error(`provider response ${id} not recorded: ${logText(err)}`)),
  );
}
