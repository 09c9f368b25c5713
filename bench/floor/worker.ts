// See wrangler.toml: a cache hit's I/O without Cordon's logic, sized like Cordon's records and audit event.
//   POST /…                       an exact hit's I/O: two KV reads one after the other, then a Queue message
//   POST /…?path=semantic         a semantic hit's: the tenant record, the exact tier's lookup (no value), one call
//                                 to the tenant's Durable Object (answering at once, with no search), the entry's
//                                 sealed body, then a Queue message
//   POST /…?kv=N&queue=0|1        the exact hit's I/O one step at a time (N of its two KV reads; the message or not)
import { DurableObject } from "cloudflare:workers";

interface Env {
  KV: KVNamespace;
  EVENTS: Queue;
  OBJECT: DurableObjectNamespace<TenantStandIn>;
}

/** A tenant object that answers a vector query with one match without searching: the call's cost alone. */
export class TenantStandIn extends DurableObject<Env> {
  query(partition: string, scope: string) {
    return [{ id: "e_bench", score: 0.97, metadata: { partition, scope, expires_at: Date.now() + 3_600_000 } }];
  }
}

// About the sizes of a tenant record, the exact-tier value (entry id and sealed copy) and an entry's sealed body.
const RECORDS = { tenant: ["t/bench", "t".repeat(1500)], exact: ["x/bench/exact", "x".repeat(1300)] } as const;
const ENTRY = ["e/bench/e_bench", "e".repeat(1400)] as const;
const ABSENT = "x/bench/absent";

async function read(kv: KVNamespace, [key, value]: readonly [string, string]): Promise<void> {
  if ((await kv.get(key, { cacheTtl: 30 })) === null) await kv.put(key, value);
}

/** Which of the steps a request asks for: the whole exact hit unless `kv` or `queue` say fewer. */
function stepsOf(url: URL): { kv: number; queue: boolean } | null {
  const kv = url.searchParams.get("kv") ?? "2";
  const queue = url.searchParams.get("queue") ?? "1";
  if (!/^[0-2]$/.test(kv) || !/^[01]$/.test(queue)) return null;
  return { kv: Number(kv), queue: queue === "1" };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const body = await request.text();
    if (url.searchParams.get("path") === "semantic") {
      await read(env.KV, RECORDS.tenant);
      await env.KV.get(ABSENT, { cacheTtl: 30 });
      const [match] = await env.OBJECT.get(env.OBJECT.idFromName("bench")).query("p", "s");
      if (match?.id !== "e_bench") return new Response("no match", { status: 500 });
      await read(env.KV, ENTRY);
    } else {
      const steps = stepsOf(url);
      if (steps === null) return new Response("kv is 0–2, queue 0 or 1", { status: 400 });
      if (steps.kv >= 1) await read(env.KV, RECORDS.tenant);
      if (steps.kv >= 2) await read(env.KV, RECORDS.exact);
      if (!steps.queue) return answer();
    }
    const event = { v: 1, id: crypto.randomUUID(), ts: Date.now(), bytes: body.length, pad: "a".repeat(600) };
    ctx.waitUntil(env.EVENTS.send(event, { contentType: "json" }));
    return answer();
  },
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env>;

function answer(): Response {
  return Response.json({ choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(300) } }] });
}
