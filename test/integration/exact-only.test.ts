// A similarity threshold of 1 turns the semantic tier off: the tenant's (nothing embedded, searched or indexed)
// or one request's (that request's lookup only; its answer is indexed for the tenant's other requests as usual).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getRuntime } from "../../src/gateway/runtime";
import { call, chatBody, objectCounts, setPolicy, settle, tenantWithKey } from "../helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

async function ask(t: { host: string; key: string }, content: string, headers: Record<string, string> = {}) {
  const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(content), headers });
  expect(res.status).toBe(200);
  await res.text();
  await settle();
  return res.headers.get("x-cache");
}

describe("exact-only caching (similarity threshold 1)", async () => {
  const rt = await getRuntime(env);

  it("a tenant at 1 never embeds, searches or indexes: a reworded question is a miss, the same one a hit", async () => {
    const t = await tenantWithKey("exact");
    await setPolicy(t.tenant, { similarity_threshold: 1 });
    const embed = vi.spyOn(rt.embedder, "embed");
    const query = vi.spyOn(rt.vectors, "query");
    const upsert = vi.spyOn(rt.vectors, "upsert");

    expect(await ask(t, "What is the capital of France?")).toBe("MISS");
    expect(await ask(t, "What is the capital of France?")).toBe("HIT-EXACT");
    // Scores 1.0 with the lexical embedder (case and punctuation aside, the same words): still not served.
    expect(await ask(t, "what is the capital of france")).toBe("MISS");
    expect(await ask(t, "What's the capital of FRANCE?!")).toBe("MISS");

    expect(embed).not.toHaveBeenCalled();
    expect(query).not.toHaveBeenCalled();
    expect(upsert).not.toHaveBeenCalled();
    const counts = await objectCounts(t.tenant);
    expect(counts.entries).toBe(3);
    expect(counts.vectors).toBe(0);
  });

  it("a request at 1 skips its own semantic lookup; its answer is still indexed for the tenant", async () => {
    const t = await tenantWithKey("exactreq");
    const query = vi.spyOn(rt.vectors, "query");
    const embed = vi.spyOn(rt.embedder, "embed");

    expect(await ask(t, "How do I reverse a list in Python?", { "x-cache-threshold": "1" })).toBe("MISS");
    expect(query).not.toHaveBeenCalled();
    // Embedded once, by the store after the response, for the tenant's index.
    expect(embed).toHaveBeenCalledTimes(1);
    expect((await objectCounts(t.tenant)).vectors).toBe(1);

    const rewording = { "x-cache-threshold": "1.0", "x-cache-control": "no-store" };
    expect(await ask(t, "how do I reverse a list in python", rewording)).toBe("MISS");
    expect(query).not.toHaveBeenCalled();
    // At the tenant's own threshold a rewording finds the first answer (the only one stored) by meaning.
    expect(
      await ask(t, "Hey, could you please tell me how do I reverse a list in Python?", {
        "x-cache-control": "no-store",
      }),
    ).toBe("HIT-SEMANTIC");
    expect(query).toHaveBeenCalled();
  });

  it("a tenant that turns the semantic tier back on finds only entries stored while it was on by meaning", async () => {
    const t = await tenantWithKey("exactback");
    await setPolicy(t.tenant, { similarity_threshold: 1 });
    expect(await ask(t, "Which planet is the largest?")).toBe("MISS");
    await setPolicy(t.tenant, { similarity_threshold: 0.9 });
    // Stored while the tier was off: found by the exact tier only.
    expect(await ask(t, "Which planet is the largest?")).toBe("HIT-EXACT");
    expect(await ask(t, "which planet is the largest")).toBe("MISS");
    // Stored with the tier on (the miss above): found by meaning.
    expect(
      await ask(t, "Hey, could you please tell me which planet is the largest?", { "x-cache-control": "no-store" }),
    ).toBe("HIT-SEMANTIC");
  });

  it("cache/query's similarity_threshold of 1 looks up the exact tier alone", async () => {
    const t = await tenantWithKey("exactq");
    expect(await ask(t, "Name a prime number above ten.")).toBe("MISS");
    const query = vi.spyOn(rt.vectors, "query");
    const res = await call(t.host, "/v1/cache/query", {
      token: t.key,
      body: { prompt: "name a prime number above ten", model: "gpt-4o-mini", similarity_threshold: 1 },
      headers: { "x-cache-control": "only-if-cached" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cache_hit: false, entry_id: null });
    expect(query).not.toHaveBeenCalled();
  });
});
