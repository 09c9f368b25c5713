// Local OpenAI-compatible provider for development, tests and benchmarks (never deployed). The gateway calls
// it instead of AI Gateway when PROVIDER=local. Deterministic answers (answer.ts), SSE streaming (stream.ts),
// latency and faults injected through the model name (faults.ts):
//   slow-<ms>       wait that long before answering (≤ 60 s)
//   error-<status>  answer with that HTTP status (400–599) and an OpenAI-style error
//   hang            never answer (until the caller aborts)
//   broken-stream   stream two content chunks then fail without [DONE]; non-stream: invalid JSON, status 200
// The name may carry a provider prefix (`local/slow-200`). LATENCY_MS adds a fixed latency to every answer.
//
//   POST /v1/chat/completions   the chat completion endpoint
//   GET  /healthz               {"ok":true}
import { WorkerEntrypoint } from "cloudflare:workers";
import { answerFor, completionBody, newMeta } from "./answer";
import { type Fault, faultOf, latencyOf, pause, untilAborted } from "./faults";
import { type ChatRequest, errorResponse, parseChatRequest } from "./request";
import { streamAnswer } from "./stream";

const CHAT_PATH = "/v1/chat/completions";

/** Every request goes through here; no exception ever reaches the client. */
async function handle(request: Request, env: CordonProvider.Env): Promise<Response> {
  try {
    return await route(request, env);
  } catch {
    return errorResponse(500, "The local provider failed.", "server_error", "internal_error");
  }
}

async function route(request: Request, env: CordonProvider.Env): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/healthz") {
    return request.method === "GET" ? Response.json({ ok: true }) : methodNotAllowed("GET");
  }
  if (pathname !== CHAT_PATH)
    return errorResponse(404, `Unknown path ${pathname.slice(0, 100)}.`, "invalid_request_error", "not_found");
  if (request.method !== "POST") return methodNotAllowed("POST");

  const latencyMs = latencyOf(env.LATENCY_MS);
  if (latencyMs === null) {
    return errorResponse(
      500,
      "LATENCY_MS must be a whole number of milliseconds from 0 to 60000.",
      "server_error",
      "bad_configuration",
    );
  }
  const parsed = await parseChatRequest(request);
  if (!parsed.ok) return parsed.response;
  return complete(parsed.request, faultOf(parsed.request.model), latencyMs, request.signal);
}

/** Injected latency, then the fault or the answer. */
async function complete(req: ChatRequest, fault: Fault, latencyMs: number, signal: AbortSignal): Promise<Response> {
  const delay = latencyMs + (fault.kind === "slow" ? fault.ms : 0);
  if (!(await pause(delay, signal))) return clientClosed();

  if (fault.kind === "error") return injectedError(fault.status);
  if (fault.kind === "hang") {
    await untilAborted(signal);
    return clientClosed();
  }

  const answer = await answerFor(req);
  const meta = newMeta(req.model);
  if (req.stream) {
    return new Response(
      streamAnswer(meta, answer, { includeUsage: req.includeUsage, broken: fault.kind === "broken" }),
      {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      },
    );
  }
  if (fault.kind === "broken") {
    return new Response(
      '{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"content":"trunc',
      {
        headers: { "content-type": "application/json" },
      },
    );
  }
  return Response.json(completionBody(meta, answer));
}

function injectedError(status: number): Response {
  const type =
    status === 401
      ? "authentication_error"
      : status === 403
        ? "permission_error"
        : status === 404
          ? "not_found_error"
          : status === 429
            ? "rate_limit_error"
            : status >= 500
              ? "server_error"
              : "invalid_request_error";
  return errorResponse(status, `Injected provider error ${status} (model error-${status}).`, type, "injected_fault");
}

function methodNotAllowed(allow: string): Response {
  return errorResponse(405, `Use ${allow}.`, "invalid_request_error", "method_not_allowed", { allow });
}

/** The caller went away; nobody reads this, but the handler must return something. */
function clientClosed(): Response {
  return errorResponse(499, "The client closed the request.", "invalid_request_error", "client_closed_request");
}

/** Service-binding entrypoint (the test Worker binds the gateway's PROVIDER_SERVICE to it). */
export class LocalProvider extends WorkerEntrypoint<CordonProvider.Env> {
  override fetch(request: Request): Promise<Response> {
    return handle(request, this.env);
  }
}

export default {
  fetch: handle,
} satisfies ExportedHandler<CordonProvider.Env>;
