// POST /v1/chat/completions: parse, fingerprint, faults, then the completion whole or streamed.
import { beforeAnswer, type Call, clientClosed, jsonAnswer, streamAnswer } from "../call";
import { answerChat, chatErrorEvent, chatFingerprint, chunkEvents, completionBody } from "./completion";
import { parseChatRequest } from "./request";

export async function chatCompletions(call: Call, body: Record<string, unknown>): Promise<Response> {
  const req = parseChatRequest(body);
  const fingerprint = await chatFingerprint(req);
  const gen = { model: req.model, stream: req.stream, fingerprint, param400: "messages" };
  const fault = await beforeAnswer(call, gen);
  if (fault === null) return clientClosed();
  const answer = await answerChat(req, fingerprint);
  if (!req.stream) return jsonAnswer(completionBody(answer), fault);
  return streamAnswer(call, gen, await chunkEvents(answer, req), fault, chatErrorEvent);
}
