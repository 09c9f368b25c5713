// The official `openai` SDK's error handling against Cordon under `wrangler dev`: each failure arrives as the
// SDK's own error class with Cordon's request id, the SDK's retries follow Retry-After, and a request the SDK
// aborts is recorded as aborted in the tenant's audit trail (read over GET /v1/audit with an admin key).
import OpenAI, {
  APIUserAbortError,
  AuthenticationError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
} from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "./cordon";
import { auditEventsUntil, type SdkTenant, sdkTenant } from "./sdk";

let t: SdkTenant;

beforeAll(async () => {
  t = await sdkTenant("oaierr");
});

const chat = (model: string, content: string) => ({ model, messages: [{ role: "user" as const, content }] });

describe("authentication", () => {
  it("a bad key is AuthenticationError with Cordon's error code and request id", async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: "sk-proj-not-a-cordon-key", maxRetries: 0 });
    const err = await client.chat.completions.create(chat("gpt-4o-mini", "Hello")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const auth = err as AuthenticationError;
    expect(auth.status).toBe(401);
    expect(auth.type).toBe("authentication_error");
    expect(auth.code).toEqual(expect.any(String));
    expect(auth.requestID).toBe(auth.headers.get("x-request-id"));
    expect(auth.error).toMatchObject({ type: "authentication_error", request_id: auth.requestID });
  });

  it("a key without the scope is PermissionDeniedError", async () => {
    const viewer = await call("POST", t.host, "/v1/admin/keys", {
      token: t.adminKey,
      body: { name: "viewer", role: "viewer" },
    });
    expect(viewer.status, viewer.text).toBe(201);
    const { key } = viewer.json<{ key: string }>();
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: key, maxRetries: 0 });
    const err = await client.chat.completions.create(chat("gpt-4o-mini", "Hello")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).type).toBe("permission_error");
  });
});

describe("rate limits", () => {
  it("a provider's 429 is RateLimitError with Retry-After, at once with maxRetries 0", async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: t.key, maxRetries: 0 });
    const err = await client.chat.completions.create(chat("error-429", "Once")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const limited = err as RateLimitError;
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(limited.code).toEqual(expect.any(String));
  });

  it("with default retries the SDK tries twice more, waiting Retry-After each time, and still fails", async () => {
    const own = await sdkTenant("oai429");
    const client = new OpenAI({ baseURL: own.baseURL, apiKey: own.key });
    const started = Date.now();
    const err = await client.chat.completions.create(chat("error-429", "Thrice")).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(RateLimitError);
    // Two waits of the advertised second, on top of Cordon's own attempts at the provider.
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    // Three requests reached Cordon (the SDK's first and its two retries), each refused with 429.
    const events = await auditEventsUntil(own, "chat.completions", (es) => (es.length >= 3 ? es : undefined));
    expect(events.map((e) => e.status)).toEqual([429, 429, 429]);
    expect(events.every((e) => e.code === "rate_limited")).toBe(true);
  }, 60_000);
});

describe("only-if-cached", () => {
  // Regression: the 504 carried no x-should-retry, so the SDK retried it twice (a 5xx), asking the cache again for
  // what it had just said it did not hold, and failed only after its backoff.
  it("a miss is one request: the SDK does not retry the 504 not_cached", async () => {
    const own = await sdkTenant("oainc");
    const client = new OpenAI({ baseURL: own.baseURL, apiKey: own.key });
    const err = await client.chat.completions
      .create(chat("gpt-4o-mini", "Never asked, cache only."), { headers: { "x-cache-control": "only-if-cached" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as InternalServerError).status).toBe(504);
    expect((err as InternalServerError).code).toBe("not_cached");
    expect((err as InternalServerError).headers.get("x-should-retry")).toBe("false");
    // Once a later request reached the trail, the refused one is there alone.
    await client.chat.completions.create(chat("gpt-4o-mini", "And now asked."), { maxRetries: 0 });
    const events = await auditEventsUntil(own, "chat.completions", (es) => (es.length >= 2 ? es : undefined));
    expect(events.filter((e) => e.code === "not_cached")).toHaveLength(1);
  }, 30_000);
});

describe("aborts", () => {
  // The SDK ends a stream aborted mid-way quietly (its iterator returns: "If the user calls
  // `stream.controller.abort()`, we should exit without throwing"); APIUserAbortError is for an abort before the
  // response head.
  it("aborting mid-stream ends the SDK's stream, and the audit trail records the stream as cancelled", async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: t.key });
    const controller = new AbortController();
    const { data: stream, request_id } = await client.chat.completions
      .create({ ...chat("slow-stream-300", "Tell me a long story."), stream: true }, { signal: controller.signal })
      .withResponse();
    expect(request_id).toMatch(/^req_/);
    let chunks = 0;
    for await (const _ of stream) {
      chunks++;
      if (chunks === 2) controller.abort();
    }
    expect(chunks).toBe(2);
    expect(stream.controller.signal.aborted).toBe(true);

    const event = await auditEventsUntil(t, "chat.completions", (es) => es.find((e) => e.request_id === request_id));
    expect(event).toMatchObject({ status: 200, cache: "MISS", entry_id: null, reason: "stream_cancelled" });
    expect(event.upstream).toEqual([
      { target: "slow-stream-300", outcome: "ok", status: 200, latency_ms: expect.any(Number) },
    ]);
  });

  it("aborting before the answer began throws APIUserAbortError", async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: t.key });
    const controller = new AbortController();
    const pending = client.chat.completions.create(chat("slow-1500", "Wait for me."), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(APIUserAbortError);
    // Not asserted here: that the gateway records this attempt as aborted. `wrangler dev` puts a proxy (a Durable
    // Object that forwards each request with a detached fetch) in front of the Worker, so a client that leaves
    // before the response head is never signalled to the gateway; the workers project proves that path in workerd
    // (test/integration/upstream-streams.test.ts: code request_aborted, the attempt's outcome "aborted").
  });
});
