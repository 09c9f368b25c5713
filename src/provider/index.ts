// Local OpenAI-compatible provider for development, tests and benchmarks (never deployed). The gateway calls
// it instead of AI Gateway when PROVIDER=local. Answers are deterministic and shaped like OpenAI's, so that
// tools, JSON mode, refusals, streaming and SDK parsing can be tested against it.
//
//   POST /v1/chat/completions    chat completions, whole or streamed (chat/)
//   POST /v1/embeddings          deterministic unit vectors, float or base64 (embeddings.ts)
//   POST /v1/responses           the Responses API, whole or streamed (responses/)
//   GET  /v1/responses/{id}      a stored response (this isolate's memory); with ?stream=true its events again,
//                                after starting_after; DELETE forgets it; POST …/cancel cancels a background one in
//                                progress; GET …/input_items pages its input items
//   GET  /v1/models              the model list; GET /v1/models/{id} one model (models.ts)
//   GET  /healthz                {"ok":true}
// Every response carries `x-request-id` (req_…) and `openai-processing-ms` (time to the response head).
// Errors have OpenAI's shape {"error":{"message","type","param","code"}}; no exception reaches the caller.
//
// What a request gets (reply.ts): a refusal when the model is `refuse` or the last user message contains the
// word "refuse"; tool calls when the tool rule says so (tools.ts); otherwise the text `Local answer
// {fingerprint}: you asked "{question}". This deterministic reply comes from Cordon's local provider.`, or
// JSON for json_object / json_schema formats (json-values.ts).
//
// Faults, chosen by the model name (a `provider/` prefix is ignored: `local/slow-200` = `slow-200`), apply to
// the three POST endpoints, after the body is validated; any other name answers normally. LATENCY_MS adds a
// fixed wait to every POST.
//   slow-<ms>         wait that long (≤ 60 000) before answering
//   slow-stream-<ms>  wait that long (≤ 60 000) before each SSE event after the first, writing an SSE comment
//                     (`: waiting`) every 250 ms of a longer wait, so that a caller's abort mid-stream is
//                     noticed; a non-stream request answers without waiting
//   error-<status>    answer that HTTP status (400–599) with an OpenAI-style error: 400 names `param` (messages
//                     or input), 401 code invalid_api_key, 404 param model code model_not_found, 429 type
//                     "requests" code rate_limit_exceeded with retry-after: 1 and x-ratelimit-limit-requests: 60,
//                     x-ratelimit-remaining-requests: 0, x-ratelimit-reset-requests: 1s; 5xx type server_error
//   flaky-<N>         fail N % (0–100) of requests with 503 server_error: the n-th request of that name in
//                     this isolate, on any endpoint, fails when ceil(n·N/100) > ceil((n−1)·N/100) — flaky-50
//                     fails the 1st, 3rd, 5th… and answers the 2nd, 4th…; flaky-<N>-<label> (label
//                     [a-z0-9]{1,32}) counts on its own, so that tests need not share a count
//   error-after-<k>   stream (k ≤ 10 000): k content events (text, refusal or argument deltas), then an SSE
//                     `error` event and the end of the stream, without [DONE] or response.completed — chat
//                     sends `event: error` / data {"error":{message,type,param,code}}, the Responses API
//                     `event: error` / data {"type":"error",code,message,param,sequence_number}; with fewer
//                     than k content events the error follows the last one; non-stream: 500 server_error
//   hang              never answer, until the caller aborts (a safety net answers 504 after 10 minutes)
//   broken-stream     stream: two content events, then the connection drops mid-event (half an event, then the
//                     end) without a finish, [DONE] or response.completed;
//                     non-stream: status 200 with a body cut in the middle of the JSON
//
// Abort observation (abort-log.ts): when a caller goes away before the answer is complete, the provider
// records it — mid-stream always (the next write fails; within 250 ms under slow-stream-<ms>), and while it
// is still waiting (LATENCY_MS, slow-<ms>, hang) when request.signal reports it, which needs the compatibility
// flag enable_request_signal (set in this Worker's wrangler.toml). Read through the LocalProvider entrypoint:
// `abortLog()` returns the records, oldest first (the newest 100), `clearAbortLog()` empties the log.

