// Calling the model provider the way a careful client would: the requested target first, then the tenant's
// fallbacks (`provider/model`, in order); per target up to MAX_ATTEMPTS attempts, each with its own timeout,
// retried with jittered exponential backoff on 429, 5xx and network errors (honouring a short Retry-After;
// a target that timed out is not asked again, the next one is); a target whose circuit is open is skipped (policy/circuit.ts, one UpstreamCircuit object per
// target shared by every isolate); a client abort stops everything at once. Every attempt is recorded for the
// audit trail. What the client then gets when every target failed is the provider's own answer where it has one
// (upstream/errors.ts): its 4xx as it said it, its 429 with Retry-After, otherwise 502/504.
import type { UpstreamAttempt } from "../../shared/audit-event";
import { logText } from "../../shared/log-text";
import { ApiError, fail } from "../http/errors";
import { CIRCUIT, type CircuitState } from "../policy/circuit";
import { ROUTABLE_MODEL } from "../policy/tenant-policy";
import type { UpstreamAttemptError, UpstreamPath } from "../ports/provider";
import type { Runtime } from "../runtime";
import { exhausted, passOn, type TargetOutcome } from "./errors";

export const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 2_000;
/** A provider's Retry-After up to this long is waited for; a longer one moves on (or is passed on). */
const RETRY_AFTER_CAP_MS = 2_000;
/** How long an isolate trusts what it knows of a target's circuit before asking its object again. */
const CIRCUIT_REFRESH_MS = 5_000;

export interface UpstreamRequest {
  readonly path: UpstreamPath;
  readonly body: Record<string, unknown>;
  readonly tenant: string;
  /** The model the client asked for, then the tenant's fallbacks. */
  readonly targets: readonly string[];
  /** The provider credential for a target (a virtual key), or undefined for the deployment's. */
  readonly credentialFor: (target: string) => Promise<string | undefined>;
  readonly signal?: AbortSignal;
}

export interface UpstreamResult {
  readonly response: Response;
  /** The target that answered (the requested model, or a fallback). */
  readonly target: string;
  readonly attempts: UpstreamAttempt[];
  /** The credentials the answering call sent: never to reach the client in what the provider echoes. */
  readonly secrets: readonly string[];
  /** Sent with the deployment's own credential, which the tenants without a virtual key share (shared-cache.ts). */
  readonly shared: boolean;
}

export class UpstreamFailure extends Error {
  override name = "UpstreamFailure";
  constructor(
    readonly error: import("../http/errors").ApiError,
    readonly attempts: UpstreamAttempt[],
  ) {
    super(error.message);
  }
}

/** Whether the configured provider can be asked for `model`: behind AI Gateway, one that names its provider. */
const routable = (rt: Runtime, model: string) => rt.config.provider.kind !== "ai-gateway" || ROUTABLE_MODEL.test(model);

/** Behind AI Gateway a model must name its provider (`openai/gpt-4o-mini`): 400 `invalid_model` otherwise. */
export function requireRoutableModel(rt: Runtime, model: string): void {
  if (!routable(rt, model)) {
    throw fail("invalid_model", { facts: { model } });
  }
}

export async function callUpstream(rt: Runtime, req: UpstreamRequest): Promise<UpstreamResult> {
  const attempts: UpstreamAttempt[] = [];
  const outcomes: TargetOutcome[] = [];
  const deadline = Date.now() + rt.config.providerBudgetMs;
  for (const [index, target] of [...new Set(req.targets)].entries()) {
    if (req.signal?.aborted) {
      outcomes.push({ kind: "aborted" });
      break;
    }
    // A fallback AI Gateway cannot route (`gpt-4o`: a policy stored before fallbacks had to name their provider)
    // is skipped: asked, it would be refused, and a refusal ends the list.
    if (index > 0 && !routable(rt, target)) continue;
    // A fallback the request's credential cannot call (a virtual key named for another provider) is skipped;
    // for the model the request named, that is the client's mistake, and said so.
    let credential: string | undefined;
    try {
      credential = await req.credentialFor(target);
    } catch (err) {
      if (index === 0 || !(err instanceof ApiError)) throw err;
      continue;
    }
    const outcome = await tryTarget(rt, req, target, credential, attempts, deadline);
    if (outcome.kind === "ok") {
      const shared = credential === undefined;
      return { response: outcome.response, target, attempts, secrets: secretsOf(rt, credential), shared };
    }
    outcomes.push(outcome);
    // A request the provider refuses (other than for load) would be refused by any target: stop.
    if (outcome.kind === "rejected" || outcome.kind === "aborted") break;
    if (Date.now() >= deadline) break;
  }
  throw new UpstreamFailure(await exhausted(outcomes), attempts);
}

