// Everything a request needs that outlives it: the parsed configuration, the master keys, the stores and
// the three ports on the adapters the configuration names. Built once per Worker environment.

import { LexicalEmbedder } from "./adapters/embedder-lexical";
import { WorkersAiEmbedder } from "./adapters/embedder-workers-ai";
import { HttpProvider } from "./adapters/provider-http";
import { WorkersAiReranker } from "./adapters/reranker-workers-ai";
import { TenantObjectVectorIndex } from "./adapters/vector-tenant-object";
import { VectorizeVectorIndex } from "./adapters/vector-vectorize";
import { Metrics } from "./audit/metrics";
import { crc32 } from "./auth/api-key-secret";
import { Guard } from "./auth/guard";
import { JwksCache } from "./auth/jwks-cache";
import { KeyUsage } from "./auth/key-usage";
import { DiscoveryCache } from "./auth/oidc-login";
import { AccessTokenConfigError, AccessTokenKeys } from "./auth/signing-keys";
import { type Config, ConfigError, parseConfig } from "./config";
import { randomBytes } from "./crypto/encoding";
import { dataKeyLabel, MasterKeyError, MasterKeyring, PLATFORM_KEY_LABEL } from "./crypto/master-keyring";
import { OrthogonalTransform } from "./crypto/orthogonal-transform";
import { PlatformKeyring } from "./crypto/platform-keyring";
import { TenantKeyring } from "./crypto/tenant-keyring";
import type { CircuitState } from "./policy/circuit";
import type { Embedder } from "./ports/embedder";
import type { Provider } from "./ports/provider";
import type { Reranker } from "./ports/reranker";
import type { VectorIndex } from "./ports/vector-index";
import { KeyLookup } from "./storage/key-lookup";
import { tenantsKv } from "./storage/kv-keys";
import type { TenantRecord } from "./storage/records";
import { TenantDirectory } from "./storage/tenant-directory";
import { PLATFORM_OBJECT, type TenantObject } from "./storage/tenant-object/index";

