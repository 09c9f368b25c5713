// Everything a request needs that outlives it: the parsed configuration, the master keys, the stores and
// the three ports on the adapters the configuration names. Built once per Worker environment.
import { type Config, parseConfig } from "./config";
import { MasterKeys, type TenantKeys } from "./crypto/keys";
import type { Embedder } from "./ports/embedder";
import { LexicalEmbedder } from "./ports/embedder-lexical";
import { WorkersAiEmbedder } from "./ports/embedder-workers-ai";
import { HttpProvider, type Provider } from "./ports/provider";
import { DurableObjectVectorIndex } from "./ports/vector-durable-object";
import type { VectorIndex } from "./ports/vector-index";
import { VectorizeVectorIndex } from "./ports/vector-vectorize";
import { ApiKeyStore } from "./storage/api-keys";
import { type TenantRecord, TenantStoreKV } from "./storage/tenants";
import type { TenantStore } from "./tenant-store";

export interface Runtime {
  readonly config: Config;
  readonly env: CordonGateway.Env;
  readonly master: MasterKeys;
  readonly tenants: TenantStoreKV;
  readonly apiKeys: ApiKeyStore;
  readonly embedder: Embedder;
  readonly vectors: VectorIndex;
  readonly provider: Provider;
  /** The tenant's unwrapped keys, cached in the isolate by wrapped value (a rotated key is a new entry). */
  tenantKeys(tenant: TenantRecord): Promise<TenantKeys>;
  /** The tenant's Durable Object (cache catalog, embedded vector index). */
  tenantStore(tenant: string): DurableObjectStub<TenantStore>;
}

const runtimes = new WeakMap<object, Promise<Runtime>>();

export function getRuntime(env: CordonGateway.Env): Promise<Runtime> {
  let rt = runtimes.get(env);
  if (!rt) {
    rt = buildRuntime(env);
    runtimes.set(env, rt);
    // A failed build (bad configuration) is retried on the next request rather than cached forever.
    rt.catch(() => runtimes.delete(env));
  }
  return rt;
}

async function buildRuntime(env: CordonGateway.Env): Promise<Runtime> {
  const config = parseConfig(env);
  const master = await MasterKeys.fromSecret(config.masterKey);
  const keyCache = new Map<string, Promise<TenantKeys>>();
  return {
    config,
    env,
    master,
    tenants: new TenantStoreKV(env.TENANTS),
    apiKeys: new ApiKeyStore(env.TENANTS),
    embedder: buildEmbedder(config, env),
    vectors:
      config.vectorIndex === "vectorize"
        ? new VectorizeVectorIndex(env.VECTORIZE!)
        : new DurableObjectVectorIndex(env.TENANT_STORE),
    provider: buildProvider(config, env),
    tenantStore: (tenant) => env.TENANT_STORE.get(env.TENANT_STORE.idFromName(tenant)),
    tenantKeys(tenant) {
      const cacheKey = `${tenant.id}\n${tenant.wrapped_data_key}`;
      let keys = keyCache.get(cacheKey);
      if (!keys) {
        if (keyCache.size >= 1000) keyCache.delete(keyCache.keys().next().value!);
        keys = master.unwrapDataKey(tenant.id, tenant.wrapped_data_key);
        keyCache.set(cacheKey, keys);
        keys.catch(() => keyCache.delete(cacheKey));
      }
      return keys;
    },
  };
}

function buildEmbedder(config: Config, env: CordonGateway.Env): Embedder {
  const e = config.embedder;
  if (e.kind === "lexical") return new LexicalEmbedder(e.dimensions);
  return new WorkersAiEmbedder({
    ai: env.AI!,
    model: e.model,
    dimensions: e.dimensions,
    ...(e.gatewayId ? { gatewayId: e.gatewayId } : {}),
  });
}

function buildProvider(config: Config, env: CordonGateway.Env): Provider {
  const p = config.provider;
  if (p.kind === "local") {
    return new HttpProvider({ url: p.url, fetcher: env.PROVIDER_SERVICE!, timeoutMs: config.providerTimeoutMs });
  }
  const headers: Record<string, string> = {};
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  if (p.gatewayToken) headers["cf-aig-authorization"] = `Bearer ${p.gatewayToken}`;
  return new HttpProvider({
    url: p.url,
    fetcher: { fetch: (input, init) => fetch(input, init) },
    timeoutMs: config.providerTimeoutMs,
    headers,
    aiGateway: true,
  });
}
