// The gateway's configuration, parsed once per Worker environment into a frozen object. A bad configuration
// fails every request with a logged ConfigError rather than running half-configured.
import * as z from "zod";
import { HOSTNAME_PATTERN } from "./hosts";
import type { UpstreamPath } from "./protocol/upstream";

const intString = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().min(min).max(max));

const hostname = z.string().toLowerCase().regex(HOSTNAME_PATTERN, "must be a hostname");

/**
 * Fewer different characters (or bytes) than this in ROOT_TOKEN or MASTER_KEY betray a value typed by hand
 * (`xxxx…`, 32 zero bytes), not drawn at random: 32 random bytes hold about 30 different values, a random
 * base64url or hex token 16 or more. A coarse floor against placeholders, not a measure of entropy.
 */
const MIN_DISTINCT = 12;

const VarsSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]),
  BASE_DOMAIN: hostname,
  API_KEY_ENV: z.enum(["live", "test", "dev"]),
  EMBEDDER: z.enum(["lexical", "workers-ai"]),
  EMBEDDING_MODEL: z.string().min(1),
  EMBEDDING_DIMENSIONS: intString(8, 4096),
  VECTOR_INDEX: z.enum(["durable-object", "vectorize"]),
  /** Optional second stage on semantic candidates: a Workers AI cross-encoder (needs the AI binding). */
  RERANKER: z.enum(["none", "workers-ai"]).optional(),
  RERANKER_MIN_SCORE: z
    .string()
    .regex(/^(?:0(?:\.\d{1,4})?|1(?:\.0{1,4})?)$/, "must be a number from 0 to 1")
    .optional(),
  PROVIDER: z.enum(["local", "ai-gateway"]),
  AI_GATEWAY_ACCOUNT_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
  AI_GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  PROVIDER_TIMEOUT_MS: intString(100, 300_000),
  PROVIDER_BUDGET_MS: intString(100, 600_000).optional(),
  MAX_BODY_BYTES: intString(1024, 10 * 1024 * 1024),
  ROOT_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters")
    .refine((s) => new Set(s).size >= MIN_DISTINCT, `must hold at least ${MIN_DISTINCT} different characters`),
  MASTER_KEY: z
    .string()
    .refine((s) => decodedLength(s) === 32, "must be the base64 encoding of exactly 32 bytes")
    .refine(
      (s) => decodedLength(s) !== 32 || new Set(atob(s)).size >= MIN_DISTINCT,
      `must hold at least ${MIN_DISTINCT} different bytes`,
    ),
  /** Earlier master keys (comma-separated), kept until every stored key is re-wrapped under MASTER_KEY. */
  MASTER_KEY_PREVIOUS: z.string().optional(),
  /** The private EC P-256 JWK (with a kid) that signs OAuth access tokens. */
  JWT_SIGNING_KEY: z.string().min(1, "must be a private EC P-256 JWK"),
  /** Public JWKs of earlier signing keys (JSON array): their tokens stay valid until they expire. */
  JWT_PREVIOUS_KEYS: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: intString(60, 86_400).optional(),
  AI_GATEWAY_TOKEN: z.string().min(1).optional(),
  PROVIDER_API_KEY: z.string().min(1).optional(),
});

/**
 * Bindings every request needs, whatever the adapters: without one the gateway would answer unaudited (AUDIT),
 * count no failed guesses (AUTH_GUARD), or fail request by request — so it does not start.
 */
const REQUIRED_BINDINGS = [
  "TENANTS",
  "CACHE",
  "TENANT_OBJECT",
  "AUTH_GUARD",
  "UPSTREAM_CIRCUIT",
  "AUDIT",
  "AUDIT_LOG",
] as const satisfies readonly (keyof CordonGateway.Env)[];

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Config {
  readonly environment: "development" | "test" | "production";
  readonly baseDomain: string;
  readonly apiKeyEnv: "live" | "test" | "dev";
  readonly embedder:
    | { readonly kind: "lexical"; readonly dimensions: number }
    | { readonly kind: "workers-ai"; readonly model: string; readonly dimensions: number; readonly gatewayId?: string };
  readonly vectorIndex: "durable-object" | "vectorize";
  /** The reranker stage: off, or Workers AI with the score a candidate needs (0–1). */
  readonly reranker: { readonly kind: "none" } | { readonly kind: "workers-ai"; readonly minScore: number };
  readonly provider:
    | { readonly kind: "local"; readonly urls: Readonly<Record<UpstreamPath, string>> }
    | {
        readonly kind: "ai-gateway";
        readonly urls: Readonly<Record<UpstreamPath, string>>;
        readonly gatewayToken?: string;
        readonly apiKey?: string;
      };
  /** Time allowed for one attempt's response head. */
  readonly providerTimeoutMs: number;
  /** Time allowed for all attempts of one request (retries and fallbacks). */
  readonly providerBudgetMs: number;
  readonly maxBodyBytes: number;
  readonly rootToken: string;
  readonly masterKey: string;
  readonly masterKeyPrevious: string | undefined;
  readonly jwtSigningKey: string;
  readonly jwtPreviousKeys: string | undefined;
  /** Lifetime of OAuth access tokens (default 15 minutes). */
  readonly accessTokenTtlSeconds: number;
  /** Plain HTTP is accepted only here, and only from localhost. */
  readonly allowLocalHttp: boolean;
}

const AI_GATEWAY_ORIGIN = "https://gateway.ai.cloudflare.com";

/** The provider Worker's address behind the PROVIDER_SERVICE binding (the host part is not resolved). */
export const LOCAL_PROVIDER_BASE = "http://cordon-provider.local/v1";

