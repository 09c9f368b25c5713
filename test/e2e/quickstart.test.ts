// The quick start, as a client sees it under `wrangler dev`: MISS, HIT-EXACT, HIT-SEMANTIC, MISS for another
// question, and the contract's error shape from the real server.
import { describe, expect, it } from "vitest";
import { call, tenantWithKey } from "./cordon";

describe("quick start against wrangler dev", () => {
  it("MISS → HIT-EXACT → HIT-SEMANTIC → MISS", async () => {
    const t = await tenantWithKey("quick");
    const ask = async (content: string) => {
      const res = await call("POST", t.host, "/v1/chat/completions", {
        token: t.key,
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content }] },
      });
      expect(res.status, res.text).toBe(200);
      return res.headers["x-cache"];
    };
    expect(await ask("What is the capital of France?")).toBe("MISS");
    await expect.poll(() => ask("What is the capital of France?"), { timeout: 5000 }).toBe("HIT-EXACT");
    expect(await ask("Could you please tell me what's the capital of FRANCE?")).toBe("HIT-SEMANTIC");
    expect(await ask("What is the capital of Germany?")).toBe("MISS");
  });

  it("refusals carry the contract's error shape and a request id", async () => {
    const t = await tenantWithKey("refuse");
    const res = await call("POST", t.host, "/v1/chat/completions", {
      token: "sk-proj-not-a-cordon-key",
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    });
    expect(res.status).toBe(401);
    const body = res.json<{ error: Record<string, string> }>();
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id", "type"]);
    expect(body.error.request_id).toBe(res.headers["x-request-id"]);
  });
});
