// One Durable Object per upstream target (`idFromName("openai/gpt-4o-mini")`): its circuit-breaker state, shared
// by every isolate (policy/circuit.ts decides). The state is stored, so a restart does not close an open circuit.
import { DurableObject } from "cloudflare:workers";
import { type CircuitState, CLOSED, circuitAllows, circuitFailed, circuitSucceeded } from "../policy/circuit";

export class UpstreamCircuit extends DurableObject<CordonGateway.Env> {
  private state: CircuitState | null = null;

  private async load(): Promise<CircuitState> {
    this.state ??= (await this.ctx.storage.get<CircuitState>("state")) ?? CLOSED;
    return this.state;
  }

  private async save(next: CircuitState): Promise<CircuitState> {
    this.state = next;
    await this.ctx.storage.put("state", next);
    return next;
  }

  /** Whether an attempt may be made now (taking the half-open probe), and the state after. */
  async acquire(now: number): Promise<{ allowed: boolean; state: CircuitState }> {
    const verdict = circuitAllows(await this.load(), now);
    if (verdict.state !== this.state) await this.save(verdict.state);
    return verdict;
  }

  async succeeded(): Promise<CircuitState> {
    const s = await this.load();
    return s.failures === 0 && s.openUntil === 0 ? s : this.save(circuitSucceeded());
  }

  async failed(now: number): Promise<CircuitState> {
    return this.save(circuitFailed(await this.load(), now));
  }
}