export interface Runtime {
  readonly config: Config;
  readonly env: CordonGateway.Env;
  readonly master: MasterKeyring;
  /** Keys derived from the platform key: API-key hashing, pseudonyms. */
  readonly platform: PlatformKeyring;
  readonly tenantDirectory: TenantDirectory;
  /** API-key records by the secret's keyed hash, through a bounded isolate cache. */
  readonly keyRecords: KeyLookup;
  /** Keys of the tenants' OpenID Providers, cached in the isolate. */
  readonly jwksCache: JwksCache;
  /** Their endpoints (discovery), for the dashboard's single sign-on, cached in the isolate. */
  readonly discovery: DiscoveryCache;
  /** Failed-authentication counting and blocks (AuthGuard objects, remembered in the isolate). */
  readonly guard: Guard;
  /** When keys were last reported used from where, in this isolate. */
  readonly keyUsage: KeyUsage;
  readonly embedder: Embedder;
  /**
   * The embedding space every vector of this runtime belongs to, part of its partition: 8 hex digits of the CRC-32
   * of the embedder's id and dimension. Vectors of two embedders are never compared: after a change of model, even
   * to one of the same dimension, the semantic tier starts afresh instead of scoring prompts against another
   * model's vectors. (Short, so that a vector's partition stays within the 64 bytes Vectorize's metadata index
   * reads.)
   */
  readonly vectorSpace: string;
  /** The optional second opinion on semantic candidates, with the score it must give. */
  readonly reranker: { readonly model: Reranker; readonly minScore: number } | null;
  readonly vectors: VectorIndex;
  readonly provider: Provider;
  /** Operational metrics (Analytics Engine; nothing without the binding). */
  readonly metrics: Metrics;
  /** What this isolate knows of each upstream target's circuit (upstream/call.ts). */
  readonly circuits: Map<string, { state: CircuitState; checkedAt: number }>;
  /** The tenant's unwrapped keys, cached in the isolate by wrapped value (a rotated key is a new entry). */
  tenantKeyring(tenant: TenantRecord): Promise<TenantKeyring>;
  /** The tenant's secret embedding transform, for the embedder's dimension (a few kept in the isolate). */
  embeddingTransform(tenant: TenantRecord, keyring: TenantKeyring): Promise<OrthogonalTransform>;
  /** The tenant's Durable Object (configuration, keys, cache catalog, embedded vector index). */
  tenantObject(tenant: string): DurableObjectStub<TenantObject>;
  /** The gateway's access-token signing and verification keys. */
  accessTokenKeys(): AccessTokenKeys;
  /** `iss` of the gateway's access tokens: the platform origin. */
  tokenIssuer(): string;
  /** `aud` of an access token for a tenant: the tenant's origin. */
  tokenAudience(tenant: string): string;
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
  let master: MasterKeyring;
  try {
    master = await MasterKeyring.fromSecrets(config.masterKey, config.masterKeyPrevious);
  } catch (err) {
    if (err instanceof MasterKeyError) throw new ConfigError(`Invalid gateway configuration: ${err.message}`);
    throw err;
  }
  const platform = await platformKeyring(env, master);
  let tokenKeys: AccessTokenKeys;
  try {
    tokenKeys = await AccessTokenKeys.fromConfig(config.jwtSigningKey, config.jwtPreviousKeys);
  } catch (err) {
    if (err instanceof AccessTokenConfigError) throw new ConfigError(`Invalid gateway configuration: ${err.message}`);
    throw err;
  }
  const tenantDirectory = new TenantDirectory(env.TENANTS);
  const keyCache = new Map<string, Promise<TenantKeyring>>();
  // About half a megabyte each at 768 dimensions: a few dozen, least recently used dropped.
  const transforms = new Map<string, Promise<OrthogonalTransform>>();
  const embedder = buildEmbedder(config, env);
  return {
    config,
    env,
    master,
    platform,
    tenantDirectory,
    keyRecords: new KeyLookup(tenantDirectory),
    jwksCache: new JwksCache({ fetch: (url, init) => fetch(url, init) }),
    discovery: new DiscoveryCache((url, init) => fetch(url, init)),
    guard: new Guard(env.AUTH_GUARD),
    keyUsage: new KeyUsage(),
    accessTokenKeys: () => tokenKeys,
    tokenIssuer: () => `https://${config.baseDomain}`,
    tokenAudience: (tenant) => `https://${tenant}.${config.baseDomain}`,
    embedder,
    vectorSpace: crc32(`${embedder.id}\n${embedder.dimensions}`).toString(16).padStart(8, "0"),
    reranker:
      config.reranker.kind === "workers-ai"
        ? { model: new WorkersAiReranker({ ai: env.AI! }), minScore: config.reranker.minScore }
        : null,
    embeddingTransform(tenant, keyring) {
      const cacheKey = `${tenant.id}\n${tenant.wrapped_data_key}`;
      let t = transforms.get(cacheKey);
      if (t) {
        transforms.delete(cacheKey);
        transforms.set(cacheKey, t);
        return t;
      }
      if (transforms.size >= 32) transforms.delete(transforms.keys().next().value!);
      t = keyring.embeddingSeed().then((seed) => OrthogonalTransform.fromSeed(seed, embedder.dimensions));
      transforms.set(cacheKey, t);
      t.catch(() => transforms.delete(cacheKey));
      return t;
    },
    vectors:
      config.vectorIndex === "vectorize"
        ? new VectorizeVectorIndex(env.VECTORIZE!)
        : new TenantObjectVectorIndex(env.TENANT_OBJECT),
    provider: buildProvider(config, env),
    circuits: new Map(),
    metrics: new Metrics(env.METRICS),
    tenantObject: (tenant) => env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant)),
    tenantKeyring(tenant) {
      const cacheKey = `${tenant.id}\n${tenant.wrapped_data_key}`;
      let keys = keyCache.get(cacheKey);
      if (!keys) {
        if (keyCache.size >= 1000) keyCache.delete(keyCache.keys().next().value!);
        keys = master
          .unwrap(dataKeyLabel(tenant.id), tenant.wrapped_data_key)
          .then(({ raw }) => TenantKeyring.fromDataKey(raw));
        keyCache.set(cacheKey, keys);
        keys.catch(() => keyCache.delete(cacheKey));
      }
      return keys;
    },
  };
}

/**
 * The platform key, unwrapped: read from KV, or — on the first start of a deployment — created by the platform's
 * object, which keeps the first candidate it is given, so that isolates starting together agree on one key.
 */
async function platformKeyring(env: CordonGateway.Env, master: MasterKeyring): Promise<PlatformKeyring> {
  let wrapped = await env.TENANTS.get(tenantsKv.platformKey);
  if (wrapped === null) {
    const candidate = await master.wrap(PLATFORM_KEY_LABEL, randomBytes(32));
    wrapped = await env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(PLATFORM_OBJECT)).platformKey(candidate);
  }
  const { raw } = await master.unwrap(PLATFORM_KEY_LABEL, wrapped);
  return PlatformKeyring.fromRaw(raw);
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
  if (p.kind === "local") return new HttpProvider({ urls: p.urls, fetcher: env.PROVIDER_SERVICE! });
  const headers: Record<string, string> = {};
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  if (p.gatewayToken) headers["cf-aig-authorization"] = `Bearer ${p.gatewayToken}`;
  return new HttpProvider({
    urls: p.urls,
    fetcher: { fetch: (input, init) => fetch(input, init) },
    headers,
    aiGateway: true,
  });
}
