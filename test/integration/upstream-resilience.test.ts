// The provider path as a careful client, through the gateway with the local provider's fault models: a flaky
// target recovers by retry; the tenant's fallbacks are tried in order, each attempt recorded, and an answer
// from a fallback is served but never stored as the requested model's; a target's circuit opens after
// CIRCUIT.OPEN_AFTER failures, is then skipped without a call (in every runtime: its state is in the target's
// UpstreamCircuit object), and lets one probe through after CIRCUIT.OPEN_MS. (A 429's Retry-After is waited
// for and retried: upstream-errors.test.ts; a client abort stops retries: upstream-streams.test.ts.)
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CIRCUIT } from "../../src/gateway/policy/circuit";
import { flakyFailsAt } from "../../src/provider/faults";
import { expectError, setPolicy, tenantWithKey } from "../helpers";
import { ask, catalogCount, type Env, eventOf, label, settleAll } from "./gateway-helpers";

afterEach(() => {
  vi.useRealTimers();
});

describe("retries and fallbacks", async () => {
  const t = await tenantWithKey("upres");
  const run = label();

  it("recovers from a flaky target by retrying, and records both attempts", async () => {
    const model = `local/flaky-50-${run}`;
    const r = await ask(t, "Will the flaky model answer in the end?", { model });
    expect(r.status).toBe(200);
    expect(r.cache).toBe("MISS");
    expect(r.res.headers.get("x-cache-entry-id")).toMatch(/^[0-9a-f-]{36}$/);
    await settleAll();
    expect(await eventOf(r.res)).toMatchObject({
      status: 200,
      upstream: [
        { target: model, outcome: "error", status: 503, latency_ms: expect.any(Number) },
        { target: model, outcome: "ok", status: 200, latency_ms: expect.any(Number) },
      ],
    });
    expect((await ask(t, "Will the flaky model answer in the end?", { model })).cache).toBe("HIT-EXACT");
  });

  it("tries the tenant's fallbacks in order, serves the first answer, stores it as no one's", async () => {
    const fellTo = `${run}c/fallback`;
    const fallbacks = [`${run}b/error-500`, fellTo];
    await setPolicy(t.tenant, { fallbacks });
    const model = `${run}a/error-502`;
    const before = await catalogCount(t.tenant);
    const question = "Which model answers when mine is down?";
    const r = await ask(t, question, { model });
    expect(r.status).toBe(200);
    expect(r.cache).toBe("MISS");
    expect(r.res.headers.get("x-cache-entry-id")).toBeNull();
    expect(JSON.parse(r.text).model).toBe(fellTo);
    await settleAll();
    const event = await eventOf(r.res);
    expect(event).toMatchObject({ status: 200, cache: "MISS", entry_id: null, model, reason: "fallback:2" });
    expect(event.upstream!.map((a) => [a.target, a.outcome, a.status])).toEqual([
      [model, "error", 502],
      [model, "error", 502],
      [model, "error", 502],
      [fallbacks[0], "error", 500],
      [fallbacks[0], "error", 500],
      [fallbacks[0], "error", 500],
      [fellTo, "ok", 200],
    ]);
    // Not stored as the requested model's answer: the same question goes upstream again.
    expect(await catalogCount(t.tenant)).toBe(before);
    const again = await ask(t, question, { model });
    expect(again.cache).toBe("MISS");
    await settleAll();
    // By now both failing targets have failed CIRCUIT.OPEN_AFTER times: the next request skips them.
    const third = await ask(t, question, { model });
    expect(third.status).toBe(200);
    expect((await eventOf(third.res)).upstream).toEqual([
      { target: model, outcome: "circuit_open", status: null, latency_ms: 0 },
      { target: fallbacks[0], outcome: "circuit_open", status: null, latency_ms: 0 },
      { target: fellTo, outcome: "ok", status: 200, latency_ms: expect.any(Number) },
    ]);
    await setPolicy(t.tenant, { fallbacks: [] });
  });
});

describe("the circuit breaker of a target", async () => {
  const t = await tenantWithKey("upcirc");
  const run = label();
  // flaky-84 fails the 1st to 6th request of its name and answers the 7th: enough to open the circuit, then to
  // show that an open circuit makes no call at all (the 7th request, whenever it comes, is the probe).
  const name = `flaky-84-${run}`;
  const model = `c${run}/${name}`;
  let n = 0;
  const question = () => `Is the circuit of this target open yet, question ${++n}?`;

  it("opens after CIRCUIT.OPEN_AFTER failures; the target is then skipped, in every runtime", async () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((i) => flakyFailsAt(i, 84))).toEqual([true, true, true, true, true, true, false]);
    expect(CIRCUIT.OPEN_AFTER).toBe(5);
    for (const _ of [1, 2]) {
      const r = await ask(t, question(), { model });
      await expectError(new Response(r.text, r.res), 502, "provider_error", "upstream_error");
      expect((await eventOf(r.res)).upstream!.map((a) => a.outcome)).toEqual(["error", "error", "error"]);
    }
    // Open: no call is made — here, and from another runtime (a new environment object), which knows nothing
    // of this one's memory and asks the target's object.
    const other: Env = { ...env };
    for (const e of [env, other]) {
      const r = await ask(t, question(), { model }, {}, e);
      await expectError(new Response(r.text, r.res), 502, "upstream_unavailable", "upstream_error");
      expect(r.res.headers.get("retry-after")).toBe("30");
      expect((await eventOf(r.res)).upstream).toEqual([
        { target: model, outcome: "circuit_open", status: null, latency_ms: 0 },
      ]);
    }
  });

  it("lets one probe through after CIRCUIT.OPEN_MS; its success closes the circuit for every runtime", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + CIRCUIT.OPEN_MS + 1000);
    const probe = await ask(t, question(), { model });
    // The 7th request of the name: the provider was not called while the circuit was open.
    expect(probe.status).toBe(200);
    expect((await eventOf(probe.res)).upstream).toEqual([
      { target: model, outcome: "ok", status: 200, latency_ms: expect.any(Number) },
    ]);
    const other = await ask(t, question(), { model }, {}, { ...env });
    expect((await eventOf(other.res)).upstream![0]!.outcome).not.toBe("circuit_open");
  });

  it("holds the half-open target for one probe at a time, and reopens it when the probe fails", async () => {
    const circuit = env.UPSTREAM_CIRCUIT.get(env.UPSTREAM_CIRCUIT.idFromName(`probe-${run}`));
    const t0 = 1_000_000;
    for (let i = 0; i < CIRCUIT.OPEN_AFTER - 1; i++) await circuit.failed(t0);
    expect((await circuit.acquire(t0)).allowed).toBe(true);
    await circuit.failed(t0);
    expect((await circuit.acquire(t0 + 1)).allowed).toBe(false);
    expect((await circuit.acquire(t0 + CIRCUIT.OPEN_MS - 1)).allowed).toBe(false);
    const half = t0 + CIRCUIT.OPEN_MS;
    expect((await circuit.acquire(half)).allowed).toBe(true);
    expect((await circuit.acquire(half + 1)).allowed).toBe(false);
    await circuit.failed(half + 2);
    expect((await circuit.acquire(half + CIRCUIT.PROBE_MS + 3)).allowed).toBe(false);
    const again = half + 2 + CIRCUIT.OPEN_MS;
    expect((await circuit.acquire(again)).allowed).toBe(true);
    expect(await circuit.succeeded()).toEqual({ failures: 0, openUntil: 0, probeUntil: 0 });
    expect((await circuit.acquire(again + 1)).allowed).toBe(true);
    expect((await circuit.acquire(again + 2)).allowed).toBe(true);
  });
});
