// Rate-limit buckets of the tenant (one for the tenant, one per key or SSO user): the GCRA state of each, kept
// in the object's SQLite so that counting is right across isolates and survives a restart of the object. The
// decision itself is pure (policy/rate-limit.ts).
import { type CombinedRateDecision, decideRates, type RateLimit } from "../../policy/rate-limit";
import { checkText, checkTime, fail } from "./checks";

export interface BucketRequest {
  /** `tenant`, `key:{id}` or `sso:{subject}`. */
  readonly name: string;
  readonly limit: RateLimit;
}

export interface AdmitDecision extends CombinedRateDecision {
  /**
   * The limit of the bucket the x-ratelimit-* headers describe: the one that refused the request, or the one
   * with the fewest requests left.
   */
  readonly limit: RateLimit;
  /** That bucket's name (`tenant`, `key:{id}`, `sso:{pseudonym}`). */
  readonly bucket: string;
}

export function admit(storage: DurableObjectStorage, buckets: readonly BucketRequest[], now: number): AdmitDecision {
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.length > 4) fail("invalid buckets: 1–4");
  for (const b of buckets) checkText("bucket name", b?.name);
  checkTime("now", Math.floor(now));
  const sql = storage.sql;
  const states = buckets.map(
    (b) => sql.exec<{ tat: number }>(`SELECT tat FROM rate_buckets WHERE name = ?`, b.name).toArray()[0]?.tat ?? null,
  );
  let outcome: ReturnType<typeof decideRates>;
  try {
    outcome = decideRates(
      buckets.map((b, i) => ({ state: states[i] ?? null, limit: b.limit })),
      now,
    );
  } catch (err) {
    fail(`invalid rate limit: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Every bucket an allowed request advanced; of a refused one, only a state clamped to one window.
  const writes = buckets.flatMap((b, i) => {
    const state = outcome.states[i] ?? null;
    return state !== null && state !== states[i] ? [{ name: b.name, state }] : [];
  });
  if (writes.length > 0) {
    storage.transactionSync(() => {
      for (const w of writes)
        sql.exec(`INSERT OR REPLACE INTO rate_buckets (name, tat) VALUES (?, ?)`, w.name, w.state);
    });
  }
  // The bucket the headers describe: the one that refused, or the one with the least room left.
  const binding = buckets[outcome.binding]!;
  return { ...outcome.decision, limit: binding.limit, bucket: binding.name };
}
