import { afterEach, describe, expect, it, vi } from "vitest";
import { aiGatewayEnv, call, settle, tenantWithKey } from "../helpers";

const aiGateway = aiGatewayEnv();

/** A completed Response object for `body`, echoing its bookkeeping fields as OpenAI's does. */
function echoingResponse(body: Record<string, unknown>) {
  const tier = body.service_tier;
  return {
    id: `resp_${crypto.randomUUID().replace(/-/g, "")}`,
    object: "response",
    created_at: 1,
    status: "completed",
    model: "gpt-4o-mini",
    output: [
      {
        id: `msg_${crypto.randomUUID().replace(/-/g, "")}`,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", annotations: [], text: "The Danube." }],
      },
    ],
    metadata: body.metadata ?? {},
    prompt_cache_key: body.prompt_cache_key ?? null,
    prompt_cache_retention: body.prompt_cache_retention ?? null,
    safety_identifier: body.safety_identifier ?? null,
    service_tier: typeof tier === "string" && tier !== "auto" ? tier : "default",
    store: false,
    usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
    user: body.user ?? null,
  };
}

afterEach(() => vi.restoreAllMocks());

describe("a Responses hit echoes this request's answer-neutral fields", async () => {
  const t = await tenantWithKey("recho");
  await settle();

  async function ask(extra: Record<string, unknown>) {
    const res = await call(t.host, "/v1/responses", {
      env: aiGateway,
      token: t.key,
      body: { model: "openai/gpt-4o-mini", input: "Which river flows through Budapest?", store: false, ...extra },
    });
    const text = await res.text();
    await settle();
    return { cache: res.headers.get("x-cache"), status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  // Regression: service_tier and prompt_cache_retention are out of the partition, yet a hit served the stored
  // response's values — those the first caller sent — where a miss would have echoed this request's.
  it("service_tier and prompt_cache_retention are this request's, not the first caller's", async () => {
    const upstream = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async (_url, init) =>
        Response.json(echoingResponse(JSON.parse(String((init as RequestInit).body)) as Record<string, unknown>)),
      );
    const first = await ask({ service_tier: "flex", prompt_cache_retention: "24h" });
    expect(first.cache).toBe("MISS");
    expect(first.body).toMatchObject({ service_tier: "flex", prompt_cache_retention: "24h" });

    const priority = await ask({ service_tier: "priority", prompt_cache_retention: "in_memory" });
    expect(priority.cache).toBe("HIT-EXACT");
    expect(priority.body).toMatchObject({ service_tier: "priority", prompt_cache_retention: "in_memory" });

    const plain = await ask({});
    expect(plain.cache).toBe("HIT-EXACT");
    // What this request would have been echoed: no retention asked for, so none (never the first caller's 24h).
    expect(plain.body.prompt_cache_retention).toBeNull();
    expect(upstream).toHaveBeenCalledTimes(1);
  });
});
