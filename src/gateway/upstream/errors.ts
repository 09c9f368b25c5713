// What the client hears when the provider did not answer well, as the provider said it where it said anything:
//   its 4xx (other than 429)      passed on: its status and OpenAI error body (type, code, param, message), so
//                                 that SDKs act on them; x-should-retry: false. Its 401/403 say the provider
//                                 refused the credential Cordon sent, not the client's: 502 provider_auth_failed;
//   its 429                       passed on with Retry-After and its x-ratelimit-* headers;
//   timeouts                      504 upstream_timeout;
//   other failures (5xx, network) 502 provider_error; x-should-retry: false, as Cordon already retried and fell
//                                 back (a client's own retries would only add load);
//   every target's circuit open   502 upstream_unavailable with Retry-After;
//   an answer that is not one     502 upstream_invalid_response; x-should-retry: false, as the provider answered
//                                 (and charged) and an SDK's retries would pay again (its catalogue entry).
// Nothing of these is ever cached.
import { readTextAtMost } from "../http/bounded-read";
import { type ApiError, fail, type UpstreamErrorBody } from "../http/errors";
import { redactPii } from "../pii/index";
import { UpstreamAttemptError } from "../ports/provider";

export type TargetOutcome =
  | { readonly kind: "rejected"; readonly error: ApiError }
  | { readonly kind: "limited"; readonly error: ApiError }
  | { readonly kind: "failed"; readonly status: number | null; readonly failure: "timeout" | "network" | "status" }
  | { readonly kind: "circuit_open" }
  | { readonly kind: "aborted" };

const PASSED_HEADERS = [
  "retry-after",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
];
const MAX_BODY_BYTES = 64 * 1024;
const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The provider's refusal (a 4xx), read and passed on in the provider's own terms — but for what it may echo of
 * the call: `secrets` (the credentials Cordon sent) and anything else a secret or personal data looks like are
 * replaced by placeholders, and account ids (`org-…`, `proj_…`) by their kind: the deployment's credential may
 * be shared by every tenant, so its account and usage are no tenant's to read.
 */
export async function passOn(
  res: Response,
  secrets: readonly string[] = [],
): Promise<Extract<TargetOutcome, { kind: "rejected" | "limited" }>> {
  const body = scrub(await providerError(res), secrets);
  const headers: Record<string, string> = {};
  for (const h of PASSED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null && /^[\x20-\x7e]{1,64}$/.test(v)) headers[h] = v;
  }
  if (res.status === 401 || res.status === 403) {
    return {
      kind: "rejected",
      error: fail("provider_auth_failed", {
        reason: `provider_status_${res.status}`,
        headers: { "x-should-retry": "false" },
      }),
    };
  }
  if (res.status === 429) {
    return {
      kind: "limited",
      error: fail("rate_limited", {
        reason: "provider_rate_limited",
        headers: { ...headers, "x-should-retry": "true" },
        upstream: { ...body, status: 429 },
      }),
    };
  }
  return {
    kind: "rejected",
    error: fail("provider_rejected", {
      reason: `provider_status_${res.status}${body.code ? `:${body.code.toLowerCase().replace(/[^a-z0-9_.:-]/g, "_")}` : ""}`,
      headers: { ...headers, "x-should-retry": "false" },
      upstream: { ...body, status: res.status },
    }),
  };
}

/** The one failure to answer with, once no target answered. */
export async function exhausted(outcomes: readonly TargetOutcome[]): Promise<ApiError> {
  const last = outcomes[outcomes.length - 1];
  if (!last || last.kind === "aborted") return fail("request_aborted", { reason: "client_aborted" });
  if (last.kind === "rejected") return last.error;
  const limited = outcomes.find((o): o is Extract<TargetOutcome, { kind: "limited" }> => o.kind === "limited");
  if (limited) return limited.error;
  if (outcomes.every((o) => o.kind === "circuit_open")) {
    return fail("upstream_unavailable", {
      reason: "all_circuits_open",
      headers: { "retry-after": "30", "x-should-retry": "false" },
    });
  }
  const failed = last.kind === "failed" ? last : null;
  return unanswered(failed?.failure === "timeout", failed?.status ?? null, false);
}

/**
 * The provider did not answer: 504 `upstream_timeout` when it timed out, else 502 `provider_error` (unreachable
 * when `status` is null, else its 5xx). `retry` is what x-should-retry tells the client: not after Cordon's own
 * retries and fallbacks (exhausted), yes after a single attempt (a stored response's routes).
 */
