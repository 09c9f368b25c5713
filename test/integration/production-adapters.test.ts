// The gateway on its production adapters — Workers AI embeddings and Vectorize — against the fakes of those
// bindings (test/fakes), which follow the platforms' documented rules: a Vectorize write is seen by queries only
// later (the test flushes it), and a Workers AI call can fail (rate limits, inputs over the model's 512 tokens).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FakeVectorize } from "../fakes/vectorize";
import { FakeWorkersAi } from "../fakes/workers-ai";
import { tenantWithKey } from "../helpers";
import { ask, callWith, type Env, settleAll } from "./gateway-helpers";

/** The test environment switched to the production embedder and vector index, each on its fake. */
function production() {
  const ai = new FakeWorkersAi();
  const vectorize = new FakeVectorize(768);
  vectorize.createMetadataIndex("partition", "string");
  vectorize.createMetadataIndex("scope", "string");
  vectorize.createMetadataIndex("expires_at", "number");
  const e = {
    ...env,
    EMBEDDER: "workers-ai",
    VECTOR_INDEX: "vectorize",
    AI: ai,
    VECTORIZE: vectorize,
  } as unknown as Env;
  return { ai, vectorize, e };
}

async function askSettled(e: Env, t: { host: string; key: string }, content: string) {
  const r = await ask(t, content, {}, {}, e);
  expect(r.status).toBe(200);
  await settleAll();
  return r;
}

describe("the gateway on Workers AI and Vectorize (fakes)", () => {
  it("serves a reworded prompt once Vectorize shows its vector, the same prompt from the exact tier before", async () => {
    const { vectorize, e } = production();
    const t = await tenantWithKey("prod");
    expect((await askSettled(e, t, "What is the capital of France?")).cache).toBe("MISS");
    // Written, not yet visible: the exact tier answers the same prompt, the reworded one is a miss.
    expect(vectorize.pendingCount).toBe(1);
    expect((await askSettled(e, t, "What is the capital of France?")).cache).toBe("HIT-EXACT");
    expect((await askSettled(e, t, "what is the capital of france")).cache).toBe("MISS");
    vectorize.flush();
    expect((await askSettled(e, t, "what's the capital of France")).cache).toBe("HIT-SEMANTIC");
    // Another tenant's namespace, partition and scope: never served there.
    const other = await tenantWithKey("prod");
    expect((await askSettled(e, other, "what's the capital of France")).cache).toBe("MISS");
  });

  // Regression: the embedder's id was never used, so after a change of model of the same dimension, prompts were
  // scored against vectors of the old model.
  it("never compares a vector with one another embedder made: after a change of model, no semantic hit", async () => {
    const { ai, vectorize, e } = production();
    const t = await tenantWithKey("prod");
    expect((await askSettled(e, t, "What is the capital of Peru?")).cache).toBe("MISS");
    vectorize.flush();
    expect((await askSettled(e, t, "what's the capital of Peru")).cache).toBe("HIT-SEMANTIC");
    // Another model of the same dimension, whose vectors here happen to be the old one's: the worst case, where
    // nothing but the embedder's id tells the two spaces apart.
    const lookalike = { run: (_model: string, ...rest: unknown[]) => ai.run(e.EMBEDDING_MODEL, ...(rest as [never])) };
    const changed = { ...e, EMBEDDING_MODEL: "@cf/baai/bge-base-en-v1.5-tuned", AI: lookalike } as unknown as Env;
    expect((await askSettled(changed, t, "what is the capital of Peru")).cache).toBe("MISS");
    // The exact tier does not depend on the embedder.
    expect((await askSettled(changed, t, "What is the capital of Peru?")).cache).toBe("HIT-EXACT");
  });

  it("an embedder failure still stores the answer for the exact tier", async () => {
    const { ai, vectorize, e } = production();
    const t = await tenantWithKey("prod");
    // Workers AI refuses both calls of the miss: its lookup's and its store's.
    ai.failWith(new Error("AiError: 3040: Capacity temporarily exceeded, please try again."), 2);
    expect((await askSettled(e, t, "How tall is Mount Everest?")).cache).toBe("MISS");
    expect(ai.callCount).toBe(2);
    expect(vectorize.calls.filter((c) => c.method === "upsert")).toEqual([]);
    expect((await askSettled(e, t, "How tall is Mount Everest?")).cache).toBe("HIT-EXACT");
  });

  it("a deleted entry whose vector Vectorize still returns is a miss", async () => {
    const { vectorize, e } = production();
    const t = await tenantWithKey("prod", { role: "owner" });
    const first = await askSettled(e, t, "Who wrote Pride and Prejudice?");
    const id = first.res.headers.get("x-cache-entry-id");
    expect(id).toBeTruthy();
    vectorize.flush();
    const gone = await callWith(e, t.host, `/v1/cache/entries/${id}`, { method: "DELETE", token: t.key });
    expect(gone.status).toBe(200);
    await gone.text();
    await settleAll();
    // The delete is queued at Vectorize: the vector is still returned, and finds no body.
    expect(vectorize.pendingCount).toBe(1);
    expect((await askSettled(e, t, "who wrote pride and prejudice")).cache).toBe("MISS");
  });
});
