// Benchmark harness for the audit Queue consumer, run under `wrangler dev` by bench/audit-consumer.mjs.
// It calls the consumer on synthetic message batches, as the Queues runtime would, against the local D1
// database; the driver times each call from outside (inside workerd the clock only moves on I/O).
//   POST /migrate            body: SQL statements (JSON array), run in one batch
//   POST /seed?from=&n=&tenants=  n stored events spread over the tenants, by one INSERT … SELECT
//   POST /consume?batches=&size=&tenants=  that many batches of fresh valid events through the consumer
//   GET  /count              stored events
//   POST /cpu?what=&n=       n repetitions of one CPU step of the consumer (none | validate | canonical | hash)
import { chainHash, GENESIS } from "../../src/logger/chain";
import { consumeAuditBatch } from "../../src/logger/consumer";
import { type AuditEvent, AuditEventSchema } from "../../src/shared/audit-event";
import { canonicalJson } from "../../src/shared/canonical-json";

interface Env {
  AUDIT_DB: D1Database;
}

const EVENT_TS = 1_750_000_000_000;

/** Every benchmark event is valid: nothing should be dead-lettered. */
const deadLetters = {
  send: () => Promise.reject(new Error("benchmark: unexpected dead letter")),
  sendBatch: () => Promise.reject(new Error("benchmark: unexpected dead letter")),
} as unknown as Queue;
const tenantName = (i: number) => `bench-${i}`;

function event(tenant: string, n: number): AuditEvent {
  return {
    v: 2,
    id: crypto.randomUUID(),
    ts: EVENT_TS + n,
    request_id: `req_${crypto.randomUUID().replace(/-/g, "")}`,
    tenant,
    actor: `key:key_${n % 7}`,
    action: "chat.completions",
    outcome: "allowed",
    status: 200,
    code: null,
    reason: null,
    target: null,
    method: "POST",
    route: "/v1/chat/completions",
    client_ip: "203.0.113.7",
    client_country: "DE",
    client_asn: 64500,
    cache: n % 3 === 0 ? "HIT-EXACT" : "MISS",
    cache_reason: null,
    model: "gpt-4o-mini",
    prompt_hash: "p".repeat(43),
    entry_id: null,
    similarity: null,
    prompt_tokens: 10,
    completion_tokens: 20,
    cost_saved: n % 3 === 0 ? 0.25 : null,
    pii: null,
    upstream: [{ target: "openai/gpt-4o-mini", outcome: "ok", status: 200, latency_ms: 120 }],
    latency_ms: 15 + (n % 50),
  };
}

/** A MessageBatch as the runtime hands it to queue(): per-message ack/retry recorded. */
function batchOf(bodies: unknown[]) {
  const result = { acked: 0, retried: 0 };
  const messages = bodies.map((body, i) => ({
    id: `bench-${i}-${crypto.randomUUID()}`,
    timestamp: new Date(),
    attempts: 1,
    body,
    ack: () => {
      result.acked += 1;
    },
    retry: () => {
      result.retried += 1;
    },
  }));
  const batch = {
    queue: "cordon-audit",
    messages,
    ackAll: () => {
      result.acked += messages.length;
    },
    retryAll: () => {
      result.retried += messages.length;
    },
  } as unknown as MessageBatch<unknown>;
  return { batch, result };
}

/** Rows as the consumer writes them, generated inside SQLite: event JSON of a realistic size, unique ids. */
const SEED_SQL = `
WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2 - 1),
rows AS (SELECT i, 'bench-' || (i % ?3) AS tenant, i / ?3 + 1 AS seq FROM n)
INSERT INTO audit_events (tenant, seq, id, ts, actor, action, outcome, status, cache, prompt_tokens,
                          completion_tokens, cost_saved, latency_ms, event, prev_hash, hash)
SELECT tenant, seq, printf('%08x-0000-4000-8000-%012x', i % ?3, i), ${EVENT_TS - 1_000_000_000} + i,
       'key:key_' || (i % 7), 'chat.completions', 'allowed', 200, 'MISS', 10, 20, NULL, 15 + i % 50,
       printf('{"action":"chat.completions","actor":"key:key_%d","cache":"MISS","cache_reason":null,"client_asn":64500,"client_country":"DE","client_ip":"203.0.113.7","code":null,"completion_tokens":20,"cost_saved":null,"entry_id":null,"id":"%08x-0000-4000-8000-%012x","latency_ms":%d,"method":"POST","model":"gpt-4o-mini","outcome":"allowed","pii":null,"prompt_hash":"ppppppppppppppppppppppppppppppppppppppppppp","prompt_tokens":10,"reason":null,"request_id":"req_%032x","route":"/v1/chat/completions","similarity":null,"status":200,"target":null,"tenant":"%s","ts":%d,"upstream":null,"v":2}',
              i % 7, i % ?3, i, 15 + i % 50, i, tenant, ${EVENT_TS - 1_000_000_000} + i),
       printf('%064x', i - ?3), printf('%064x', i)
  FROM rows`;

async function seed(db: D1Database, from: number, n: number, tenants: number): Promise<void> {
  await db.prepare(SEED_SQL).bind(from, n, tenants).run();
  // Each tenant's head at its highest seeded row, so that new events extend the seeded chains.
  for (let t = 0; t < tenants; t++) {
    await db
      .prepare(
        `INSERT INTO audit_chain (tenant, seq, hash)
         SELECT tenant, seq, hash FROM audit_events WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1
         ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      )
      .bind(tenantName(t))
      .run();
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (name: string, dflt: number) => Number(url.searchParams.get(name) ?? dflt);
    const db = env.AUDIT_DB;
    switch (url.pathname) {
      case "/migrate": {
        const statements = (await request.json()) as string[];
        await db.batch(statements.map((s) => db.prepare(s)));
        return Response.json({ ok: true });
      }
      case "/seed": {
        await seed(db, q("from", 0), q("n", 0), q("tenants", 10));
        return Response.json({ ok: true });
      }
      case "/consume": {
        const tenants = q("tenants", 10);
        let acked = 0;
        let retried = 0;
        let n = 0;
        for (let b = 0; b < q("batches", 1); b++) {
          const bodies = Array.from({ length: q("size", 50) }, () => event(tenantName(n % tenants), n++));
          const { batch, result } = batchOf(bodies);
          await consumeAuditBatch(batch, { db, deadLetters });
          acked += result.acked;
          retried += result.retried;
        }
        return Response.json({ events: n, acked, retried });
      }
      case "/cpu": {
        const n = q("n", 1000);
        const events = Array.from({ length: n }, (_, i) => event(tenantName(i % 10), i));
        const canonical = events.map(canonicalJson);
        const what = url.searchParams.get("what");
        let check = 0;
        for (let i = 0; i < n; i++) {
          if (what === "validate") check += AuditEventSchema.safeParse(events[i]).success ? 1 : 0;
          else if (what === "canonical") check += canonicalJson(events[i]).length;
          else if (what === "hash") check += (await chainHash(GENESIS, canonical[i]!)).length;
        }
        return Response.json({ n, check });
      }
      case "/count": {
        const row = await db.prepare("SELECT COUNT(*) AS n FROM audit_events").first<{ n: number }>();
        return Response.json({ events: row?.n ?? 0 });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
} satisfies ExportedHandler<Env>;