export function unanswered(timedOut: boolean, status: number | null, retry: boolean): ApiError {
  const headers = { "x-should-retry": String(retry) };
  if (timedOut) return fail("upstream_timeout", { reason: "upstream_timeout", headers });
  return fail("provider_error", {
    message:
      status === null ? "The model provider could not be reached." : `The model provider returned HTTP ${status}.`,
    reason: status === null ? "network_error" : `provider_status_${status}`,
    headers,
  });
}

function scrub(body: Omit<UpstreamErrorBody, "status">, secrets: readonly string[]): Omit<UpstreamErrorBody, "status"> {
  const clean = (text: string) => scrubbed(text, secrets);
  return { ...body, message: clean(body.message), param: body.param === null ? null : clean(body.param) };
}

/**
 * A provider's error text without what it may echo of the call: `secrets` (the credentials sent), anything that
 * looks like a secret or personal data, and account ids (`org-…`, `proj_…`).
 */
export function scrubbed(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join("[CREDENTIAL]");
  return redactPii(out)
    .text.replace(/\borg-[A-Za-z0-9]{6,}/g, "org-[REDACTED]")
    .replace(/\bproj_[A-Za-z0-9]{6,}/g, "proj_[REDACTED]");
}

/**
 * A stream event as the client may see it: an event carrying the provider's own error (chat's `{"error": …}`,
 * the Responses API's `error` and `response.failed`) has its `message` and `param` texts scrubbed as a refusal's
 * are (`scrubbed`); any other event is returned as it is, byte for byte.
 */
export function scrubbedEvent(data: string, secrets: readonly string[]): string {
  if (!data.includes('"error"') && !data.includes('"message"')) return data;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return data;
  }
  let changed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 8 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if ((k === "message" || k === "param") && typeof x === "string") {
        const clean = scrubbed(x, secrets);
        if (clean !== x) changed = true;
        out[k] = clean;
      } else out[k] = k === "error" || k === "response" ? walk(x, depth + 1) : x;
    }
    return out;
  };
  const cleaned = walk(event, 0);
  return changed ? JSON.stringify(cleaned) : data;
}

/** The provider's OpenAI-shaped error, each field checked and bounded; generic text when it sent none. */
async function providerError(res: Response): Promise<Omit<UpstreamErrorBody, "status">> {
  let raw: unknown = null;
  try {
    const text = await readTextAtMost(res, MAX_BODY_BYTES);
    if (text !== null) raw = JSON.parse(text);
  } catch {}
  const e = (raw as { error?: Record<string, unknown> } | null)?.error ?? {};
  const str = (v: unknown, max: number) => (typeof v === "string" && v.length > 0 ? v.slice(0, max) : null);
  const code = str(e.code, 128);
  const type = str(e.type, 64);
  return {
    type: type && SAFE_CODE.test(type) ? type : res.status === 429 ? "rate_limit_error" : "invalid_request_error",
    code: code && SAFE_CODE.test(code) ? code : null,
    param: str(e.param, 256),
    message: str(e.message, 2000) ?? `The model provider returned HTTP ${res.status}.`,
  };
}

/**
 * The most of an answer Cordon reads from the provider: far above any completion or response (a completion of
 * 128,000 tokens is under 1 MiB; a response's images a few MiB), short of what would exhaust an isolate's 128 MB.
 * An embeddings answer is held to EMBEDDING_ANSWER_BYTES for each input asked instead.
 */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/**
 * An embeddings answer's bound per input asked: room for 8,192 dimensions written as JSON numbers of up to 22
 * characters with their commas (OpenAI's take about 20), and the envelope.
 */
export const EMBEDDING_ANSWER_BYTES = 192 * 1024;

/**
 * The provider's answer body, as JSON, read no further than `maxBytes`. Throws what the client hears: a body
 * that stopped part-way timed out (adapters/provider-http.ts), 504 `upstream_timeout` (`x-should-retry` as
 * `retry` says: false after Cordon's retries, true after a stored response's one attempt); a longer body, or one
 * that is not JSON, 502 `upstream_invalid_response`.
 */
export async function readAnswer(res: Response, opts: { maxBytes?: number; retry?: boolean } = {}): Promise<unknown> {
  let text: string | null;
  try {
    text = await readTextAtMost(res, opts.maxBytes ?? MAX_ANSWER_BYTES);
  } catch (err) {
    if (err instanceof UpstreamAttemptError && err.failure === "timeout") {
      const retry = String(opts.retry ?? false);
      throw fail("upstream_timeout", { reason: "upstream_body_timeout", headers: { "x-should-retry": retry } });
    }
    throw fail("upstream_invalid_response", { reason: "body_not_json" });
  }
  if (text === null) throw fail("upstream_invalid_response", { reason: "body_too_large" });
  try {
    return JSON.parse(text);
  } catch {
    throw fail("upstream_invalid_response", { reason: "body_not_json" });
  }
}
