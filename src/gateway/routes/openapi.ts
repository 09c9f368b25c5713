// The OpenAPI 3.1 document of the whole route table, built from the table (who may call what, on which host,
// and so which authentication and authorisation errors), the operations (operations.ts: the zod schemas the
// handlers parse with and answer with, converted by zod's own JSON Schema output, draft 2020-12 = OpenAPI
// 3.1's dialect) and the error catalogue (every code, its status and its entry in /docs/errors). Pure: it
// reads no request or environment but the base domain, and is built once per isolate, when first asked for
// (routes/docs.ts), never on the request path of any other route.
import type * as z from "zod";
import { ERROR_CATALOG, type ErrorSpec } from "../http/error-catalog";
import type { ErrorCode } from "../http/errors";
import { ErrorBodySchema, OAuthErrorBodySchema, ProviderErrorBodySchema } from "../http/respond";
import { errorCodesOf } from "./openapi-errors";
import { headerRefs, REQUEST_HEADERS, REQUEST_HEADERS_OF, RESPONSE_HEADERS } from "./openapi-headers";
import { componentSchemas, inline, isClosed, nameOfRef, operationId } from "./openapi-schemas";
import { type MediaType, OPERATIONS, type OperationDoc } from "./operations";
import { ROUTE_TABLE, type RouteSpec } from "./table";

export { operationId } from "./openapi-schemas";

type Json = Record<string, unknown>;

/** An OpenAPI path from the route table's: `:id` and `:id+` (may hold a slash) become `{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)\+?/g, "{$1}");
}

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
        "does not serve answers 405 `method_not_allowed` with an Allow header; an unknown path 404 `not_found`. " +
        "Every GET operation also answers HEAD: the same checks, status and headers, without the body.",
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
    ...[...(op.cache ? REQUEST_HEADERS_OF[op.cache] : []), ...(op.requestHeaders ?? [])].map((h) => ({
      $ref: `#/components/parameters/${h}`,
    })),
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
    ...(status === "401" || codes.includes("insufficient_scope") ? (["www-authenticate"] as const) : []),
    ...(status === "429" || status === "502" ? (["retry-after"] as const) : []),
    ...(status === "502" || status === "504" ? (["x-should-retry"] as const) : []),
  ];
  return {
    description: `${codes.map((c) => `\`${c}\``).join(", ")} (see the ErrorCode schema and /docs/errors).`,
    headers: headerRefs(["x-request-id", "link", ...extra]),
    content: { "application/json": { schema } },
  };
}