import { WorkerEntrypoint } from "cloudflare:workers";
import { decodedSegment } from "../shared/path-segment";
import { type AbortRecord, abortRecords, clearAbortRecords } from "./abort-log";
import type { Call } from "./call";
import { chatCompletions } from "./chat/handler";
import { newRequestId } from "./determinism";
import { embeddings } from "./embeddings";
import { latencyOf } from "./faults";
import { errorResponse, methodNotAllowed, ProviderError, readJsonObject } from "./http";
import { listModels, retrieveModel } from "./models";
import {
  cancelResponse,
  createResponse,
  deleteResponse,
  listInputItems,
  retrieveResponse,
  streamResponse,
} from "./responses/handler";

export type { AbortRecord } from "./abort-log";

const POST_ROUTES = new Map<string, (call: Call, body: Record<string, unknown>) => Promise<Response>>([
  ["/v1/chat/completions", chatCompletions],
  ["/v1/embeddings", embeddings],
  ["/v1/responses", createResponse],
]);

/** Every request goes through here: request id and timing headers on every answer, never an exception. */
async function handle(request: Request, env: CordonProvider.Env, ctx?: ExecutionContext): Promise<Response> {
  const requestId = newRequestId();
  const startedAt = Date.now();
  let response: Response;
  try {
    // Without an execution context (a direct call), a stream's writer task simply runs on its own.
    const waitUntil = (task: Promise<unknown>) => ctx?.waitUntil(task);
    response = await route(request, env, { requestId, startedAt, waitUntil });
  } catch (err) {
    response =
      err instanceof ProviderError
        ? errorResponse(err.init)
        : errorResponse({ status: 500, message: "The local provider failed.", type: "server_error" });
  }
  response.headers.set("x-request-id", requestId);
  response.headers.set("openai-processing-ms", String(Date.now() - startedAt));
  return response;
}

async function route(
  request: Request,
  env: CordonProvider.Env,
  base: Pick<Call, "requestId" | "startedAt" | "waitUntil">,
): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  const post = POST_ROUTES.get(path);
  if (post) {
    if (request.method !== "POST") return methodNotAllowed("POST");
    const latencyMs = latencyOf(env.LATENCY_MS);
    if (latencyMs === null) {
      return errorResponse({
        status: 500,
        message: "LATENCY_MS must be a whole number of milliseconds from 0 to 60000.",
        type: "server_error",
        code: "bad_configuration",
      });
    }
    return post({ ...base, path, signal: request.signal, latencyMs }, await readJsonObject(request));
  }
  const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
  if (stored && request.method === "DELETE") return deleteResponse(decodedSegment(stored[1]!));
  if (stored && request.method === "GET" && url.searchParams.get("stream") === "true") {
    const call = { ...base, path, signal: request.signal, latencyMs: 0 };
    return streamResponse(call, decodedSegment(stored[1]!), url.searchParams);
  }
  const cancel = /^\/v1\/responses\/([^/]+)\/cancel$/.exec(path);
  if (cancel) return request.method === "POST" ? cancelResponse(decodedSegment(cancel[1]!)) : methodNotAllowed("POST");
  const get = getRoute(url);
  if (get) return request.method === "GET" ? get() : methodNotAllowed(stored ? "GET, DELETE" : "GET");
  return errorResponse({
    status: 404,
    message: `Unknown path ${path.slice(0, 100)}.`,
    type: "invalid_request_error",
    code: "not_found",
  });
}

function getRoute(url: URL): (() => Response) | null {
  const path = url.pathname;
  if (path === "/healthz") return () => Response.json({ ok: true });
  if (path === "/v1/models") return listModels;
  const model = /^\/v1\/models\/(.+)$/.exec(path);
  if (model) return () => retrieveModel(decodedSegment(model[1]!));
  const response = /^\/v1\/responses\/([^/]+)$/.exec(path);
  if (response) return () => retrieveResponse(decodedSegment(response[1]!));
  const items = /^\/v1\/responses\/([^/]+)\/input_items$/.exec(path);
  if (items) return () => listInputItems(decodedSegment(items[1]!), url.searchParams);
  return null;
}

/**
 * Service-binding entrypoint (the test Worker binds the gateway's PROVIDER_SERVICE to it): the same fetch
 * handler, and the abort log over RPC.
 */
export class LocalProvider extends WorkerEntrypoint<CordonProvider.Env> {
  override fetch(request: Request): Promise<Response> {
    return handle(request, this.env, this.ctx);
  }

  /** Aborts the provider noticed in this isolate, oldest first (the newest 100). */
  abortLog(): AbortRecord[] {
    return abortRecords();
  }

  clearAbortLog(): void {
    clearAbortRecords();
  }
}

export default {
  fetch: handle,
} satisfies ExportedHandler<CordonProvider.Env>;