async function tryTarget(
  rt: Runtime,
  req: UpstreamRequest,
  target: string,
  credential: string | undefined,
  attempts: UpstreamAttempt[],
  deadline: number,
): Promise<TargetOutcome | { kind: "ok"; response: Response }> {
  if (!(await circuitAllows(rt, target))) {
    attempts.push({ target, outcome: "circuit_open", status: null, latency_ms: 0 });
    return { kind: "circuit_open" };
  }
  let last: TargetOutcome = { kind: "failed", status: null, failure: "network" };
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const started = Date.now();
    let res: Response;
    try {
      res = await rt.provider.send({
        path: req.path,
        body: { ...req.body, model: target },
        tenant: req.tenant,
        ...(credential === undefined ? {} : { credential }),
        ...(req.signal ? { signal: req.signal } : {}),
        timeoutMs: Math.min(rt.config.providerTimeoutMs, remaining),
        // A target that answers late in the budget streams as any other: its chunks are not held to what was left.
        idleTimeoutMs: rt.config.providerTimeoutMs,
      });
    } catch (err) {
      const failure = (err as UpstreamAttemptError).failure ?? "network";
      attempts.push({
        target,
        outcome: failure === "aborted" ? "aborted" : failure,
        status: null,
        latency_ms: since(started),
      });
      if (failure === "aborted") return { kind: "aborted" };
      last = { kind: "failed", status: null, failure };
      await circuitFailed(rt, target);
      // A target that did not answer in the whole timeout is not asked again: the next one is tried.
      if (failure === "timeout" || !(await backoff(n, null, deadline, req.signal))) break;
      continue;
    }
    if (res.ok) {
      attempts.push({ target, outcome: "ok", status: res.status, latency_ms: since(started) });
      await circuitSucceeded(rt, target);
      return { kind: "ok", response: res };
    }
    attempts.push({ target, outcome: "error", status: res.status, latency_ms: since(started) });
    const retryAfter = retryAfterMs(res.headers.get("retry-after"));
    if (res.status === 429) {
      last = await passOn(res, secretsOf(rt, credential));
    } else if (res.status === 408 || res.status >= 500) {
      await res.body?.cancel();
      last = { kind: "failed", status: res.status, failure: "status" };
      if (res.status >= 500) await circuitFailed(rt, target);
    } else {
      return passOn(res, secretsOf(rt, credential));
    }
    if (retryAfter !== null && retryAfter > RETRY_AFTER_CAP_MS) break;
    if (!(await backoff(n, retryAfter, deadline, req.signal))) break;
  }
  // A client that went away between attempts ends the request as an abort, not as the last failure.
  return req.signal?.aborted ? { kind: "aborted" } : last;
}

/**
 * Waits before attempt n+1 (full jitter, or the provider's short Retry-After); false when there is no time, or
 * when the client aborts, which ends the wait at once.
 */
async function backoff(n: number, retryAfter: number | null, deadline: number, signal?: AbortSignal): Promise<boolean> {
  if (n >= MAX_ATTEMPTS || signal?.aborted) return false;
  const ms = retryAfter ?? Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (n - 1));
  if (Date.now() + ms >= deadline) return false;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
  return !signal?.aborted;
}

function retryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d{1,6}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const since = (t: number) => Math.max(0, Date.now() - t);

/** The credentials an attempt sent: the tenant's virtual key, or the deployment's own (with AI Gateway's token). */
export function secretsOf(rt: Runtime, credential: string | undefined): string[] {
  const p = rt.config.provider;
  return [credential, ...(p.kind === "ai-gateway" ? [p.apiKey, p.gatewayToken] : [])].filter(
    (s): s is string => typeof s === "string",
  );
}

// ── circuits: what this isolate knows, refreshed from each target's object ──────────────────────────────────

async function circuitAllows(rt: Runtime, target: string): Promise<boolean> {
  const now = Date.now();
  const known = rt.circuits.get(target);
  if (known && now - known.checkedAt < CIRCUIT_REFRESH_MS && known.state.openUntil === 0) return true;
  if (known && now < known.state.openUntil && now - known.checkedAt < CIRCUIT.OPEN_MS) return false;
  try {
    const verdict = await circuitObject(rt, target).acquire(now);
    remember(rt, target, verdict.state, now);
    return verdict.allowed;
  } catch (err) {
    // The breaker is an optimisation; when its object cannot be reached the attempt is made.
    console.warn(`circuit of ${target} unavailable: ${logText(err)}`);
    return true;
  }
}

async function circuitFailed(rt: Runtime, target: string): Promise<void> {
  try {
    remember(rt, target, await circuitObject(rt, target).failed(Date.now()), Date.now());
  } catch (err) {
    console.warn(`circuit of ${target} not updated: ${logText(err)}`);
  }
}

async function circuitSucceeded(rt: Runtime, target: string): Promise<void> {
  const known = rt.circuits.get(target);
  if (known && known.state.failures === 0 && known.state.openUntil === 0) return;
  try {
    remember(rt, target, await circuitObject(rt, target).succeeded(), Date.now());
  } catch (err) {
    console.warn(`circuit of ${target} not updated: ${logText(err)}`);
  }
}

function remember(rt: Runtime, target: string, state: CircuitState, now: number): void {
  if (rt.circuits.size >= 1000 && !rt.circuits.has(target)) rt.circuits.delete(rt.circuits.keys().next().value!);
  rt.circuits.set(target, { state, checkedAt: now });
}

function circuitObject(rt: Runtime, target: string) {
  return rt.env.UPSTREAM_CIRCUIT.get(rt.env.UPSTREAM_CIRCUIT.idFromName(target));
}
