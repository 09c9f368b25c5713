// The OpenAPI operation of each action of the route table: what a reader of the API needs beyond the table —
// a summary, the request body (the very zod schema the handler parses with), the query and path parameters,
// the success responses (zod schemas the handlers' answers are typed against) and the error codes the route
// raises itself. Who may call it, its authentication and body errors, its host and its audit behaviour come
// from the route table (openapi.ts derives them). Adding a route: add its entry here, next to its handler in
// index.ts; a missing one is a compile error, and test/node/openapi.test.ts fails on any mismatch.
import * as z from "zod";
import { SessionViewSchema, SignedOutSchema, SignInSchema } from "../dashboard/session";
import type { ErrorCode } from "../http/errors";
import { PolicySchema } from "../policy/tenant-policy";
import { ChatCompletionSchema, ChatRequestSchema } from "../protocol/chat";
import { EmbeddingsRequestSchema } from "../protocol/embeddings";
import {
  DeletedResponseSchema,
  InputItemListSchema,
  ResponseObjectSchema,
  ResponsesRequestSchema,
} from "../protocol/responses";
import { KeyViewSchema, TenantViewSchema } from "../storage/records";
import { CreateKeySchema, IssuedKeySchema, KeyListSchema, RotateKeySchema } from "./admin-keys";
import { LockdownResultSchema, PolicyBodySchema } from "./admin-policy";
import { RewrapResultSchema } from "./admin-schemas";
import { CreateTenantSchema, TenantDeletedSchema, TenantListSchema } from "./admin-tenants";
import {
  CreateVirtualKeySchema,
  VirtualKeyDeletedSchema,
  VirtualKeyListSchema,
  VirtualKeyViewSchema,
} from "./admin-virtual-keys";
import {
  AnalyticsSchema,
  AuditPageSchema,
  DeadLetterPageSchema,
  ReplayResultSchema,
  VerificationSchema,
} from "./audit";
import { CacheEntrySchema, EntryDeletedSchema, EraseSchema, ErasureSchema, ExportLineSchema } from "./cache-entries";
import { EntryListSchema } from "./cache-entry-list";
import { CacheQueryResultSchema, CacheQuerySchema } from "./cache-query";
import { EmbeddingsListSchema } from "./embeddings";
import { ModelListSchema, ModelObjectSchema } from "./models";
import { JwksSchema, TokenFormSchema, TokenResponseSchema } from "./oauth";
import type { RouteAction } from "./table";

export type Tag =
  | "OpenAI-compatible"
  | "Cache"
  | "Audit and analytics"
  | "Keys"
  | "Virtual keys"
  | "Policy"
  | "OAuth"
  | "Tenants (operator)"
  | "Operator"
  | "Dashboard"
  | "Service";

export type MediaType =
  | "application/json"
  | "application/x-ndjson"
  | "text/event-stream"
  | "text/html"
  | "application/jwk-set+json";

/** Response headers beyond those every response carries (x-request-id, and the tenant routes' rate headers). */
export type ResponseHeader =
  | "x-cache"
  | "x-cache-similarity"
  | "x-cache-entry-id"
  | "x-cache-tokens-saved"
  | "x-cache-cost-saved"
  | "x-cache-reason"
  | "x-cache-hits"
  | "x-ratelimit-limit-requests"
  | "x-ratelimit-remaining-requests"
  | "x-ratelimit-reset-requests"
  | "x-cordon-warning"
  | "content-disposition"
  | "etag";

export interface ResponseDoc {
  readonly description: string;
  /** The body by media type: its schema, or null for one that no JSON Schema describes (HTML, SSE). */
  readonly content?: Partial<Record<MediaType, z.ZodType | null>>;
  readonly headers?: readonly ResponseHeader[];
}

export interface QueryDoc {
  readonly schema: z.ZodType;
  readonly description: string;
  readonly required?: true;
}

/** Which x-cache-* request headers a route reads (cache/controls.ts) and x-cordon-virtual-key. */
export type CacheControls = "chat" | "embeddings" | "query";

