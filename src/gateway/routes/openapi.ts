// The OpenAPI 3.1 document of the whole route table, built from the table (who may call what, on which host,
// and so which authentication and authorisation errors), the operations (operations.ts: the zod schemas the
// handlers parse with and answer with, converted by zod's own JSON Schema output, draft 2020-12 = OpenAPI
// 3.1's dialect) and the error catalogue (every code, its status and its entry in /docs/errors). Pure: it
// reads no request or environment but the base domain, and is built once per isolate, when first asked for
// (routes/docs.ts), never on the request path of any other route.
import * as z from "zod";
import { ERROR_CATALOG, ERROR_CODES, type ErrorSpec } from "../http/error-catalog";
import type { ErrorCode } from "../http/errors";
import { ErrorBodySchema, ErrorCodeSchema, OAuthErrorBodySchema, ProviderErrorBodySchema } from "../http/respond";
import { PolicySchema } from "../policy/tenant-policy";
import { KeyViewSchema, TenantViewSchema } from "../storage/records";
import { IssuedKeySchema } from "./admin-keys";
import { VirtualKeyViewSchema } from "./admin-virtual-keys";
import { type CacheControls, type MediaType, OPERATIONS, type OperationDoc, type ResponseHeader } from "./operations";
import { ROUTE_TABLE, type RouteSpec } from "./table";

type Json = Record<string, unknown>;

/** Schemas shared by several operations, named once in components.schemas (others are named per operation). */
const SHARED_SCHEMAS: readonly (readonly [z.ZodType, string])[] = [
  [PolicySchema, "Policy"],
  [KeyViewSchema, "KeyView"],
  [IssuedKeySchema, "IssuedKey"],
  [TenantViewSchema, "TenantView"],
  [VirtualKeyViewSchema, "VirtualKeyView"],
  [ErrorCodeSchema, "ErrorCode"],
  [ErrorBodySchema, "Error"],
  [ProviderErrorBodySchema, "ProviderError"],
  [OAuthErrorBodySchema, "OAuthError"],
];

/** An OpenAPI path from the route table's: `:id` and `:id+` (may hold a slash) become `{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)\+?/g, "{$1}");
}

/** The operationId of an action: `cache.entry.get` → `cacheEntryGet`. */
export function operationId(action: string): string {
  return action.replace(/[._]([a-z])/g, (_, c: string) => c.toUpperCase());
}

// ── errors each route can return, from the route table ──────────────────────────────────────────────────────

const CREDENTIAL_ERRORS: readonly ErrorCode[] = [
  "missing_api_key",
  "invalid_authorization",
  "malformed_api_key",
  "wrong_environment",
  "invalid_api_key",
  "expired_api_key",
  "foreign_api_key",
  "invalid_token",
  "expired_token",
  "auth_blocked",
];
/** A dashboard session cookie used as the credential (no Authorization header): auth/dashboard-session.ts. */
const SESSION_ERRORS: readonly ErrorCode[] = [
  "invalid_session",
  "session_expired",
  "csrf_token_invalid",
  "cross_origin_request",
];
const BODY_ERRORS: readonly ErrorCode[] = [
  "unsupported_media_type",
  "payload_too_large",
  "invalid_json",
  "invalid_request",
  "invalid_field",
];
const CACHE_CONTROL_ERRORS: readonly ErrorCode[] = [
  "invalid_cache_control",
  "invalid_cache_threshold",
  "invalid_cache_ttl",
  "invalid_cache_user",
  "conflicting_cache_user",
  "cache_user_required",
];

/** Every code a route can answer with: from where it is served and who may call it, its body, its own. */
export function errorCodesOf(route: RouteSpec, op: OperationDoc, strictBody: boolean): ErrorCode[] {
  const codes = new Set<ErrorCode>(["https_required"]);
  if (route.access === "tenant") {
    // Served on tenant hosts only (not_found on the platform host); the Host must name the caller's tenant.
    for (const c of [...CREDENTIAL_ERRORS, "not_found", "tenant_not_found", "tenant_mismatch"] as const) codes.add(c);
    for (const c of ["ip_not_allowed", "key_too_old", "rate_limited"] as const) codes.add(c);
    for (const c of SESSION_ERRORS) codes.add(c);
    if (route.scope) codes.add("insufficient_scope");
    if (!route.operator) codes.add("operator_not_allowed");
    if (route.roles) codes.add("owner_only");
  } else if (route.access === "operator") {
    for (const c of [...CREDENTIAL_ERRORS, "not_found", "operator_only"] as const) codes.add(c);
  }
  if (op.body && !op.body.form) {
    for (const c of BODY_ERRORS) codes.add(c);
    if (strictBody) codes.add("unknown_field");
  }
  if (op.cache) for (const c of CACHE_CONTROL_ERRORS) codes.add(c);
  for (const c of op.errors ?? []) codes.add(c);
  if (route.recordFirst) codes.add("audit_unavailable");
  codes.add("internal_error");
  return ERROR_CODES.filter((c) => codes.has(c));
}

