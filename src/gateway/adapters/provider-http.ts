// The provider adapter: one HTTP implementation of the provider port serves both configurations — AI Gateway
// (production: `…/compat/chat/completions`, `…/compat/embeddings`, `…/openai/responses`) and the local provider
// Worker behind a service binding (development, tests) — differing only in base URL, fetcher and headers. One
// call is one attempt; what to do about a failure is decided above (upstream/call.ts).
import { type Provider, UpstreamAttemptError, type UpstreamAttemptRequest, type UpstreamPath } from "../ports/provider";

interface HttpProviderOptions {
  /** Where each path is sent. */
  urls: Readonly<Record<UpstreamPath, string>>;
  fetcher: { fetch(input: string, init: RequestInit): Promise<Response> };
  headers?: Record<string, string>;
  /**
   * Adds AI Gateway's headers: per-tenant metadata, no AI Gateway caching (Cordon is the cache) and no AI Gateway
   * log (it would keep every prompt and answer in clear, whatever the tenant's consent, PII mode or erasures).
   */
  aiGateway?: boolean;
}

export class HttpProvider implements Provider {
  constructor(private readonly opts: HttpProviderOptions) {}

  async send(req: UpstreamAttemptRequest): Promise<Response> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
    // A POST with a body sends it as JSON to the path; a resource names one stored object under it (or an action
    // or list of it), without a body.
    const [url, init]: [string, RequestInit] =
      "resource" in req
        ? [`${this.opts.urls[req.path]}${req.resource}`, { method: req.method }]
        : [this.opts.urls[req.path], { method: "POST", body: JSON.stringify(this.bodyOf(req.path, req.body)) }];
    const headers: Record<string, string> = {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...this.opts.headers,
    };
    // A tenant's virtual key replaces the deployment's provider key for this call.
    if (req.credential !== undefined) headers.authorization = `Bearer ${req.credential}`;
    if (this.opts.aiGateway) {
      // AI Gateway must never answer from its own cache: it would not know tenants apart.
      headers["cf-aig-skip-cache"] = "true";
      // Nor keep a log of the call: prompts and answers are stored only as Cordon stores them (sealed, erasable).
      headers["cf-aig-collect-log"] = "false";
      headers["cf-aig-metadata"] = JSON.stringify({ tenant: req.tenant });
    }
    let res: Response;
    try {
      // A redirect is never followed: it would carry the credentials (AI Gateway's token, in a header the fetch
      // standard does not drop across origins) and the prompt to wherever the answer pointed.
      res = await this.opts.fetcher.fetch(url, { ...init, headers, signal, redirect: "manual" });
    } catch {
      if (req.signal?.aborted) throw new UpstreamAttemptError("aborted");
      if (deadline.signal.aborted) throw new UpstreamAttemptError("timeout");
      throw new UpstreamAttemptError("network");
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 300 && res.status < 400) {
      // The provider, as configured, did not answer: a failure to reach it, as for a network error.
      await res.body?.cancel();
      throw new UpstreamAttemptError("network");
    }
    // After the head, the body too is held to a timeout, between any two of its chunks: a provider that stops
    // sending fails the read (a timeout) and the call is cancelled, rather than holding the request open.
    return res.body ? new Response(idleTimed(res.body, req.idleTimeoutMs ?? req.timeoutMs, deadline), res) : res;
  }

  /** AI Gateway's OpenAI endpoint (the Responses API) takes OpenAI's own model names, without `openai/`. */
  private bodyOf(path: UpstreamPath, body: Record<string, unknown>): Record<string, unknown> {
    return this.opts.aiGateway && path === "responses" && typeof body.model === "string"
      ? { ...body, model: body.model.replace(/^openai\//, "") }
      : body;
  }
}

/** `body`, erroring with a timeout (and aborting `upstream`) when no chunk comes for `timeoutMs`. */
function idleTimed(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  upstream: AbortController,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | null = null;
        const idle = new Promise<"idle">((resolve) => {
          timer = setTimeout(() => resolve("idle"), timeoutMs);
        });
        try {
          const next = await Promise.race([reader.read(), idle]);
          if (next === "idle") {
            upstream.abort();
            reader.cancel().catch(() => {});
            controller.error(new UpstreamAttemptError("timeout"));
          } else if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          controller.error(err);
        } finally {
          if (timer !== null) clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
