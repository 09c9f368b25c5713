// Local OpenAI-compatible provider for development, tests and benchmarks (never deployed). Deterministic
// answers, SSE streaming, and latency and faults injected through the model name, so a client can trigger
// them through the gateway:
//   slow-<ms>      wait that long before answering (≤ 60 s)
//   error-<status> answer with that HTTP status and an OpenAI-style error
//   hang           never answer (until the caller aborts)
//   broken-stream  stream two chunks then fail without [DONE]; non-stream: invalid JSON with status 200
// The name may carry a provider prefix (`local/slow-200`). LATENCY_MS adds a fixed latency to every answer.
import { WorkerEntrypoint } from "cloudflare:workers";
import { answerFor, type ProviderRequest } from "./answer";

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function error(status: number, message: string, type = "invalid_request_error"): Response {
  return Response.json({ error: { message, type, code: null } }, { status });
}

type Fault = { kind: "none" } | { kind: "slow"; ms: number } | { kind: "error"; status: number } | { kind: "hang" } | { kind: "broken" };

export function faultOf(model: string): Fault {
  const name = model.includes("/") ? model.slice(model.lastIndexOf("/") + 1) : model;
  let m: RegExpExecArray | null;
  if ((m = /^slow-(\d{1,5})$/.exec(name))) return { kind: "slow", ms: Math.min(60_000, Number(m[1])) };
  if ((m = /^error-(\d{3})$/.exec(name)) && Number(m[1]) >= 400 && Number(m[1]) <= 599) return { kind: "error", status: Number(m[1]) };
  if (name === "hang") return { kind: "hang" };
  if (name === "broken-stream") return { kind: "broken" };
  return { kind: "none" };
}

export async function handle(request: Request, env: CordonProvider.Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/healthz") return request.method === "GET" ? Response.json({ ok: true }) : error(405, "Use GET.");
  if (url.pathname !== "/v1/chat/completions") return error(404, "Unknown path.");
  if (request.method !== "POST") return error(405, "Use POST.");

  let req: ProviderRequest;
  try {
    req = (await request.json()) as ProviderRequest;
  } catch {
    return error(400, "The body is not valid JSON.");
  }
  if (!req || typeof req !== "object" || typeof req.model !== "string" || !Array.isArray(req.messages) || req.messages.length === 0) {
    return error(400, "model and messages are required.");
  }

  const latency = Number(env.LATENCY_MS ?? "0");
  if (latency > 0) await sleep(latency);
  const fault = faultOf(req.model);
  if (fault.kind === "slow") await sleep(fault.ms);
  if (fault.kind === "error") return error(fault.status, `Injected provider error ${fault.status}.`, fault.status >= 500 ? "server_error" : "invalid_request_error");
  if (fault.kind === "hang") {
    // A pending timer, not a bare promise: workerd cancels a Worker whose only wait can never end.
    await new Promise<void>((resolve) => {
      if (request.signal.aborted) return resolve();
      const timer = setTimeout(resolve, 600_000);
      request.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()));
    });
    return error(499, "Client closed the request.");
  }

  const { content, promptTokens, completionTokens } = await answerFor(req);
  const id = `chatcmpl-local${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

  if (req.stream === true) {
    const includeUsage = (req.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    return new Response(streamAnswer({ id, created, model: req.model, content, usage, includeUsage, broken: fault.kind === "broken" }), {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  if (fault.kind === "broken") return new Response('{"id": "chatcmpl-broken", "choices": [', { headers: { "content-type": "application/json" } });
  return Response.json({
    id,
    object: "chat.completion",
    created,
    model: req.model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage,
  });
}

function streamAnswer(a: {
  id: string;
  created: number;
  model: string;
  content: string;
  usage: object;
  includeUsage: boolean;
  broken: boolean;
}): ReadableStream<Uint8Array> {
  const base = { id: a.id, object: "chat.completion.chunk", created: a.created, model: a.model };
  const chunk = (delta: object, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const pieces = a.content.match(/.{1,16}/gs) ?? [];
  const events: object[] = [chunk({ role: "assistant", content: "" }), ...pieces.map((p) => chunk({ content: p }))];
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (a.broken && i === 3) {
        controller.error(new Error("injected stream failure"));
        return;
      }
      if (i < events.length) {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(events[i++])}\n\n`));
        await sleep(0);
        return;
      }
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk({}, "stop"))}\n\n`));
      if (a.includeUsage) controller.enqueue(encoder.encode(`data: ${JSON.stringify({ ...base, choices: [], usage: a.usage })}\n\n`));
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
}

/** Service-binding entrypoint (tests bind the gateway's PROVIDER_SERVICE to it). */
export class LocalProvider extends WorkerEntrypoint<CordonProvider.Env> {
  override fetch(request: Request): Promise<Response> {
    return handle(request, this.env);
  }
}

export default {
  fetch: handle,
} satisfies ExportedHandler<CordonProvider.Env>;
