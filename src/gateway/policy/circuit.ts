// The circuit breaker of one upstream target, as pure decisions over its state and the clock:
//   closed      attempts go through; OPEN_AFTER consecutive failures open it;
//   open        attempts are not made for OPEN_MS (the target is skipped, the next fallback tried);
//   half-open   after that, one probe goes through: a success closes it, a failure opens it again.
export const CIRCUIT = { OPEN_AFTER: 5, OPEN_MS: 30_000, PROBE_MS: 10_000 } as const;

export interface CircuitState {
  /** Consecutive failures since the last success. */
  readonly failures: number;
  /** While open: when the target may be probed again (ms); 0 when closed. */
  readonly openUntil: number;
  /** While half-open: until when the one probe in flight holds the target (ms); 0 otherwise. */
  readonly probeUntil: number;
}

export const CLOSED: CircuitState = Object.freeze({ failures: 0, openUntil: 0, probeUntil: 0 });

/** Whether an attempt may be made now, and the state to keep (taking the probe when half-open). */
export function circuitAllows(s: CircuitState, now: number): { allowed: boolean; state: CircuitState } {
  if (s.openUntil === 0) return { allowed: true, state: s };
  if (now < s.openUntil) return { allowed: false, state: s };
  if (now < s.probeUntil) return { allowed: false, state: s };
  return { allowed: true, state: { ...s, probeUntil: now + CIRCUIT.PROBE_MS } };
}

export function circuitSucceeded(): CircuitState {
  return CLOSED;
}

export function circuitFailed(s: CircuitState, now: number): CircuitState {
  const failures = s.failures + 1;
  const opening = s.openUntil !== 0 || failures >= CIRCUIT.OPEN_AFTER;
  return { failures, openUntil: opening ? now + CIRCUIT.OPEN_MS : 0, probeUntil: 0 };
}