/** A request header a route reads besides its cache controls (openapi-headers.ts, REQUEST_HEADERS). */
export type RequestHeader = "x-cache-user" | "x-cordon-virtual-key" | "if-match" | "if-none-match";

export interface OperationDoc {
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  /** The request body: the schema the handler parses it with; `form` for application/x-www-form-urlencoded. */
  readonly body?: { readonly schema: z.ZodType; readonly form?: true; readonly optional?: true };
  readonly query?: Readonly<Record<string, QueryDoc>>;
  /** A description of each path parameter (`:id` in the route table). */
  readonly params?: Readonly<Record<string, string>>;
  /** The success responses, by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * Error codes the route raises itself. Transport, authentication, authorisation, admission and body errors,
   * and the audit trail's refusal of an administrative change, follow from the route table (openapi.ts).
   */
  readonly errors?: readonly ErrorCode[];
  readonly cache?: CacheControls;
  readonly requestHeaders?: readonly RequestHeader[];
  /** OpenAI-compatible: fields Cordon does not read are passed to the provider unchanged (and partition the cache). */
  readonly passThrough?: true;
}

const asJson = (schema: z.ZodType) => ({ "application/json": schema });

/**
 * The rate headers a route that admits its caller itself (admitCaller) sends when a limit counted it; where the
 * caller is an API key, its answer may carry the key-age warning (`x-cordon-warning`) too.
 */
const RATE_HEADERS: readonly ResponseHeader[] = [
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
];

const Limit = (max: number, byDefault: number): QueryDoc => ({
  schema: z.int().min(1).max(max),
  description: `Page size, 1–${max} (default ${byDefault}).`,
});
const Cursor: QueryDoc = { schema: z.string(), description: "The next_cursor of the previous page." };
const Time: QueryDoc = {
  schema: z.string(),
  description: "An ISO 8601 time or milliseconds since the epoch.",
};

/**
 * What a stored response's routes read: the user it was stored for (its owner) and the virtual key to ask the
 * provider with.
 */
const STORED_RESPONSE_HEADERS: readonly RequestHeader[] = ["x-cache-user", "x-cordon-virtual-key"];

const UPSTREAM_ERRORS: readonly ErrorCode[] = [
  "invalid_model",
  "virtual_key_not_found",
  "pii_detected",
  "provider_error",
  "provider_rejected",
  "provider_auth_failed",
  "upstream_unavailable",
  "upstream_invalid_response",
  "upstream_timeout",
  "request_aborted",
  "not_cached",
  "rate_limited",
];

const HealthSchema = z.strictObject({ ok: z.literal(true) });

