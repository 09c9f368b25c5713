// Fills a tenant's cache for `npm run bench` through the gateway's own store path (cache/store.ts: sealed body in
// KV, catalog row and vector in the tenant's object, exact pointer), without the provider, the HTTP round trip
// or an audit event per entry. It runs as the gateway (`wrangler dev bench/seed/worker.ts -c wrangler.toml`:
// same name, bindings and persisted state) before the gateway itself is started on that state; everything but
// its one route is the gateway's own pipeline (tenants and keys are created through the admin API as usual).
// Never deployed, and not part of the gateway: the gateway has no bulk-seeding route.
//
//   POST /bench/seed  {tenant, model, from, count, samples}   operator token; stores filler entries
//                     from..from+count-1 and answers {stored, samples: {i: prompt}} for the indexes in `samples`
//
// Entry i answers fillerPrompt(i) (below; bench/run.mjs builds the same prompts to ask for them), asked by a key
// of role developer with the tenant's cache scope, as the benchmark's own requests are — the same partition and
// scope, so a semantic query searches all of them.
import { cacheAddress } from "../../src/gateway/cache/address";
import { resolveControls } from "../../src/gateway/cache/controls";
import { planChat } from "../../src/gateway/cache/plan";
import { storeEntry } from "../../src/gateway/cache/store";
import { handleRequest } from "../../src/gateway/pipeline";
import type { TenantPrincipal } from "../../src/gateway/policy/principal";
import { ROLE_SCOPES } from "../../src/gateway/policy/scopes";
import { ChatRequestSchema } from "../../src/gateway/protocol/chat";
import { getRuntime } from "../../src/gateway/runtime";
import { fillerPrompt } from "./prompts";

export { AuthGuard, TenantObject, UpstreamCircuit } from "../../src/gateway/index";

/** Entries stored at once (each is a few KV and Durable Object writes). */
const PARALLEL = 16;

async function seed(request: Request, env: CordonGateway.Env): Promise<Response> {
  if (request.headers.get("authorization") !== `Bearer ${env.ROOT_TOKEN}`) return new Response(null, { status: 401 });
  const {
    tenant: id,
    model,
    from,
    count,
    samples = [],
  } = (await request.json()) as {
    tenant: string;
    model: string;
    from: number;
    count: number;
    samples?: number[];
  };
  const rt = await getRuntime(env);
  const tenant = await rt.tenantDirectory.getFresh(id);
  if (!tenant) return Response.json({ error: "no such tenant" }, { status: 404 });
  const keyring = await rt.tenantKeyring(tenant);
  const transform = await rt.embeddingTransform(tenant, keyring);
  const principal: TenantPrincipal = {
    kind: "api_key",
    keyId: "key_seed",
    tenant: tenant.id,
    generation: tenant.generation,
    role: "developer",
    scopes: new Set(ROLE_SCOPES.developer),
    cacheScope: "tenant",
    ipAllowlist: [],
    rateLimit: null,
    expiresAt: null,
    secretIssuedAt: Date.now(),
    secretHash: null,
  };
  const controls = resolveControls({ headers: new Headers() }, tenant.policy, principal);

  const store = async (i: number) => {
    const prompt = fillerPrompt(i);
    const req = ChatRequestSchema.parse({ model, messages: [{ role: "user", content: prompt }] });
    const plan = planChat(req);
    if (!plan.cacheable) throw new Error(`filler prompt ${i} is not cacheable: ${plan.reason}`);
    const addr = await cacheAddress({
      tenant: tenant.id,
      keyring,
      model,
      prompt: plan.prompt,
      prose: plan.prose,
      partition: plan.partition,
      controls,
      erasedBefore: tenant.erased_before,
      staleSeconds: tenant.policy.serve_stale_seconds,
      transform,
      vectorSpace: rt.vectorSpace,
    });
    const completion = {
      id: `chatcmpl-seed${i}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        { index: 0, message: { role: "assistant", content: `Seeded answer ${i}: ${prompt}` }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 24, total_tokens: 36 },
    };
    // Seeded into the tenant's shared cache, with the ticket of a request asked now.
    const ticket = { erasedBefore: tenant.erased_before, userErasures: null };
    await storeEntry(rt, { ...addr, ticket }, crypto.randomUUID(), { kind: "chat", completion }, null);
  };
  for (let next = from; next < from + count; next += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, from + count - next) }, (_, k) => store(next + k));
    await Promise.all(batch);
  }
  return Response.json({ stored: count, samples: Object.fromEntries(samples.map((i) => [i, fillerPrompt(i)])) });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/bench/seed" && request.method === "POST") return seed(request, env);
    return handleRequest(request, env, ctx);
  },
} satisfies ExportedHandler<CordonGateway.Env>;
