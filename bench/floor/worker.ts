// See wrangler.toml: a cache hit's I/O without Cordon's logic, sized like Cordon's records and audit event.
interface Env {
  KV: KVNamespace;
  EVENTS: Queue;
}

const KEYS = ["t/bench", "x/bench/exact"] as const;
// About the sizes of a tenant record and of the exact-tier value (entry id and sealed copy) of the exact prompt.
const VALUES = ["t".repeat(1500), "x".repeat(1300)];

export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    for (const [i, key] of KEYS.entries()) {
      if ((await env.KV.get(key, { cacheTtl: 30 })) === null) await env.KV.put(key, VALUES[i]!);
    }
    const event = { v: 1, id: crypto.randomUUID(), ts: Date.now(), bytes: body.length, pad: "a".repeat(600) };
    ctx.waitUntil(env.EVENTS.send(event, { contentType: "json" }));
    return Response.json({ choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(300) } }] });
  },
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env>;