/**
 * AI Gateway's endpoints: the OpenAI-compatible ones (`compat`, any provider by `provider/model`) for chat and
 * embeddings, and the OpenAI provider endpoint for the Responses API (OpenAI models only).
 */
function aiGatewayUrls(gateway: string): Record<UpstreamPath, string> {
  return {
    "chat/completions": `${gateway}/compat/chat/completions`,
    embeddings: `${gateway}/compat/embeddings`,
    responses: `${gateway}/openai/responses`,
  };
}

export function parseConfig(env: CordonGateway.Env): Config {
  const parsed = VarsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`Invalid gateway configuration: ${problems}`);
  }
  const v = parsed.data;
  const need = (ok: unknown, what: string) => {
    if (!ok) throw new ConfigError(`Invalid gateway configuration: ${what}`);
  };
  // One value for both would make the operator's bearer token the key every tenant's keys are wrapped under.
  need(v.ROOT_TOKEN !== v.MASTER_KEY, "ROOT_TOKEN and MASTER_KEY must be different values");
  for (const binding of REQUIRED_BINDINGS) need(env[binding], `the ${binding} binding is missing`);
  if (v.EMBEDDER === "workers-ai") need(env.AI, "EMBEDDER=workers-ai needs the AI binding");
  if (v.VECTOR_INDEX === "vectorize") need(env.VECTORIZE, "VECTOR_INDEX=vectorize needs the VECTORIZE binding");
  if (v.RERANKER === "workers-ai") need(env.AI, "RERANKER=workers-ai needs the AI binding");
  if (v.PROVIDER === "local") need(env.PROVIDER_SERVICE, "PROVIDER=local needs the PROVIDER_SERVICE binding");
  if (v.PROVIDER === "ai-gateway") {
    need(
      v.AI_GATEWAY_ACCOUNT_ID && v.AI_GATEWAY_ID,
      "PROVIDER=ai-gateway needs AI_GATEWAY_ACCOUNT_ID and AI_GATEWAY_ID",
    );
  }
  if (v.ENVIRONMENT === "production") {
    need(v.API_KEY_ENV === "live", "production must use API_KEY_ENV=live");
    // The local provider makes up its answers (development and tests); stored, they would be served as real ones.
    need(v.PROVIDER === "ai-gateway", "production must use PROVIDER=ai-gateway");
    // An audit event the Queue refused is counted there alone (audit_event_lost): without it, a lost record
    // leaves no trace an alert can watch.
    need(env.METRICS, "production needs the METRICS binding (Analytics Engine), where lost audit events are counted");
  }
  // Development trusts no client address (every caller is 127.0.0.1), takes plain HTTP and lets an OpenID
  // Provider be reached over http or at a private address: meant for this machine only, never a real domain.
  if (v.ENVIRONMENT === "development") {
    need(
      v.BASE_DOMAIN === "localhost" || v.BASE_DOMAIN.endsWith(".localhost"),
      "ENVIRONMENT=development serves localhost only: BASE_DOMAIN must be localhost or under it",
    );
  }

  const config: Config = {
    environment: v.ENVIRONMENT,
    baseDomain: v.BASE_DOMAIN,
    apiKeyEnv: v.API_KEY_ENV,
    embedder:
      v.EMBEDDER === "lexical"
        ? { kind: "lexical", dimensions: v.EMBEDDING_DIMENSIONS }
        : {
            kind: "workers-ai",
            model: v.EMBEDDING_MODEL,
            dimensions: v.EMBEDDING_DIMENSIONS,
            ...(v.AI_GATEWAY_ID ? { gatewayId: v.AI_GATEWAY_ID } : {}),
          },
    vectorIndex: v.VECTOR_INDEX,
    reranker:
      v.RERANKER === "workers-ai"
        ? { kind: "workers-ai", minScore: Number(v.RERANKER_MIN_SCORE ?? "0.5") }
        : { kind: "none" },
    provider:
      v.PROVIDER === "local"
        ? {
            kind: "local",
            urls: {
              "chat/completions": `${LOCAL_PROVIDER_BASE}/chat/completions`,
              embeddings: `${LOCAL_PROVIDER_BASE}/embeddings`,
              responses: `${LOCAL_PROVIDER_BASE}/responses`,
            },
          }
        : {
            kind: "ai-gateway",
            urls: aiGatewayUrls(`${AI_GATEWAY_ORIGIN}/v1/${v.AI_GATEWAY_ACCOUNT_ID}/${v.AI_GATEWAY_ID}`),
            ...(v.AI_GATEWAY_TOKEN ? { gatewayToken: v.AI_GATEWAY_TOKEN } : {}),
            ...(v.PROVIDER_API_KEY ? { apiKey: v.PROVIDER_API_KEY } : {}),
          },
    providerTimeoutMs: v.PROVIDER_TIMEOUT_MS,
    providerBudgetMs: v.PROVIDER_BUDGET_MS ?? Math.min(600_000, v.PROVIDER_TIMEOUT_MS * 2),
    maxBodyBytes: v.MAX_BODY_BYTES,
    rootToken: v.ROOT_TOKEN,
    masterKey: v.MASTER_KEY,
    masterKeyPrevious: v.MASTER_KEY_PREVIOUS,
    jwtSigningKey: v.JWT_SIGNING_KEY,
    jwtPreviousKeys: v.JWT_PREVIOUS_KEYS,
    accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS ?? 900,
    allowLocalHttp: v.ENVIRONMENT !== "production",
  };
  return Object.freeze(config);
}

function decodedLength(b64: string): number {
  try {
    return atob(b64).length;
  } catch {
    return -1;
  }
}
