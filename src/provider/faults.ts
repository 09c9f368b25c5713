// Latency and faults injected through the model name, so that a client can trigger them through the gateway.
// The name may carry a provider prefix: `local/slow-200` and `slow-200` are the same model. The catalogue, with
// each fault's exact behaviour, is at the top of index.ts.
import { type ErrorInit, ProviderError } from "./http";

export type Fault =
  | { kind: "none" }
  | { kind: "slow"; ms: number }
  | { kind: "slow-stream"; ms: number }
  | { kind: "error"; status: number }
  | { kind: "error-after"; events: number }
  | { kind: "flaky"; percent: number; counter: string }
  | { kind: "hang" }
  | { kind: "broken" };

/** The longest injected wait, for slow-<ms>, slow-stream-<ms> and LATENCY_MS alike. */
export const MAX_DELAY_MS = 60_000;
/** The largest k of error-after-<k>. */
const MAX_ERROR_AFTER = 10_000;
/** How long `hang` waits for an abort that never comes before giving up (a safety net, not a feature). */
const HANG_LIMIT_MS = 10 * 60_000;

/** The model name without its optional `provider/` prefix. */
export function modelName(model: string): string {
  const slash = model.indexOf("/");
  return slash === -1 ? model : model.slice(slash + 1);
}

export function faultOf(model: string): Fault {
  const name = modelName(model);
  let m = /^slow-(\d{1,9})$/.exec(name);
  if (m) return { kind: "slow", ms: Math.min(MAX_DELAY_MS, Number(m[1])) };
  m = /^slow-stream-(\d{1,9})$/.exec(name);
  if (m) return { kind: "slow-stream", ms: Math.min(MAX_DELAY_MS, Number(m[1])) };
  m = /^error-(\d{3})$/.exec(name);
  if (m && Number(m[1]) >= 400 && Number(m[1]) <= 599) return { kind: "error", status: Number(m[1]) };
  m = /^error-after-(\d{1,9})$/.exec(name);
  if (m && Number(m[1]) <= MAX_ERROR_AFTER) return { kind: "error-after", events: Number(m[1]) };
  m = /^flaky-(\d{1,3})(?:-[a-z0-9]{1,32})?$/.exec(name);
  if (m && Number(m[1]) <= 100) return { kind: "flaky", percent: Number(m[1]), counter: name };
  if (name === "hang") return { kind: "hang" };
  if (name === "broken-stream") return { kind: "broken" };
  return { kind: "none" };
}

/** Whether the model name is one of the fault names above (for the model catalogue). */
export const isFaultModel = (model: string): boolean => faultOf(model).kind !== "none";

/**
 * Whether the n-th request (from 1) of a flaky-<percent> model fails: exactly `percent` of every 100
 * consecutive requests fail, spread evenly, starting with the first (flaky-50: 1st, 3rd, 5th… fail;
 * flaky-25: 1st, 5th, 9th…; flaky-0 never; flaky-100 always).
 */
export function flakyFailsAt(n: number, percent: number): boolean {
  return Math.ceil((n * percent) / 100) > Math.ceil(((n - 1) * percent) / 100);
}

/** Requests seen per flaky model name in this isolate. */
const flakyCounts = new Map<string, number>();

/** Counts this request against its flaky counter; true when it must fail. */
export function flakyFailsNow(fault: { percent: number; counter: string }): boolean {
  const n = (flakyCounts.get(fault.counter) ?? 0) + 1;
  flakyCounts.set(fault.counter, n);
  return flakyFailsAt(n, fault.percent);
}

/** LATENCY_MS as milliseconds, or null when it is not a whole number between 0 and MAX_DELAY_MS. */
export function latencyOf(raw: string | undefined): number | null {
  const value = raw === undefined || raw.trim() === "" ? "0" : raw.trim();
  if (!/^\d+$/.test(value)) return null;
  const ms = Number(value);
  return ms <= MAX_DELAY_MS ? ms : null;
}

/** The OpenAI-style error an `error-<status>` model answers with (`param` names the field of a 400). */
export function injectedError(status: number, model: string, param400: string): ProviderError {
  const init: ErrorInit = {
    status,
    message: `Injected fault: model ${modelName(model)} answers HTTP ${status}.`,
    type: status >= 500 ? "server_error" : "invalid_request_error",
  };
  if (status === 400) init.param = param400;
  if (status === 401) init.code = "invalid_api_key";
  if (status === 404) Object.assign(init, { param: "model", code: "model_not_found" });
  if (status === 429) {
    // OpenAI's shape for a request-rate limit: type "requests", code "rate_limit_exceeded", and its headers.
    Object.assign(init, { type: "requests", code: "rate_limit_exceeded" });
    init.headers = {
      "retry-after": "1",
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1s",
    };
  }
  return new ProviderError(init);
}

/** What flaky-<N> answers when it fails: 503, as OpenAI does when it is overloaded. */
export function flakyError(model: string): ProviderError {
  return new ProviderError({
    status: 503,
    message: `Injected fault: model ${modelName(model)} is overloaded this time; retry the request.`,
    type: "server_error",
  });
}

/** What a mid-stream failure (error-after-<k>) reports, in a stream's error event or as a non-stream 500. */
export const MIDSTREAM_ERROR = {
  message: "Injected fault: the model failed while generating the answer.",
  type: "server_error",
  code: "server_error",
} as const;

/**
 * Waits `ms` milliseconds, or until `signal` aborts. Resolves true when the wait ran its course, false when it
 * was cut short. A pending timer (never a bare promise) keeps workerd from cancelling the request as one
 * that "will never generate a response".
 */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The `hang` fault: resolves true once the signal aborts, false if HANG_LIMIT_MS passes first. */
export async function untilAborted(signal: AbortSignal): Promise<boolean> {
  return !(await pause(HANG_LIMIT_MS, signal));
}
