// The headers of the OpenAPI document: those every response may carry, and the cache controls a request sends.
import type { CacheControls, ResponseHeader } from "./operations";

type Json = Record<string, unknown>;

const header = (description: string, schema: Json = { type: "string" }) => ({ description, schema });

export const RESPONSE_HEADERS = {
  "x-request-id": header("The request's id, on every response; give it to the operator when asking about one."),
  link: header('On every error: the code\'s entry in the error catalogue, `</docs/errors#{code}>; rel="help"`.'),
  "retry-after": header("Seconds to wait before retrying.", { type: "integer", minimum: 1 }),
  "www-authenticate": header("The authentication scheme to use (RFC 7235)."),
  "x-ratelimit-limit-requests": header(
    "Requests allowed per window (the stricter of the key's and the tenant's limit).",
    {
      type: "integer",
    },
  ),
  "x-ratelimit-remaining-requests": header("Requests left in the window.", { type: "integer" }),
  "x-ratelimit-reset-requests": header("When the window is full again, e.g. `6s` or `1m0s`."),
  "x-cordon-warning": header("A warning about the credential, e.g. that the key is past the tenant's maximum age."),
  "x-should-retry": header(
    "`false` when retrying cannot help (Cordon already retried and tried the fallbacks, or only-if-cached found no answer).",
  ),
  "x-cache": header("What the cache did; absent when the tenant's timing protection hides it.", {
    type: "string",
    enum: ["HIT-EXACT", "HIT-SEMANTIC", "STALE", "MISS", "BYPASS"],
  }),
  "x-cache-similarity": header("On a hit: the cosine similarity of the entry that answered (1.0000 when exact)."),
  "x-cache-entry-id": header("On a stored miss: the entry's id (GET or DELETE /v1/cache/entries/{id})."),
  "x-cache-tokens-saved": header("On a hit: the tokens the answer cost when first computed.", { type: "integer" }),
  "x-cache-cost-saved": header("On a hit: the provider cost avoided, in US dollars."),
  "x-cache-reason": header("Why the cache did not answer (e.g. `verify:direction`), for credentials with cache:read."),
  "x-cache-hits": header("Embeddings: inputs answered from the cache, of all inputs (`2/3`)."),
  "content-disposition": header('`attachment; filename="cordon-export.ndjson"`.'),
  etag: header(
    "The policy's entity tag: send it as If-None-Match to a GET (304 while unchanged) or as If-Match to a PUT. " +
      'Compared weakly: Cloudflare\'s edge may send it weak (`W/"…"`) when it compresses the answer.',
  ),
} as const satisfies Record<ResponseHeader | string, Json>;

export const headerRefs = (names: readonly (keyof typeof RESPONSE_HEADERS)[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

export const REQUEST_HEADERS: Record<string, Json> = {
  "x-cache-control": {
    name: "x-cache-control",
    in: "header",
    description:
      "`no-store` (store nothing), `no-cache` (do not answer from the cache), `only-if-cached` (never call the " +
      "provider); comma-separated, no-cache and only-if-cached exclude each other.",
    schema: { type: "string", examples: ["no-store", "no-cache, no-store", "only-if-cached"] },
  },
  "x-cache-threshold": {
    name: "x-cache-threshold",
    in: "header",
    description:
      "Minimum similarity for a semantic hit, 0.0–1.0; it can only raise the tenant's. 1 looks up the exact " +
      "tier alone (no embedding, no vector search); the answer of a miss is still indexed for the tenant.",
    schema: { type: "string", pattern: "^(0(\\.\\d+)?|1(\\.0+)?)$" },
  },
  "x-cache-ttl": {
    name: "x-cache-ttl",
    in: "header",
    description: "Lifetime of a stored answer in seconds; it can only shorten the tenant's.",
    schema: { type: "string", pattern: "^[1-9]\\d*$" },
  },
  "x-cache-user": {
    name: "x-cache-user",
    in: "header",
    description: "The end user's opaque id: narrows the cache to that user (the OpenAI `user` field does the same).",
    schema: { type: "string", minLength: 1, maxLength: 256 },
  },
  "x-cordon-virtual-key": {
    name: "x-cordon-virtual-key",
    in: "header",
    description:
      "The virtual key (vk_…) whose provider credential to call the provider with (default: the newest one for the model's provider; a tenant's first key for a provider becomes the default as its tenant record propagates, within about 30 s plus KV's propagation, and is used at once when named).",
    schema: { type: "string" },
  },
  // The conditional requests of the tenant's policy (its ETag).
  "if-match": {
    name: "If-Match",
    in: "header",
    description:
      "The policy's `ETag` as GET answered it (a list of tags, or `*`), compared weakly: the PUT applies only if " +
      "the stored policy still has it (409 `policy_changed` otherwise).",
    schema: { type: "string" },
  },
  "if-none-match": {
    name: "If-None-Match",
    in: "header",
    description:
      "The policy's `ETag` as an earlier GET answered it (a list of tags, or `*`), compared weakly: 304 Not " +
      "Modified, without a body, while the policy still has it.",
    schema: { type: "string" },
  },
};

export const REQUEST_HEADERS_OF: Readonly<Record<CacheControls, readonly string[]>> = {
  chat: ["x-cache-control", "x-cache-threshold", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
  query: ["x-cache-control", "x-cache-threshold", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
  embeddings: ["x-cache-control", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
};
