// The OpenAPI document's components.schemas: every schema an operation names, converted once by zod's own
// JSON Schema output (draft 2020-12, OpenAPI 3.1's dialect), and the closed error-code enumeration.
import * as z from "zod";
import { ERROR_CATALOG, ERROR_CODES } from "../http/error-catalog";
import { ErrorBodySchema, ErrorCodeSchema, OAuthErrorBodySchema, ProviderErrorBodySchema } from "../http/respond";
import { PolicySchema } from "../policy/tenant-policy";
import { KeyViewSchema, TenantViewSchema } from "../storage/records";
import { IssuedKeySchema } from "./admin-keys";
import { VirtualKeyViewSchema } from "./admin-virtual-keys";
import { OPERATIONS, type OperationDoc } from "./operations";

type Json = Record<string, unknown>;

/** The operationId of an action: `cache.entry.get` → `cacheEntryGet`. */
export function operationId(action: string): string {
  return action.replace(/[._]([a-z])/g, (_, c: string) => c.toUpperCase());
}

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

/**
 * Every schema the operations name, as components.schemas: the shared ones by their names, the others by the
 * operation (`KeyCreateRequest`, `KeyCreateResponse201`). Converted in one pass, so that a schema used in
 * several places is one component referenced from each.
 */
export function componentSchemas(): { schemas: Record<string, Json>; nameOf: (schema: z.ZodType) => string } {
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
export function inline(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, CONVERSION) as Json;
  return rest;
}

export const nameOfRef = (ref: Json) => String(ref.$ref).slice("#/components/schemas/".length);

/** Whether a body refuses unknown fields (additionalProperties: false), in every branch of a union. */
export function isClosed(schema: Json, schemas: Record<string, Json>): boolean {
  if (typeof schema.$ref === "string") return isClosed(schemas[nameOfRef(schema)] ?? {}, schemas);
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (branches) return branches.every((b) => isClosed(b, schemas));
  return schema.additionalProperties === false;
}
