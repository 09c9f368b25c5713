// The local provider's fault names, the flaky schedule, LATENCY_MS parsing and where stream faults cut.
import { describe, expect, it } from "vitest";
import { type Fault, faultOf, flakyFailsAt, latencyOf } from "../../src/provider/faults";
import { cutIndex, type SseEvent } from "../../src/provider/sse";

describe("fault names", () => {
  it.each<[string, Fault]>([
    ["echo", { kind: "none" }],
    ["openai/gpt-4o-mini", { kind: "none" }],
    ["local/slow-200", { kind: "slow", ms: 200 }],
    ["slow-999999", { kind: "slow", ms: 60_000 }],
    ["slow-fast", { kind: "none" }],
    ["local/slow-stream-150", { kind: "slow-stream", ms: 150 }],
    ["slow-stream-9999999", { kind: "slow-stream", ms: 60_000 }],
    ["slow-stream-", { kind: "none" }],
    ["error-404", { kind: "error", status: 404 }],
    ["local/error-599", { kind: "error", status: 599 }],
    ["error-200", { kind: "none" }],
    ["error-600", { kind: "none" }],
    ["error-after-0", { kind: "error-after", events: 0 }],
    ["local/error-after-3", { kind: "error-after", events: 3 }],
    ["error-after-10001", { kind: "none" }],
    ["flaky-50", { kind: "flaky", percent: 50, counter: "flaky-50" }],
    ["local/flaky-25-run7", { kind: "flaky", percent: 25, counter: "flaky-25-run7" }],
    ["flaky-101", { kind: "none" }],
    ["flaky-50-UPPER", { kind: "none" }],
    ["local/hang", { kind: "hang" }],
    ["hang-on", { kind: "none" }],
    ["local/broken-stream", { kind: "broken" }],
  ])("model %s is fault %o", (model, fault) => {
    expect(faultOf(model)).toEqual(fault);
  });
});

describe("flaky schedule", () => {
  const failures = (percent: number, count: number): number[] =>
    Array.from({ length: count }, (_, i) => (flakyFailsAt(i + 1, percent) ? 1 : 0));

  it.each([0, 1, 10, 25, 33, 50, 67, 99, 100])("flaky-%i fails exactly that many of each 100 requests", (percent) => {
    const schedule = failures(percent, 300);
    for (let start = 0; start < 300; start += 100) {
      expect(schedule.slice(start, start + 100).reduce((a, b) => a + b, 0)).toBe(percent);
    }
  });

  it("starts with a failure and spreads failures evenly", () => {
    expect(failures(50, 6)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(failures(25, 8)).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    expect(failures(75, 4)).toEqual([1, 1, 1, 0]);
  });
});

describe("LATENCY_MS", () => {
  it.each([
    [undefined, 0],
    ["", 0],
    [" 25 ", 25],
    ["60000", 60_000],
    ["60001", null],
    ["-1", null],
    ["1.5", null],
    ["fast", null],
  ])("%o is %o", (raw, ms) => {
    expect(latencyOf(raw)).toBe(ms);
  });
});

describe("where stream faults cut", () => {
  // r = role/structure event, c = content event
  const events = (shape: string): SseEvent[] => [...shape].map((k) => ({ data: k, content: k === "c" }));

  it.each([
    ["rcccfu", 2, 3],
    ["rcccfu", 0, 1],
    ["rcccfu", 3, 4],
    ["rcccfu", 9, 4],
    ["rrrrccrrr", 1, 5],
    ["rf", 1, 1],
    ["rrf", 5, 2],
  ])("%s cut after %i content events is at %i", (shape, k, at) => {
    expect(cutIndex(events(shape), k)).toBe(at);
  });
});
