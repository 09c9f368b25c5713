// POST /v1/responses and GET /v1/responses/{id}. The reply follows the shared rule (reply.ts) over the whole
// conversation: the turns of previous_response_id's chain, then this request's instructions and input. The
// fingerprint is a hash of the body without stream, stream_options, store and previous_response_id, plus those
// earlier turns, so a follow-up is deterministic although response ids are not.
import { beforeAnswer, type Call, clientClosed, jsonAnswer, streamAnswer } from "../call";
import { fingerprintOf, Rng, seedOf } from "../determinism";
import { notFound } from "../http";
import { promptTokensOf, replyFor, type Turn } from "../reply";
import { parseResponsesRequest } from "./request";
import { newResponseId, outputItems, responseErrorEvent, responseEvents, responseObject } from "./response";
import { forgetResponse, keepResponse, storedResponse } from "./store";

export async function createResponse(call: Call, raw: Record<string, unknown>): Promise<Response> {
  const req = parseResponsesRequest(raw);
  const { stream: _s, stream_options: _o, store: _k, previous_response_id: _p, ...rest } = raw;
  const fingerprint = await fingerprintOf({ ...rest, history: req.history });
  const gen = { model: req.model, stream: req.stream, fingerprint, param400: "input" };
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
  if (req.store && completes) {
    const outputTurns: Turn[] = output.map((item) => ({
      role: "assistant",
      text: reply.kind === "text" && item.type === "message" ? reply.text : "",
    }));
    const callNames = new Map(req.callNames);
    if (reply.kind === "tool_calls") for (const c of reply.calls) callNames.set(c.id, c.name);
    keepResponse(parts.id, { response, turns: [...req.history, ...req.input, ...outputTurns], callNames });
  }
  if (!req.stream) return jsonAnswer(response, fault);
  return streamAnswer(call, gen, await responseEvents(parts, output), fault, responseErrorEvent);
}

export function retrieveResponse(id: string): Response {
  const stored = storedResponse(id);
  if (!stored) throw notFound(`Response with id '${id.slice(0, 100)}' not found.`);
  return Response.json(stored.response);
}

/** DELETE /v1/responses/{id}: OpenAI's deletion object, or its 404. */
export function deleteResponse(id: string): Response {
  if (!forgetResponse(id)) throw notFound(`Response with id '${id.slice(0, 100)}' not found.`);
  return Response.json({ id, object: "response", deleted: true });
}
