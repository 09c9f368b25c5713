// Benchmark harness for the embedded vector index, run under `wrangler dev` by bench/vector-index.mjs: one
// Durable Object holding the tenant object's vectors table and code memory, and the index's own functions
// (src/gateway/storage/tenant-object/vectors.ts). Vectors are generated inside the object from a seed (vector
// i is the same in every run), so that 100,000 of them never cross HTTP; the driver times each query from
// outside (inside workerd the clock only moves on I/O).
//   POST /fill?from=&n=&dims=        vectors from..from+n-1 upserted in batches of 1,000
//   POST /query?i=&noise=&dims=&exact=   a query near vector i (noise 0.3 ≈ cosine 0.95): the index's best
//                                    match, and with exact=1 also exact search's (for recall)
//   POST /forget                     drops the codes in memory (a restarted object): the next query reads them
//   POST /ping                       the same round trip doing nothing (the baseline subtracted)
//   GET  /stats?dims=                rows stored, and the memory the codes of the group take
import { DurableObject } from "cloudflare:workers";
import { migrate } from "../../src/gateway/storage/tenant-object/schema";
import { CodeGroups, wordsFor } from "../../src/gateway/storage/tenant-object/vector-codes";
import { queryVectors, queryVectorsExact, upsertVectors } from "../../src/gateway/storage/tenant-object/vectors";

interface Env {
  INDEX: DurableObjectNamespace<IndexUnderTest>;
}

const FAR = 4_102_444_800_000; // 2100-01-01: nothing expires during a run

/** mulberry32 and Gaussian draws: vector i comes from seed i. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

function vector(i: number, dims: number): number[] {
  const g = gaussian(i + 1);
  return Array.from({ length: dims }, g);
}

function near(i: number, dims: number, noise: number): number[] {
  const base = vector(i, dims);
  const norm = Math.hypot(...base);
  const g = gaussian(1_000_003 + i * 7919);
  return base.map((x) => x / norm + (noise * g()) / Math.sqrt(dims));
}

const query = (values: number[]) => ({ vector: values, topK: 1, partition: "p", scope: "s", now: Date.now() });

export class IndexUnderTest extends DurableObject<Env> {
  private readonly codes = new CodeGroups();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  fill(from: number, n: number, dims: number): number {
    for (let start = from; start < from + n; start += 1000) {
      const count = Math.min(1000, from + n - start);
      const records = Array.from({ length: count }, (_, k) => ({
        id: `v${start + k}`,
        values: vector(start + k, dims),
        metadata: { partition: "p", scope: "s", expires_at: FAR },
      }));
      upsertVectors(this.ctx.storage, this.codes, records, Date.now());
    }
    return this.rows();
  }

  /** Forgets the codes in memory, as a restarted object would have: the next query reads them from SQLite. */
  forget(): void {
    this.codes.clear();
  }

  query(i: number, dims: number, noise: number, exact: boolean) {
    const q = query(near(i, dims, noise));
    const [found] = queryVectors(this.ctx.storage, this.codes, q);
    const [truth] = exact ? queryVectorsExact(this.ctx.storage.sql, q) : [undefined];
    return { id: found?.id ?? null, score: found?.score ?? null, exact: truth?.id ?? null };
  }

  /** A call that does nothing: the round trip the query times include. */
  ping(): number {
    return 0;
  }

  stats(dims: number) {
    const rows = this.rows();
    return { rows, code_bytes: rows * wordsFor(dims) * 4 };
  }

  private rows(): number {
    return this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM vectors`).one().n;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const num = (name: string, dflt: number) => Number(url.searchParams.get(name) ?? dflt);
    const index = env.INDEX.get(env.INDEX.idFromName(`index-${num("dims", 768)}`));
    switch (url.pathname) {
      case "/fill":
        return Response.json({ rows: await index.fill(num("from", 0), num("n", 1000), num("dims", 768)) });
      case "/query":
        return Response.json(
          await index.query(num("i", 0), num("dims", 768), num("noise", 0.3), num("exact", 0) === 1),
        );
      case "/forget":
        await index.forget();
        return Response.json({ forgotten: true });
      case "/ping":
        return Response.json({ ping: await index.ping() });
      case "/stats":
        return Response.json(await index.stats(num("dims", 768)));
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
