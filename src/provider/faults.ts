// Latency and faults injected through the model name, so a client can trigger them through the gateway. The
// name may carry a provider prefix: `local/slow-200` and `slow-200` are the same model.
//   slow-<ms>       wait that many milliseconds (capped at 60 000), then answer normally
//   error-<status>  answer with that HTTP status (400–599) and an OpenAI-style error body
//   hang            never answer, until the caller aborts the request
//   broken-stream   stream: two content chunks, then the stream errors without [DONE];
//                   non-stream: status 200 with a body that is not valid JSON
// Any other name (`echo`, `gpt-4o-mini`, `error-200`, `slow-x`) answers normally.

export type Fault =
  | { kind: "none" }
  | { kind: "slow"; ms: number }
  | { kind: "error"; status: number }
  | { kind: "hang" }
  | { kind: "broken" };

/** The longest injected wait, for slow-<ms> and LATENCY_MS alike. */
export const MAX_DELAY_MS = 60_000;
/** How long `hang` waits for an abort that never comes before giving up (a safety net, not a feature). */
const HANG_LIMIT_MS = 10 * 60_000;

/** The model name without its optional `provider/` prefix. */
export function modelName(model: string): string {
  const slash = model.indexOf("/");
  return slash === -1 ? model : model.slice(slash + 1);
}

export function faultOf(model: string): Fault {
  const name = modelName(model);
  const slow = /^slow-(\d+)$/.exec(name);
  if (slow) return { kind: "slow", ms: Math.min(MAX_DELAY_MS, Number(slow[1])) };
  const error = /^error-(\d{3})$/.exec(name);
  if (error) {
    const status = Number(error[1]);
    if (status >= 400 && status <= 599) return { kind: "error", status };
  }
  if (name === "hang") return { kind: "hang" };
  if (name === "broken-stream") return { kind: "broken" };
  return { kind: "none" };
}

/** LATENCY_MS as milliseconds, or null when it is not a whole number between 0 and MAX_DELAY_MS. */
export function latencyOf(raw: string | undefined): number | null {
  const value = raw === undefined || raw.trim() === "" ? "0" : raw.trim();
  if (!/^\d+$/.test(value)) return null;
  const ms = Number(value);
  return ms <= MAX_DELAY_MS ? ms : null;
}

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

/** The `hang` fault: resolves only once the request's signal aborts. */
export async function untilAborted(signal: AbortSignal): Promise<void> {
  while (!signal.aborted && (await pause(HANG_LIMIT_MS, signal)));
}
