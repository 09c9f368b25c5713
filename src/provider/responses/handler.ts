// POST /v1/responses; GET and DELETE /v1/responses/{id}, POST …/cancel and GET …/input_items. The reply follows
// the shared rule (reply.ts) over the whole conversation: the turns of previous_response_id's chain, then this
// request's instructions and input. The fingerprint is a hash of the body without stream, stream_options, store
// and previous_response_id, plus those earlier turns, so a follow-up is deterministic although response ids are
// not. A background request (without stream) is answered at once with its object `queued`; GET then shows it
// `in_progress` while slow-<ms> says it runs (done at once otherwise), and cancel stops it there, as OpenAI's
// does. GET …?stream=true sends a stored response's events again, from after `starting_after` (a background
// stream resumed).
import { beforeAnswer, type Call, clientClosed, jsonAnswer, streamAnswer } from "../call";
import { fingerprintOf, Rng, seedOf } from "../determinism";
import { type Fault, faultOf, MAX_DELAY_MS } from "../faults";
import { invalidRequest, notFound } from "../http";
import { promptTokensOf, replyFor, type Turn } from "../reply";
import { inputItemPage, inputItemsOf } from "./items";
import { parseResponsesRequest } from "./request";
import { newResponseId, outputItems, responseErrorEvent, responseEvents, responseObject } from "./response";
import { currentResponse, forgetResponse, keepResponse, type StoredResponse, storedResponse } from "./store";

export async function createResponse(call: Call, raw: Record<string, unknown>): Promise<Response> {
  const req = parseResponsesRequest(raw);
  const { stream: _s, stream_options: _o, store: _k, previous_response_id: _p, ...rest } = raw;
  const fingerprint = await fingerprintOf({ ...rest, history: req.history });
  const background = req.background && !req.stream;
  const gen = { model: req.model, stream: req.stream, fingerprint, param400: "input", background };
  const fault = await beforeAnswer(call, gen);
  if (fault === null) return clientClosed();

  const turns = [...req.history, ...req.instructions, ...req.input];
  const reply = await replyFor({ ...req, turns, fingerprint });
  const parts = {
    id: newResponseId(),
    createdAt: Math.floor(Date.now() / 1000),
    req,
    reply,
    inputTokens: promptTokensOf(turns),
    fingerprint,
  };
  const output = outputItems(parts, new Rng(await seedOf("items", fingerprint)));
  const response = responseObject(parts, output, true);
  const completes = fault.kind !== "broken" && fault.kind !== "error-after";
  const inProgress = background ? responseObject(parts, output, false) : null;
  if (req.store && completes) {
    const outputTurns: Turn[] = output.map((item) => ({
      role: "assistant",
      text: reply.kind === "text" && item.type === "message" ? reply.text : "",
    }));
    const callNames = new Map(req.callNames);
    if (reply.kind === "tool_calls") for (const c of reply.calls) callNames.set(c.id, c.name);
    const asked = [...req.history, ...req.input];
    const runsMs = fault.kind === "slow" ? fault.ms : 0;
    keepResponse(parts.id, {
      response,
      turns: [...asked, ...outputTurns],
      callNames,
      inputItems: inputItemsOf(req.body.input),
      replay: {
        model: req.model,
        fingerprint,
        events: (includeObfuscation) => responseEvents({ ...parts, req: { ...req, includeObfuscation } }, output),
      },
      ...(inProgress ? { pending: { response: inProgress, until: Date.now() + runsMs, turns: asked } } : {}),
    });
  }
  if (inProgress) return jsonAnswer({ ...inProgress, status: "queued" }, fault);
  if (!req.stream) return jsonAnswer(response, fault);
  return streamAnswer(call, gen, await responseEvents(parts, output), fault, responseErrorEvent);
}

/** A kept response, or OpenAI's 404. */
function kept(id: string): StoredResponse {
  const stored = storedResponse(id);
  if (!stored) throw notFound(`Response with id '${id.slice(0, 100)}' not found.`);
  return stored;
}

export function retrieveResponse(id: string): Response {
  return Response.json(currentResponse(kept(id), Date.now()));
}

/**
 * GET /v1/responses/{id}?stream=true: the events of a stored response made again, the same ones its stream sent
 * (numbered alike, the same deltas and obfuscation), from the one after `starting_after` to the terminal event —
 * how a client resumes a background stream it lost. `include_obfuscation=false` leaves the padding out. A
 * slow-stream-<ms> model's events come as slowly as they first did; a background response still in progress
 * sends its events spread over the time it has left, the last when it is done. A cancelled one has no events to
 * send (OpenAI's streams have no event for it): 400.
 */
export async function streamResponse(call: Call, id: string, query: URLSearchParams): Promise<Response> {
  const stored = kept(id);
  if (stored.response.status === "cancelled") {
    throw invalidRequest(`Response with id '${id.slice(0, 100)}' was cancelled: it has no events to stream.`, null);
  }
  const after = query.get("starting_after");
  if (after !== null && !/^\d{1,9}$/.test(after)) {
    throw invalidRequest(
      "Invalid 'starting_after': expected a sequence number (an integer of 0 or more).",
      "starting_after",
    );
  }
  const { model, fingerprint, events } = stored.replay;
  const all = await events(query.get("include_obfuscation") !== "false");
  const rest = after === null ? all : all.slice(Number(after) + 1);
  const gen = { model, stream: true, fingerprint, param400: "starting_after" };
  return streamAnswer(call, gen, rest, replayPace(stored, rest.length), responseErrorEvent);
}

/** The wait between replayed events: the model's slow-stream-<ms>, or what spreads a pending response's time left. */
function replayPace(stored: StoredResponse, events: number): Fault {
  const fault = faultOf(stored.replay.model);
  const own = fault.kind === "slow-stream" ? fault.ms : 0;
  const left = stored.pending ? stored.pending.until - Date.now() : 0;
  const spread = left > 0 && events > 1 ? Math.ceil(left / (events - 1)) : 0;
  const ms = Math.min(MAX_DELAY_MS, Math.max(own, spread));
  return ms > 0 ? { kind: "slow-stream", ms } : { kind: "none" };
}

/**
 * POST /v1/responses/{id}/cancel: a background response still in progress becomes `cancelled`, without output;
 * one already done is answered as it is (cancelling again changes nothing). Any other is OpenAI's 400.
 */
export function cancelResponse(id: string): Response {
  const stored = kept(id);
  if (stored.response.background !== true) {
    throw invalidRequest("Only responses created with background=true can be cancelled.", null);
  }
  if (stored.pending && Date.now() < stored.pending.until) {
    stored.response = { ...stored.pending.response, status: "cancelled" };
    stored.turns = stored.pending.turns;
    stored.pending = undefined;
  }
  return Response.json(stored.response);
}

/** GET /v1/responses/{id}/input_items: a page of the request's input items (items.ts). */
export function listInputItems(id: string, query: URLSearchParams): Response {
  return Response.json(inputItemPage(kept(id).inputItems, query));
}

/** DELETE /v1/responses/{id}: OpenAI's deletion object, or its 404. */
export function deleteResponse(id: string): Response {
  if (!forgetResponse(id)) throw notFound(`Response with id '${id.slice(0, 100)}' not found.`);
  return Response.json({ id, object: "response", deleted: true });
}