// ── headers ─────────────────────────────────────────────────────────────────────────────────────────────────

const header = (description: string, schema: Json = { type: "string" }) => ({ description, schema });

const RESPONSE_HEADERS = {
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
  "x-should-retry": header("`false` when retrying cannot help (Cordon already retried and tried the fallbacks)."),
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
} as const satisfies Record<ResponseHeader | string, Json>;

const headerRefs = (names: readonly (keyof typeof RESPONSE_HEADERS)[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

const REQUEST_HEADERS: Record<string, Json> = {
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
    description: "Minimum similarity for a semantic hit, 0.0–1.0; it can only raise the tenant's.",
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
      "The virtual key (vk_…) whose provider credential to call the provider with (default: the newest one for the model's provider).",
    schema: { type: "string" },
  },
};

const REQUEST_HEADERS_OF: Readonly<Record<CacheControls, readonly string[]>> = {
  chat: ["x-cache-control", "x-cache-threshold", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
  query: ["x-cache-control", "x-cache-threshold", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
  embeddings: ["x-cache-control", "x-cache-ttl", "x-cache-user", "x-cordon-virtual-key"],
};

// ── the document ────────────────────────────────────────────────────────────────────────────────────────────

const TAGS: readonly { name: string; description: string }[] = [
  { name: "OpenAI-compatible", description: "Drop-in for OpenAI's API: point an OpenAI SDK at the tenant host." },
  { name: "Cache", description: "The tenant's semantic cache: query, inspect, delete, GDPR erasure and export." },
  { name: "Audit and analytics", description: "The tamper-evident audit trail and usage figures." },
  { name: "Keys", description: "API keys of the tenant (and the lockdown for a leaked credential)." },
  { name: "Virtual keys", description: "Provider credentials, stored encrypted and never returned." },
  { name: "Policy", description: "What the tenant's administrators set for every request on its host." },
  { name: "OAuth", description: "Short-lived access tokens for API keys (client credentials)." },
  { name: "Tenants (operator)", description: "Tenant lifecycle, for the platform operator on the platform host." },
  { name: "Operator", description: "Platform maintenance, for the operator on the platform host." },
  { name: "Dashboard", description: "The tenant dashboard's page, its sessions and its single sign-on." },
  { name: "Service", description: "Liveness and documentation; public, not audited." },
];

export interface OpenApiOptions {
  /** The platform's base domain: tenants are served at https://{tenant}.{baseDomain}. */
  readonly baseDomain: string;
}

export function buildOpenApi(options: OpenApiOptions): Json {
  const { schemas, nameOf } = componentSchemas();
  const ref = (schema: z.ZodType): Json => ({ $ref: `#/components/schemas/${nameOf(schema)}` });
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTE_TABLE as readonly RouteSpec[]) {
    const op = OPERATIONS[route.action as keyof typeof OPERATIONS];
    if (!op) throw new Error(`openapi: route ${route.action} has no operation; add one to routes/operations.ts`);
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, op, ref, schemas, options);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Cordon",
      version: "v1",
      summary: "Security-first semantic cache gateway for LLM APIs",
      description:
        "Every tenant is served on its own host, `https://{tenant}.{baseDomain}`; tenant administration by the " +
        "platform operator is on the platform host. Every error has one JSON shape " +
        '(`{"error":{"type","code","message","request_id"}}`, the token endpoint RFC 6749\'s) and links its ' +
        'entry in the error catalogue at `/docs/errors` (Link header, rel="help"). A path called with a method it ' +
        "does not serve answers 405 `method_not_allowed` with an Allow header; an unknown path 404 `not_found`.",
    },
    externalDocs: { description: "Error catalogue", url: "/docs/errors" },
    servers: [
      {
        url: "https://{tenant}.{baseDomain}",
        description: "A tenant's host",
        variables: {
          tenant: { default: "acme", description: "The tenant id." },
          baseDomain: { default: options.baseDomain, description: "The platform's base domain." },
        },
      },
    ],
    tags: TAGS,
    paths,
    components: {
      schemas,
      headers: RESPONSE_HEADERS,
      parameters: REQUEST_HEADERS,
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "A Cordon API key of the tenant (`cdn_{env}_…`), an access token from /oauth/token, or an ID token of " +
            "the tenant's single sign-on.",
        },
        operatorToken: {
          type: "http",
          scheme: "bearer",
          description: "The platform operator's token (the ROOT_TOKEN secret).",
        },
        clientBasic: {
          type: "http",
          scheme: "basic",
          description: "OAuth client authentication (client_secret_basic): the API key's id and secret.",
        },
      },
    },
  };
}

