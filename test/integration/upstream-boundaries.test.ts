import { afterEach, describe, expect, it, vi } from "vitest";
import { sseResponse, upstreamCompletion } from "../fixtures/upstream";
import { aiGatewayEnv, call, createKey, setPolicy, settle, tenantWithKey } from "../helpers";

// Made-up credentials, assembled at run time so that secret scanners reading this repository do not flag them.
const j = (...parts: string[]) => parts.join("");
const DEPLOYMENT_KEY = j("sk-", "deployment-0123456789abcdefXYZ");
const aiGateway = aiGatewayEnv({
  PROVIDER_API_KEY: DEPLOYMENT_KEY,
  AI_GATEWAY_TOKEN: "aig-token-0123456789abcdef",
  PROVIDER_TIMEOUT_MS: "500",
});

const completion = upstreamCompletion;

afterEach(() => {
  vi.restoreAllMocks();
});

async function send(host: string, path: string, init: Parameters<typeof call>[2]) {
  const res = await call(host, path, init);
  const text = await res.text();
  await settle();
  return { res, text };
}

const ask = (t: { host: string; key: string }, content: string, headers: Record<string, string> = {}) =>
  send(t.host, "/v1/chat/completions", {
    env: aiGateway,
    token: t.key,
    headers,
    body: { model: "openai/gpt-4o-mini", messages: [{ role: "user", content }] },
  });

describe("a provider's error, passed on", async () => {
  const t = await tenantWithKey("ub-err");
  const admin = await createKey(t.tenant, { role: "admin" });
  const secret = j("sk-", "openai-Abc123Def456Ghi789Jkl012Mno345Pqr678Stu9");
  const vk = await send(t.host, "/v1/admin/virtual-keys", {
    token: admin,
    body: { name: "o", provider: "openai", api_key: secret },
  });
  const vkId = (JSON.parse(vk.text) as { id: string }).id;

  it("never carries a credential Cordon sent, whatever the provider echoes", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      const auth = new Headers((init as RequestInit).headers).get("authorization");
      return Response.json(
        { error: { message: `Bad request made with ${auth}`, type: "invalid_request_error", param: auth } },
        { status: 400 },
      );
    });
    for (const headers of [{ "x-cordon-virtual-key": vkId }, {}] as Record<string, string>[]) {
      const r = await ask(t, "Capital of Peru?", headers);
      expect(r.res.status).toBe(400);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(DEPLOYMENT_KEY);
      expect(JSON.parse(r.text).error.message).toContain("[CREDENTIAL]");
    }
  });

  it("never names the deployment's account", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      Response.json(
        {
          error: {
            message:
              "Rate limit reached for gpt-4o-mini in organization org-DEPLOYMENT123 (project proj_abcdef123456) on tokens per min.",
            type: "tokens",
            code: "rate_limit_exceeded",
          },
        },
        { status: 429, headers: { "retry-after": "0" } },
      ),
    );
    const r = await ask(t, "Capital of Chile?");
    expect(r.res.status).toBe(429);
    expect(r.text).not.toContain("DEPLOYMENT123");
    expect(r.text).not.toContain("abcdef123456");
    expect(JSON.parse(r.text).error.message).toContain("org-[REDACTED]");
  });

  it("an error inside the provider's stream is scrubbed too, chat and Responses alike", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const auth = new Headers((init as RequestInit).headers).get("authorization");
      const leak = `quota of organization org-DEPLOYMENT123 exceeded for ${auth}`;
      return String(input).includes("/responses")
        ? sseResponse([
            JSON.stringify({
              type: "response.created",
              sequence_number: 0,
              response: { id: "resp_1", object: "response" },
            }),
            JSON.stringify({ type: "error", sequence_number: 1, code: "server_error", message: leak, param: null }),
          ])
        : sseResponse([JSON.stringify({ error: { message: leak, type: "server_error", param: null, code: null } })]);
    });
    for (const [path, body] of [
      [
        "/v1/chat/completions",
        { model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Hi?" }] },
      ],
      ["/v1/responses", { model: "openai/gpt-4o-mini", stream: true, store: false, input: "Hi?" }],
    ] as const) {
      const r = await send(t.host, path, { env: aiGateway, token: t.key, body });
      expect(r.res.status, path).toBe(200);
      expect(r.text, path).toContain("org-[REDACTED]");
      expect(r.text, path).not.toContain("DEPLOYMENT123");
      expect(r.text, path).not.toContain(DEPLOYMENT_KEY);
    }
  });

  it("a named key for one provider does not stop a fallback of another: it is skipped", async () => {
    await setPolicy(t.tenant, { fallbacks: ["anthropic/claude-3-5-haiku", "openai/gpt-4o"] });
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      const body = JSON.parse((init as RequestInit).body as string) as { model: string };
      seen.push(body.model);
      return body.model === "openai/gpt-4o-mini"
        ? new Response("busy", { status: 503 })
        : Response.json(completion("Sucre."));
    });
    const r = await ask(t, "Capital of Bolivia?", { "x-cordon-virtual-key": vkId });
    await setPolicy(t.tenant, { fallbacks: [] });
    expect(r.res.status).toBe(200);
    expect(new Set(seen)).toEqual(new Set(["openai/gpt-4o-mini", "openai/gpt-4o"]));
  });
});

