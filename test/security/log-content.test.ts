// What Cordon's log lines say when things fail (docs/operations.md: a line names tenants, ids, codes and counts,
// never a prompt or an answer). Every path that logs is driven with prompts, and answers, that hold a marker word
// and an email address: a cache KV namespace that refuses, one whose failure quotes what it read, an audit Queue
// that refuses, a provider stream that sends what is not JSON or an error echoing the prompt, a provider body
// that is not JSON. Every console line is then searched for either. logText, the one way a log line shows a
// caught error, is checked on V8's JSON.parse message, which quotes the text around the fault.
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { logText } from "../../src/shared/log-text";
import { sseResponse, upstreamCompletion } from "../fixtures/upstream";
import { aiGatewayEnv, tenantWithKey } from "../helpers";
import { ask, type Env, settleAll } from "../integration/gateway-helpers";

const MARKER = "Zorblatt";
const EMAIL = "marta.quill@example.org";
const prompt = (n: number) => `${MARKER} question ${n}: is ${EMAIL} allowed to book room ${n}?`;

/** V8's SyntaxError for text that is not JSON: it quotes the text's first characters. */
function parseError(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (err) {
    return err;
  }
  throw new Error("parsed");
}

/** A KV namespace whose every call fails with this error. */
const failingKv = (err: () => unknown) =>
  new Proxy({} as KVNamespace, {
    get: () => async () => {
      throw err();
    },
  });

const failingQueue = {
  send: async () => {
    throw new Error("Queue send failed: simulated outage");
  },
  sendBatch: async () => {
    throw new Error("Queue sendBatch failed: simulated outage");
  },
} as unknown as Queue;

const MODEL = "openai/gpt-4o-mini";
const aiGateway = aiGatewayEnv({
  PROVIDER_API_KEY: "sk-log-content-0000",
  AI_GATEWAY_TOKEN: "aig-token-log-content",
  PROVIDER_TIMEOUT_MS: "500",
}) as Env;

const ENVS: [string, Env][] = [
  ["a cache namespace that refuses", { ...env, CACHE: failingKv(() => new Error("KV failed: simulated outage")) }],
  ["a cache namespace whose failure quotes what it read", { ...env, CACHE: failingKv(() => parseError(prompt(0))) }],
  ["an audit Queue that refuses", { ...env, AUDIT: failingQueue }],
];

describe("log lines", async () => {
  const t = await tenantWithKey("logs");
  const spies: MockInstance[] = [];
  beforeAll(() => {
    for (const m of ["log", "info", "warn", "error", "debug"] as const) spies.push(vi.spyOn(console, m));
  });
  afterAll(() => vi.restoreAllMocks());
  const lines = () => spies.flatMap((s) => s.mock.calls.map((args) => args.map(String).join(" ")));

  it("logText withholds a SyntaxError's message, which quotes the text it could not parse", () => {
    const err = parseError(`${MARKER} and the rest of the answer`);
    expect(String(err)).toContain(MARKER);
    expect(logText(err)).not.toContain(MARKER);
    expect(logText(err)).toMatch(/^SyntaxError/);
    expect(logText(new TypeError("KV get failed"))).toBe("TypeError: KV get failed");
    expect(logText(`${MARKER} thrown as a string`)).not.toContain(MARKER);
    expect(logText(new Error("x".repeat(5000))).length).toBeLessThan(400);
  });

  it.each(ENVS)("with %s, a miss and its repeat log no prompt or answer", async (_name, e) => {
    const before = lines().length;
    for (const n of [1, 2]) {
      const first = await ask(t, prompt(n), {}, {}, e);
      expect(first.status).toBe(200);
      expect(first.text).toContain(MARKER);
      expect((await ask(t, prompt(n), { stream: true }, {}, e)).status).toBe(200);
    }
    await settleAll();
    expect(lines().length, "the failure was logged").toBeGreaterThan(before);
  });

  it("with a provider stream that sends what is not JSON, or an error quoting the prompt, logs neither", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      sseResponse([
        JSON.stringify({ ...upstreamCompletion(""), object: "chat.completion.chunk", choices: [] }),
        `{"choices": ${MARKER} wrote to ${EMAIL}}`,
        JSON.stringify({ error: { message: `The prompt "${prompt(3)}" was flagged`, type: "invalid_request_error" } }),
      ]),
    );
    const r = await ask(t, prompt(3), { model: MODEL, stream: true }, {}, aiGateway);
    expect(r.status).toBe(200);
    vi.mocked(globalThis.fetch).mockImplementation(async () => new Response(`${MARKER} at ${EMAIL}`, { status: 200 }));
    expect((await ask(t, prompt(4), { model: MODEL }, {}, aiGateway)).status).toBeGreaterThanOrEqual(500);
    await settleAll();
  });

  it("hold neither the marker nor the email address, and the failures above were logged", () => {
    const all = lines();
    for (const kind of [/cache store failed/, /treated as a miss/, /audit event \S+ .*not (sent|enqueued)/]) {
      expect(
        all.some((l) => kind.test(l)),
        `a line matching ${kind}`,
      ).toBe(true);
    }
    expect(all.some((l) => l.includes("SyntaxError (message withheld"))).toBe(true);
    for (const [i, line] of all.entries()) {
      expect(line.toLowerCase(), `console line ${i}`).not.toContain(MARKER.toLowerCase());
      expect(line, `console line ${i}`).not.toContain(EMAIL);
    }
  });
});