function operation(
  route: RouteSpec,
  op: OperationDoc,
  ref: (schema: z.ZodType) => Json,
  schemas: Record<string, Json>,
  options: OpenApiOptions,
): Json {
  const bodySchema = op.body ? ref(op.body.schema) : null;
  const strictBody = op.body ? isClosed(schemas[nameOfRef(bodySchema!)]!, schemas) : false;
  const codes = errorCodesOf(route, op, strictBody);
  const parameters: Json[] = [
    ...[...route.path.matchAll(/:(\w+)\+?/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      description: op.params?.[m[1]!],
      schema: { type: "string" },
    })),
    ...Object.entries(op.query ?? {}).map(([name, q]) => ({
      name,
      in: "query",
      ...(q.required ? { required: true } : {}),
      description: q.description,
      schema: inline(q.schema),
    })),
    ...(op.cache ? REQUEST_HEADERS_OF[op.cache].map((h) => ({ $ref: `#/components/parameters/${h}` })) : []),
  ];
  const successHeaders = [
    "x-request-id",
    ...(route.access === "tenant"
      ? ([
          "x-ratelimit-limit-requests",
          "x-ratelimit-remaining-requests",
          "x-ratelimit-reset-requests",
          "x-cordon-warning",
        ] as const)
      : []),
  ] as const;
  const responses: Record<string, Json> = {};
  for (const [status, res] of Object.entries(op.responses)) {
    responses[status] = {
      description: res.description,
      headers: headerRefs([...successHeaders, ...(res.headers ?? [])]),
      ...(res.content ? { content: content(res.content, ref) } : {}),
    };
  }
  for (const [status, group] of byStatus(codes)) responses[status] = errorResponse(status, group, route, ref);

  const security =
    route.access === "operator"
      ? [{ operatorToken: [] }]
      : route.access === "tenant"
        ? [{ apiKey: [] }, ...(route.operator ? [{ operatorToken: [] }] : [])]
        : route.errors === "oauth"
          ? [{ clientBasic: [] }, {}]
          : [];
  return {
    operationId: operationId(route.action),
    tags: [op.tag],
    summary: op.summary,
    description: describe(route, op),
    ...(route.access === "operator"
      ? {
          servers: [
            {
              url: "https://{baseDomain}",
              description: "The platform host",
              variables: { baseDomain: { default: options.baseDomain } },
            },
          ],
        }
      : {}),
    security,
    ...(parameters.length ? { parameters } : {}),
    ...(op.body && bodySchema
      ? {
          requestBody: {
            required: !op.body.optional,
            ...(op.passThrough
              ? {
                  description:
                    "OpenAI's request body. Cordon validates the fields it reads (below); every other field is passed " +
                    "to the provider unchanged and is part of the cache partition, so it can never make two different " +
                    "requests share an answer.",
                }
              : {}),
            content: {
              [op.body.form ? "application/x-www-form-urlencoded" : "application/json"]: { schema: bodySchema },
            },
          },
        }
      : {}),
    responses,
    "x-cordon-action": route.action,
    "x-cordon-audited": route.audited,
  };
}