describe("a provider that stops sending after its head", async () => {
  const t = await tenantWithKey("ub-stall");

  it("is timed out (504), not waited for", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () =>
        new Response(new ReadableStream({ start() {} }), {
          status: 200,
          headers: { "content-type": "application/json" },
        }),
    );
    const started = Date.now();
    const r = await ask(t, "Capital of Ecuador?");
    expect(r.res.status).toBe(504);
    expect(JSON.parse(r.text).error.code).toBe("upstream_timeout");
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

// Regression: a target's silence between chunks was held to what was left of the budget when its call began, so
// a fallback that answered late in the budget had its flowing stream cut after a pause shorter than the timeout.
describe("a fallback that answers late in the budget", async () => {
  const t = await tenantWithKey("ub-late");
  await setPolicy(t.tenant, { fallbacks: ["openai/gpt-4o"] });

  it("streams with the provider timeout between chunks, not what was left of the budget", async () => {
    const late = { ...aiGateway, PROVIDER_TIMEOUT_MS: "500", PROVIDER_BUDGET_MS: "700" } as CordonGateway.Env;
    const chunk = (content: string, finish: string | null) =>
      `data: ${JSON.stringify({
        id: "chatcmpl-late",
        object: "chat.completion.chunk",
        created: 1,
        model: "openai/gpt-4o",
        choices: [{ index: 0, delta: { content }, finish_reason: finish }],
      })}\n\n`;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      const { model } = JSON.parse(String((init as RequestInit).body)) as { model: string };
      const signal = (init as RequestInit).signal!;
      // The requested model never answers: its head is timed out after 500 ms, leaving the fallback 200 ms.
      if (model === "openai/gpt-4o-mini") {
        return new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      }
      const parts = [chunk("Quito", null), chunk(" is the capital.", null), chunk("", "stop"), "data: [DONE]\n\n"];
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const next = parts.shift();
          if (next === undefined) return c.close();
          // Pauses longer than what was left of the budget, shorter than the timeout.
          if (parts.length < 3) await new Promise((r) => setTimeout(r, 300));
          c.enqueue(new TextEncoder().encode(next));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const r = await send(t.host, "/v1/chat/completions", {
      env: late,
      token: t.key,
      body: { model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Capital of Ecuador?" }] },
    });
    expect(r.res.status).toBe(200);
    expect(r.text).toContain(" is the capital.");
    expect(r.text).toContain("data: [DONE]");
    expect(r.text).not.toContain("upstream_timeout");
  });
});

describe("a stateful Responses answer under timing protection", async () => {
  const t = await tenantWithKey("ub-state");
  await setPolicy(t.tenant, { timing_protection: true });

  it("keeps the provider's id, so that the conversation can go on", async () => {
    const first = await send(t.host, "/v1/responses", {
      token: t.key,
      body: { model: "gpt-4o-mini", input: "My name is Ada. Remember it." },
    });
    expect(first.res.status).toBe(200);
    const id = (JSON.parse(first.text) as { id: string }).id;
    const next = await send(t.host, "/v1/responses", {
      token: t.key,
      body: { model: "gpt-4o-mini", input: "What is my name?", previous_response_id: id },
    });
    expect(next.res.status).toBe(200);
  });
});