export const OPERATIONS: { readonly [A in RouteAction]: OperationDoc } = {
  health: {
    tag: "Service",
    summary: "Liveness",
    description: "Answers while the Worker runs; says nothing about any tenant.",
    responses: { 200: { description: "Alive.", content: asJson(HealthSchema) } },
  },
  "docs.errors": {
    tag: "Service",
    summary: "The error catalogue",
    description: "Every error code with its status, meaning and fix; each error response links its entry here.",
    responses: {
      200: { description: "The catalogue as an HTML page (one anchor per code).", content: { "text/html": null } },
    },
  },
  "docs.openapi": {
    tag: "Service",
    summary: "This OpenAPI document",
    description: "Generated from the route table and the schemas the handlers validate with.",
    responses: {
      200: { description: "The OpenAPI 3.1 document.", content: asJson(z.looseObject({ openapi: z.string() })) },
    },
  },
  "chat.completions": {
    tag: "OpenAI-compatible",
    summary: "Create a chat completion (cached)",
    description:
      "OpenAI's chat completions, answered from the tenant's cache when an equivalent request was answered " +
      "before (exact, then semantic), otherwise by the provider and stored. `stream: true` is served as " +
      "server-sent events on hits (replayed) and misses (passed through while stored); a stream that fails " +
      "midway ends with an error event of code `stream_interrupted` instead of `[DONE]`.",
    body: { schema: ChatRequestSchema },
    passThrough: true,
    cache: "chat",
    responses: {
      200: {
        description:
          "The provider's chat.completion as it answered (fields Cordon does not read are passed through), or " +
          "its stream. A hit has a fresh id and creation time and the usage of the answer as first computed.",
        content: { "application/json": ChatCompletionSchema, "text/event-stream": null },
        headers: [
          "x-cache",
          "x-cache-similarity",
          "x-cache-entry-id",
          "x-cache-tokens-saved",
          "x-cache-cost-saved",
          "x-cache-reason",
        ],
      },
    },
    errors: [...UPSTREAM_ERRORS, "stream_interrupted", "provider_object_not_found"],
  },
  "responses.create": {
    tag: "OpenAI-compatible",
    summary: "Create a model response (cached when stateless)",
    description:
      "OpenAI's Responses API. A stateless request (`store: false`, no `previous_response_id`, `conversation` or " +
      "`background`) is cached like a chat completion — its own partition, never shared with chat; any other is " +
      "passed through to the requested model (no fallbacks) and never cached (`x-cache: BYPASS`); its " +
      "`previous_response_id` must name a response this tenant's requests stored. `stream: true` " +
      "replays a hit as the documented event sequence; a stream that fails midway ends with an `error` event and " +
      "`response.failed`.",
    body: { schema: ResponsesRequestSchema },
    passThrough: true,
    cache: "chat",
    responses: {
      200: {
        description:
          "The provider's response object (fields Cordon does not read are passed through), or its event stream. " +
          "A hit has fresh ids, the current `created_at`, and the usage of the answer as first computed.",
        content: { "application/json": ResponseObjectSchema, "text/event-stream": null },
        headers: [
          "x-cache",
          "x-cache-similarity",
          "x-cache-entry-id",
          "x-cache-tokens-saved",
          "x-cache-cost-saved",
          "x-cache-reason",
        ],
      },
    },
    errors: [...UPSTREAM_ERRORS, "stream_interrupted", "previous_response_not_found", "provider_object_not_found"],
  },
  "responses.retrieve": {
    tag: "OpenAI-compatible",
    summary: "Retrieve a stored response, or stream its events",
    description:
      "A response the provider stored for one of this tenant's stateful requests, for the same user (or for no user " +
      "when this request names none), read at the provider; never cached. Any other id is 404 " +
      "`response_not_found` before the provider is asked. The query is passed on (a `stream` that says true in " +
      "any spelling as one `stream=true`). With `stream=true` the provider's events are relayed as they come — " +
      "how a client resumes a `background: true, stream: true` response after a disconnect (`starting_after`); a " +
      "stream that breaks ends with an `error` event and `response.failed`. One attempt: a provider failure says " +
      "`x-should-retry: true`.",
    params: { id: "The response's id (`resp_…`)." },
    requestHeaders: STORED_RESPONSE_HEADERS,
    query: {
      stream: {
        schema: z.enum(["true", "false"]),
        description: "`true`: the response's events as server-sent events, in place of the object.",
      },
      starting_after: {
        schema: z.int().min(0),
        description:
          "With `stream=true`: the sequence number of the last event already seen; the stream starts after it.",
      },
      include: { schema: z.string(), description: "Additional fields to include, as OpenAI names them." },
      include_obfuscation: {
        schema: z.enum(["true", "false"]),
        description: "With `stream=true`: `false` leaves the `obfuscation` padding out of the delta events.",
      },
    },
    responses: {
      200: {
        description:
          "The provider's response object, or with `stream=true` its event stream (each event named by its `type` " +
          "and numbered by `sequence_number`, ending with `response.completed`, `response.incomplete` or " +
          "`response.failed`).",
        content: { "application/json": ResponseObjectSchema, "text/event-stream": null },
      },
    },
    errors: [...UPSTREAM_ERRORS, "stream_interrupted", "response_not_found"],
  },
  "responses.delete": {
    tag: "OpenAI-compatible",
    summary: "Delete a stored response",
    description:
      "Deletes at the provider a response this tenant's requests stored for the same user (as retrieval), and " +
      "forgets it: no later request continues from it.",
    params: { id: "The response's id (`resp_…`)." },
    requestHeaders: STORED_RESPONSE_HEADERS,
    responses: {
      200: { description: "OpenAI's deletion object.", content: asJson(DeletedResponseSchema) },
    },
    errors: [...UPSTREAM_ERRORS, "response_not_found"],
  },
  "responses.cancel": {
    tag: "OpenAI-compatible",
    summary: "Cancel a background response",
    description:
      "Cancels at the provider a response this tenant's requests stored for the same user (as retrieval) — one " +
      "made with `background: true`; the provider refuses any other in its own terms. Never cached; one attempt: " +
      "a provider failure says `x-should-retry: true`.",
    params: { id: "The response's id (`resp_…`)." },
    requestHeaders: STORED_RESPONSE_HEADERS,
    responses: {
      200: { description: "The provider's response object, as it now is.", content: asJson(ResponseObjectSchema) },
    },
    errors: [...UPSTREAM_ERRORS, "response_not_found"],
  },
  "responses.input_items.list": {
    tag: "OpenAI-compatible",
    summary: "List a stored response's input items",
    description:
      "The input items of a response this tenant's requests stored for the same user (as retrieval), listed at " +
      "the provider; never cached. The query is passed on as sent: the provider reads and checks it.",
    params: { id: "The response's id (`resp_…`)." },
    requestHeaders: STORED_RESPONSE_HEADERS,
    query: {
      after: { schema: z.string(), description: "An item id: the page starts after it." },
      limit: Limit(100, 20),
      order: { schema: z.enum(["asc", "desc"]), description: "`desc` (the default, newest first) or `asc`." },
      include: { schema: z.string(), description: "Additional fields to include, as OpenAI names them." },
    },
    responses: {
      200: { description: "A page of the provider's input items.", content: asJson(InputItemListSchema) },
    },
    errors: [...UPSTREAM_ERRORS, "response_not_found"],
  },
  "models.list": {
    tag: "OpenAI-compatible",
    summary: "List models",
    description:
      "The models this deployment serves, in OpenAI's shape (ids carry the provider prefix behind AI Gateway).",
    responses: { 200: { description: "The models.", content: asJson(ModelListSchema) } },
  },
  "models.get": {
    tag: "OpenAI-compatible",
    summary: "Retrieve a model",
    params: {
      id: "The model id, with or without its provider prefix (`openai/gpt-4o-mini`; the slash may be sent as is).",
    },
    responses: { 200: { description: "The model.", content: asJson(ModelObjectSchema) } },
    errors: ["model_not_found"],
  },
  "embeddings.create": {
    tag: "OpenAI-compatible",
    summary: "Create embeddings (exact-cached)",
    description: "OpenAI's embeddings; each input is cached exactly per tenant (embeddings are deterministic).",
    body: { schema: EmbeddingsRequestSchema },
    passThrough: true,
    cache: "embeddings",
    responses: {
      200: {
        description: "One vector per input, in order.",
        content: asJson(EmbeddingsListSchema),
        headers: ["x-cache", "x-cache-hits", "x-cache-tokens-saved", "x-cache-cost-saved", "x-cache-reason"],
      },
    },
    errors: [...UPSTREAM_ERRORS, "unscannable_input"],
  },
  "cache.query": {
    tag: "Cache",
    summary: "Query the cache for a prompt",
    description:
      "Looks the prompt up (with `context` as its system message, so entries are shared with chat completions). " +
      "On a miss the provider answers when the credential holds `completions`, and the answer is stored when it " +
      "holds `cache:write` and `store` is not false.",
    body: { schema: CacheQuerySchema },
    cache: "query",
    responses: {
      200: {
        description: "The cached answer, or the provider's on a miss.",
        content: asJson(CacheQueryResultSchema),
        headers: ["x-cache", "x-cache-similarity"],
      },
    },
    errors: UPSTREAM_ERRORS.filter((c) => c !== "not_cached"),
  },
  "cache.entry.get": {
    tag: "Cache",
    summary: "Inspect a cache entry",
    params: { id: "The entry id (x-cache-entry-id of a miss, or entry_id of a cache query)." },
    responses: { 200: { description: "The entry, its answer decrypted.", content: asJson(CacheEntrySchema) } },
    errors: ["entry_not_found"],
  },
  "cache.entry.delete": {
    tag: "Cache",
    summary: "Delete a cache entry",
    description: "Removes the entry everywhere: its catalog row, vector, sealed body and exact-match pointer.",
    params: { id: "The entry id." },
    responses: { 200: { description: "Deleted.", content: asJson(EntryDeletedSchema) } },
    errors: ["entry_not_found"],
  },
  "cache.erase": {
    tag: "Cache",
    summary: "Erase cached data (GDPR)",
    description:
      "Erases one user's entries (`user`, destroying that user's key), entries created before a time " +
      "(`before`), or every entry (`all: true`). Recorded in the audit trail.",
    body: { schema: EraseSchema },
    responses: { 200: { description: "What was erased.", content: asJson(ErasureSchema) } },
    errors: ["insufficient_scope"],
  },
  "cache.entry.list": {
    tag: "Cache",
    summary: "List cache entries",
    description:
      "The tenant's entries, oldest first: metadata only (id, model, scope, creation and expiry), never a prompt " +
      "or an answer. A key bound to the user cache scope must name its user and sees that user's entries only.",
    query: {
      user: { schema: z.string().min(1).max(256), description: "Only this user's entries (or x-cache-user)." },
      limit: Limit(1000, 50),
      cursor: Cursor,
    },
    responses: { 200: { description: "A page of entries.", content: asJson(EntryListSchema) } },
    errors: ["invalid_field", "invalid_limit", "invalid_cache_user", "conflicting_cache_user", "cache_user_required"],
  },
  "cache.export": {
    tag: "Cache",
    summary: "Export a user's cached data (GDPR)",
    query: { user: { schema: z.string().min(1).max(256), description: "The user's opaque id.", required: true } },
    responses: {
      200: {
        description: "One JSON object per line, one line per entry of the user (ExportLine).",
        content: { "application/x-ndjson": ExportLineSchema },
        headers: ["content-disposition"],
      },
    },
    errors: ["invalid_field"],
  },
  "audit.list": {
    tag: "Audit and analytics",
    summary: "List audit events",
    description: "The tenant's audit trail, newest first, paged.",
    query: {
      from: { ...Time, description: `Events at or after this time: ${Time.description}` },
      to: { ...Time, description: `Events at or before this time: ${Time.description}` },
      actor: {
        schema: z.string().max(110),
        description: "`operator`, `anonymous`, `key:{id}`, `token:{id}` or `sso:{id}`.",
      },
      action: {
        schema: z.string().max(96),
        description: "A route action (`key.create`) or alert (`alert.auth_burst`).",
      },
      outcome: { schema: z.enum(["allowed", "denied", "error"]), description: "The event's outcome." },
      limit: Limit(1000, 100),
      cursor: Cursor,
    },
    responses: { 200: { description: "A page of events.", content: asJson(AuditPageSchema) } },
    errors: ["invalid_field"],
  },
  "audit.verify": {
    tag: "Audit and analytics",
    summary: "Verify the audit hash chain",
    query: {
      checkpoint_seq: { schema: z.int().positive(), description: "A head seen earlier: its seq." },
      checkpoint_hash: {
        schema: z.string(),
        description: "A head seen earlier: its hash (the chain must still hold it).",
      },
    },
    responses: { 200: { description: "Whether the chain is intact.", content: asJson(VerificationSchema) } },
    errors: ["invalid_field"],
  },
  "analytics.read": {
    tag: "Audit and analytics",
    summary: "Usage and savings",
    description:
      "Requests, hits, misses, hit rate, tokens and cost saved, latency percentiles (default: the last 7 days).",
    query: {
      from: { ...Time, description: `Start: ${Time.description}` },
      to: { ...Time, description: `End: ${Time.description}` },
      group_by: { schema: z.enum(["day", "model", "key"]), description: "Also break the totals down by this." },
    },
    responses: { 200: { description: "The figures.", content: asJson(AnalyticsSchema) } },
    errors: ["invalid_field"],
  },
  "key.create": {
    tag: "Keys",
    summary: "Create an API key",
    description:
      "A key can create keys with at most its own access: its scopes, expiry, allowlist and rate limit. The secret is shown once.",
    body: { schema: CreateKeySchema },
    responses: { 201: { description: "The key and its secret.", content: asJson(IssuedKeySchema) } },
    errors: ["invalid_scopes", "scope_escalation", "invalid_expiry", "owner_only"],
  },
  "key.list": {
    tag: "Keys",
    summary: "List API keys",
    responses: { 200: { description: "Every key of the tenant (never a secret).", content: asJson(KeyListSchema) } },
  },
  "key.get": {
    tag: "Keys",
    summary: "Retrieve an API key",
    params: { id: "The key id (key_…)." },
    responses: { 200: { description: "The key.", content: asJson(KeyViewSchema) } },
    errors: ["key_not_found"],
  },
  "key.revoke": {
    tag: "Keys",
    summary: "Revoke an API key",
    description: "An owner's key is revoked only by an owner's key or the operator.",
    params: { id: "The key id." },
    responses: { 200: { description: "The revoked key.", content: asJson(KeyViewSchema) } },
    errors: ["key_not_found", "owner_only"],
  },
  "key.rotate": {
    tag: "Keys",
    summary: "Rotate an API key",
    description: "Issues a new secret, shown once; the old one keeps working for `grace_seconds` (default one day).",
    params: { id: "The key id." },
    body: { schema: RotateKeySchema, optional: true },
    responses: { 200: { description: "The key and its new secret.", content: asJson(IssuedKeySchema) } },
    errors: ["key_not_found", "key_not_rotatable", "scope_escalation"],
  },
  "virtual_key.create": {
    tag: "Virtual keys",
    summary: "Store a provider credential",
    description: "Sealed under the tenant's data key; never returned (a view shows its last four characters).",
    body: { schema: CreateVirtualKeySchema },
    responses: { 201: { description: "The virtual key.", content: asJson(VirtualKeyViewSchema) } },
  },
  "virtual_key.list": {
    tag: "Virtual keys",
    summary: "List provider credentials",
    responses: { 200: { description: "The virtual keys.", content: asJson(VirtualKeyListSchema) } },
  },
  "virtual_key.delete": {
    tag: "Virtual keys",
    summary: "Delete a provider credential",
    params: { id: "The virtual key id (vk_…)." },
    responses: { 200: { description: "Deleted.", content: asJson(VirtualKeyDeletedSchema) } },
    errors: ["virtual_key_not_found"],
  },
  "policy.get": {
    tag: "Policy",
    summary: "Read the tenant's policy",
    description:
      "Answers with the policy's `ETag`. Sent back as `If-None-Match` (a list of tags, compared weakly, or `*`), it " +
      "gets 304 Not Modified, with no body, while the policy has not changed; as `If-Match`, it makes a PUT conditional.",
    requestHeaders: ["if-none-match"],
    responses: {
      200: { description: "The whole policy.", content: asJson(PolicyBodySchema), headers: ["etag"] },
      304: { description: "Not Modified: If-None-Match names the policy's current tag.", headers: ["etag"] },
    },
  },
  "policy.update": {
    tag: "Policy",
    summary: "Replace the tenant's policy",
    description:
      "Takes the whole policy as GET returned it (every field required, unknown fields refused). Send GET's " +
      "`ETag` as `If-Match` to apply it only if nobody changed the policy since (409 `policy_changed`). Changing `oidc` " +
      "needs the owner role or the operator. A policy whose ip_allowlist excludes the caller is refused unless " +
      "`?confirm=true`.",
    body: { schema: PolicySchema },
    query: { confirm: { schema: z.enum(["true"]), description: "Apply an ip_allowlist that excludes the caller." } },
    requestHeaders: ["if-match"],
    responses: {
      200: { description: "The policy now in force.", content: asJson(PolicyBodySchema), headers: ["etag"] },
    },
    errors: ["policy_locks_out_caller", "owner_only", "policy_changed"],
  },
  "tenant.lockdown": {
    tag: "Keys",
    summary: "Lock the tenant down",
    description: "For the day a credential leaks: revokes every key and every access or SSO token issued so far.",
    responses: { 200: { description: "What was revoked.", content: asJson(LockdownResultSchema) } },
  },
  "oauth.token": {
    tag: "OAuth",
    summary: "Get an access token (client credentials)",
    description:
      "OAuth 2.0 client credentials (RFC 6749 §4.4) on the tenant host. The client is an API key: client_id is " +
      "its id, client_secret its secret, by HTTP Basic or in the form. The token is a short-lived ES256 JWT " +
      "holding the key's scopes (or the narrower `scope` asked for). Errors follow RFC 6749 §5.2.",
    body: { schema: TokenFormSchema, form: true },
    responses: {
      200: {
        description: "The access token; the rate headers when the key's or the tenant's rate limit counted the mint.",
        content: asJson(TokenResponseSchema),
        headers: [...RATE_HEADERS, "x-cordon-warning"],
      },
    },
    errors: [
      "invalid_request",
      "invalid_client",
      "unsupported_grant_type",
      "invalid_scope",
      "unsupported_media_type_form",
      "unsupported_content_encoding",
      "payload_too_large",
      "auth_blocked",
      "ip_not_allowed",
      "key_too_old",
      "rate_limited",
    ],
  },
  "oauth.jwks": {
    tag: "OAuth",
    summary: "Public keys of the access tokens",
    responses: { 200: { description: "A JWK set.", content: { "application/jwk-set+json": JwksSchema } } },
  },
  "tenant.create": {
    tag: "Tenants (operator)",
    summary: "Create a tenant",
    description:
      "Served at https://{id}.{base domain} (and any custom hostnames). Policy fields not given take their defaults.",
    body: { schema: CreateTenantSchema },
    responses: { 201: { description: "The tenant.", content: asJson(TenantViewSchema) } },
    errors: ["tenant_exists", "hostname_taken", "invalid_hostname"],
  },
  "tenant.list": {
    tag: "Tenants (operator)",
    summary: "List tenants",
    query: { limit: Limit(1000, 100), cursor: Cursor },
    responses: { 200: { description: "A page of tenants.", content: asJson(TenantListSchema) } },
    errors: ["invalid_limit"],
  },
  "tenant.delete": {
    tag: "Tenants (operator)",
    summary: "Delete a tenant",
    description: "Crypto-shreds the tenant: its data key, hostnames, API keys and all its storage are destroyed.",
    params: { id: "The tenant id." },
    responses: { 200: { description: "Deleted.", content: asJson(TenantDeletedSchema) } },
    errors: ["tenant_not_found"],
  },
  "master_key.rewrap": {
    tag: "Operator",
    summary: "Re-wrap data keys under the current master key",
    description: "One page of tenants per call; repeat with `cursor` until next_cursor is null (docs/operations.md).",
    query: { limit: Limit(200, 100), cursor: Cursor },
    responses: { 200: { description: "What was re-wrapped.", content: asJson(RewrapResultSchema) } },
    errors: ["invalid_limit"],
  },
  "audit.dead_letters": {
    tag: "Operator",
    summary: "List audit messages that could not be chained",
    query: { limit: Limit(100, 50), cursor: Cursor },
    responses: { 200: { description: "A page of dead letters.", content: asJson(DeadLetterPageSchema) } },
    errors: ["invalid_field"],
  },
  "audit.dead_letter.replay": {
    tag: "Operator",
    summary: "Replay a dead letter into its chain",
    params: { id: "The dead letter's id." },
    responses: { 200: { description: "The outcome.", content: asJson(ReplayResultSchema) } },
    errors: ["invalid_field"],
  },
  "dashboard.page": {
    tag: "Dashboard",
    summary: "The tenant dashboard",
    description: "The page (docs/dashboard.md), under its own strict CSP; it signs in with POST /dashboard/session.",
    responses: { 200: { description: "The page.", content: { "text/html": null } } },
    errors: ["dashboard_unavailable"],
  },
  "dashboard.asset": {
    tag: "Dashboard",
    summary: "A script, style sheet or font of the dashboard",
    params: { file: "The asset's file name, as the page links it." },
    responses: { 200: { description: "The asset, immutable (its name carries its content hash)." } },
    errors: ["not_found", "dashboard_unavailable"],
  },
  "dashboard.session.create": {
    tag: "Dashboard",
    summary: "Sign in to the dashboard with an API key",
    description:
      "Authenticates the key as any request is (guard, tenant, network and rate limits), then sets an HttpOnly, " +
      "Secure, SameSite=Strict session cookie of at most an hour. From the page's own origin only.",
    body: { schema: SignInSchema },
    responses: {
      200: {
        description: "Signed in; the session and its CSRF token, with the rate headers when a limit counted it.",
        content: asJson(SessionViewSchema),
        headers: [...RATE_HEADERS, "x-cordon-warning"],
      },
    },
    errors: [
      "cross_origin_request",
      "tenant_not_found",
      "tenant_mismatch",
      "ip_not_allowed",
      "rate_limited",
      "auth_blocked",
      "malformed_api_key",
      "invalid_api_key",
      "expired_api_key",
      "foreign_api_key",
    ],
  },
  "dashboard.session.get": {
    tag: "Dashboard",
    summary: "The dashboard session of this browser",
    description: "Who is signed in, with which role and scopes, until when, and the CSRF token; same-origin only.",
    responses: {
      200: {
        description:
          "The session, or `signed_in: false` (and why it ended, its cookie then cleared); a session's answer " +
          "carries the rate headers when a limit counted it.",
        content: asJson(z.union([SessionViewSchema, SignedOutSchema])),
        headers: [...RATE_HEADERS, "x-cordon-warning"],
      },
    },
    errors: ["cross_origin_request"],
  },
  "dashboard.session.delete": {
    tag: "Dashboard",
    summary: "Sign out of the dashboard",
    responses: { 200: { description: "The cookie is cleared.", content: asJson(SignedOutSchema) } },
    errors: ["cross_origin_request"],
  },
  "dashboard.sso.start": {
    tag: "Dashboard",
    summary: "Sign in with the tenant's single sign-on",
    description:
      "Redirects (302) to the tenant's OpenID Provider: authorization code with PKCE, state and nonce kept in a " +
      "sealed, short-lived cookie. Errors are HTML pages.",
    responses: { 302: { description: "To the OpenID Provider's authorization endpoint." } },
    errors: ["tenant_not_found", "sso_not_configured", "sso_provider_error"],
  },
  "dashboard.sso.callback": {
    tag: "Dashboard",
    summary: "Single sign-on's return from the OpenID Provider",
    description:
      "Checks state, issuer (RFC 9207) and nonce, exchanges the code with its PKCE verifier, maps the role claim, " +
      "sets the session cookie and redirects (303) to the dashboard. Errors are HTML pages.",
    query: {
      code: { schema: z.string().max(4096), description: "The authorization code." },
      state: { schema: z.string(), description: "The state sent at the start." },
      iss: { schema: z.string(), description: "The issuer (RFC 9207), checked when sent." },
    },
    responses: {
      303: {
        description: "To /dashboard, signed in; the rate headers when a limit counted the sign-in.",
        headers: RATE_HEADERS,
      },
    },
    errors: ["tenant_not_found", "sso_not_configured", "sso_state_invalid", "sso_denied", "sso_provider_error"],
  },
};