function describe(route: RouteSpec, op: OperationDoc): string {
  const who =
    route.access === "public"
      ? "Public: no credential."
      : route.access === "operator"
        ? "The platform operator, on the platform host."
        : `${route.scope ? `Needs the \`${route.scope}\` scope` : "Any valid credential of the tenant"}` +
          `${route.roles ? ` and the ${route.roles.join(" or ")} role` : ""}` +
          `${route.operator ? "; the operator token may call it too" : ""}.`;
  const audit = route.audited
    ? route.recordFirst
      ? " Recorded in the audit trail before it is made."
      : ""
    : " Not audited.";
  return [op.description, `${who}${audit}`].filter(Boolean).join("\n\n");
}

function content(media: Partial<Record<MediaType, z.ZodType | null>>, ref: (s: z.ZodType) => Json): Json {
  return Object.fromEntries(
    Object.entries(media).map(([type, schema]) => [
      type,
      schema ? { schema: ref(schema) } : type === "text/event-stream" ? { schema: { type: "string" } } : {},
    ]),
  );
}

function byStatus(codes: readonly ErrorCode[]): [string, ErrorCode[]][] {
  const groups = new Map<ErrorSpec["status"], ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CATALOG[code].status;
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  return [...groups].sort(([a], [b]) => a - b).map(([s, g]) => [String(s), g]);
}

function errorResponse(status: string, codes: ErrorCode[], route: RouteSpec, ref: (s: z.ZodType) => Json): Json {
  const oauth = route.errors === "oauth";
  const narrowed = oauth
    ? { allOf: [ref(OAuthErrorBodySchema), { properties: { error: { enum: codes } } }] }
    : { allOf: [ref(ErrorBodySchema), { properties: { error: { properties: { code: { enum: codes } } } } }] };
  // A provider's refusal is passed on as the provider said it (its status, OpenAI's error shape).
  const schema = codes.includes("provider_rejected") ? { anyOf: [narrowed, ref(ProviderErrorBodySchema)] } : narrowed;
  const extra = [
    ...(status === "401" ? (["www-authenticate"] as const) : []),
    ...(status === "429" || status === "502" ? (["retry-after"] as const) : []),
    ...(status === "502" ? (["x-should-retry"] as const) : []),
  ];
  return {
    description: `${codes.map((c) => `\`${c}\``).join(", ")} (see the ErrorCode schema and /docs/errors).`,
    headers: headerRefs(["x-request-id", "link", ...extra]),
    content: { "application/json": { schema } },
  };
}

// ── schemas ─────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Every schema the operations name, as components.schemas: the shared ones by their names, the others by the
 * operation (`KeyCreateRequest`, `KeyCreateResponse201`). Converted in one pass, so that a schema used in
 * several places is one component referenced from each.
 */
function componentSchemas(): { schemas: Record<string, Json>; nameOf: (schema: z.ZodType) => string } {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  const name = (schema: z.ZodType, id: string) => {
    if (names.has(schema)) return;
    names.set(schema, id);
    registry.add(schema, { id });
  };
  for (const [schema, id] of SHARED_SCHEMAS) name(schema, id);
  for (const [action, op] of Object.entries(OPERATIONS) as [string, OperationDoc][]) {
    const base = operationId(action).replace(/^./, (c) => c.toUpperCase());
    if (op.body) name(op.body.schema, `${base}Request`);
    for (const [status, res] of Object.entries(op.responses)) {
      for (const schema of Object.values(res.content ?? {})) if (schema) name(schema, `${base}Response${status}`);
    }
  }
  const converted = z.toJSONSchema(registry, {
    ...CONVERSION,
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, Json>;
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(converted)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  schemas.ErrorCode = errorCodeSchema();
  return {
    schemas,
    nameOf: (schema) => {
      const id = names.get(schema);
      if (id === undefined) throw new Error("openapi: a schema without a component name");
      return id;
    },
  };
}

/** Every code of the catalogue, each with its status, meaning and fix. */
function errorCodeSchema(): Json {
  return {
    type: "string",
    description: "An error code of the catalogue (/docs/errors): its HTTP status, what went wrong and what to do.",
    oneOf: ERROR_CODES.map((code) => {
      const e = ERROR_CATALOG[code];
      return { const: code, description: `${e.status}: ${e.message} ${e.fix}` };
    }),
  };
}

/**
 * How zod's schemas become JSON Schema: draft 2020-12 (OpenAPI 3.1's dialect), as requests are validated (the
 * input side of a transform); `format: date-time` says what zod's long RFC 3339 pattern says.
 */
const CONVERSION = {
  target: "draft-2020-12",
  io: "input",
  override: ({ jsonSchema }) => {
    if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
  },
} as const satisfies Parameters<typeof z.toJSONSchema>[1];

/** A query parameter's schema, inline. */
function inline(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, CONVERSION) as Json;
  return rest;
}

const nameOfRef = (ref: Json) => String(ref.$ref).slice("#/components/schemas/".length);

/** Whether a body refuses unknown fields (additionalProperties: false), in every branch of a union. */
function isClosed(schema: Json, schemas: Record<string, Json>): boolean {
  if (typeof schema.$ref === "string") return isClosed(schemas[nameOfRef(schema)] ?? {}, schemas);
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (branches) return branches.every((b) => isClosed(b, schemas));
  return schema.additionalProperties === false;
}
