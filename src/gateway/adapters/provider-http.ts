// The provider adapter: one HTTP implementation of the provider port serves both configurations — AI
// Gateway's OpenAI-compatible endpoint (production) and the local provider Worker behind
// a service binding (development, tests) — differing only in URL, fetcher and headers.
import { type ApiError, fail } from "../http/errors";
import type { Provider } from "../ports/provider";

interface HttpProviderOptions {
  url: string;
  fetcher: { fetch(input: string, init: RequestInit): Promise<Response> };
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Adds AI Gateway's headers: per-tenant metadata, and no AI Gateway caching (Cordon is the cache). */
  aiGateway?: boolean;
}

const RETRYABLE = new Set([429, 500, 502, 503]);

export class HttpProvider implements Provider {
  constructor(private readonly opts: HttpProviderOptions) {}

  async chat(
    body: Record<string, unknown>,
    { signal, tenant, credential }: { signal?: AbortSignal; tenant: string; credential?: string },
  ): Promise<Response> {
    // The timeout bounds the wait for the response head; a stream then runs for as long as it flows.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const headers: Record<string, string> = { "content-type": "application/json", ...this.opts.headers };
    // A tenant's virtual key replaces the deployment's provider key for this call.
    if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
    if (this.opts.aiGateway) {
      headers["cf-aig-metadata"] = JSON.stringify({ tenant });
      headers["cf-aig-skip-cache"] = "true";
    }
    const init: RequestInit = { method: "POST", headers, body: JSON.stringify(body), signal: combined };

    try {
      return await this.send(init, deadline.signal, signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(init: RequestInit, deadline: AbortSignal, signal?: AbortSignal): Promise<Response> {
    let lastStatus = 0;
    for (let attempt = 1; attempt <= 2; attempt++) {
      let res: Response;
      try {
        res = await this.opts.fetcher.fetch(this.opts.url, init);
      } catch (err) {
        if (deadline.aborted) throw timeout(this.opts.timeoutMs);
        if (signal?.aborted) throw err;
        if (attempt === 2) throw fail("upstream_unreachable", { reason: "network_error" });
        continue;
      }
      if (res.ok) return res;
      lastStatus = res.status;
      await res.body?.cancel();
      if (!RETRYABLE.has(res.status) || attempt === 2 || deadline.aborted) break;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
    throw fail("provider_error", {
      message: `The model provider returned HTTP ${lastStatus}.`,
      reason: `provider_status_${lastStatus}`,
    });
  }
}

function timeout(ms: number): ApiError {
  return fail("upstream_timeout", { message: `The model provider did not answer within ${ms} ms.` });
}
