// Counting failed authentication, across isolates: one Durable Object per client address (`ip:{address}`) and
// one per key prefix (`prefix:{cdn_env_xxxxxxxx}`), so that a burst of failures is seen wherever it lands.
// The decision is pure (policy/auth-burst.ts); this object only keeps the failure times and the block.
// Failure times live in memory (a restarted object starts counting afresh); a block is also stored, so it
// outlives a restart.
import { DurableObject } from "cloudflare:workers";
import { type BurstVerdict, decideBurst } from "../policy/auth-burst";

export class AuthGuard extends DurableObject<CordonGateway.Env> {
  private failures: number[] = [];
  private blockedUntil = 0;
  private loaded = false;

  private async load(): Promise<void> {
    if (this.loaded) return;
    this.blockedUntil = (await this.ctx.storage.get<number>("blocked_until")) ?? 0;
    this.loaded = true;
  }

  /** Records one failure at `now` and says whether the caller is now slowed or blocked. */
  async recordFailure(now: number): Promise<BurstVerdict> {
    if (!Number.isFinite(now)) throw new TypeError("now must be a finite number");
    await this.load();
    const verdict = decideBurst(this.failures, this.blockedUntil, now);
    this.failures = verdict.failures;
    if (verdict.blockedUntil !== this.blockedUntil) {
      this.blockedUntil = verdict.blockedUntil;
      await this.ctx.storage.put("blocked_until", this.blockedUntil);
    }
    return verdict;
  }

  /** When the current block ends (ms since the epoch), or 0 when there is none. */
  async blockedAt(now: number): Promise<number> {
    await this.load();
    return this.blockedUntil > now ? this.blockedUntil : 0;
  }
}
