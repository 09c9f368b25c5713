// The OpenAPI document (src/gateway/routes/openapi.ts) is a valid OpenAPI 3.1 document by a maintained
// validator (@readme/openapi-parser: the specification's JSON Schema plus its semantic rules — unique
// operation ids, declared path parameters), describes every route of the route table exactly once and no other,
// and lists every code of the error catalogue with its status. (test/integration/openapi.test.ts checks that
// the Worker serves this document and that real answers match its schemas.)
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { ERROR_CATALOG, ERROR_CODES } from "../../src/gateway/http/error-catalog";
import { buildOpenApi, openApiPath } from "../../src/gateway/routes/openapi";
import { OPERATIONS } from "../../src/gateway/routes/operations";
import { ROUTE_TABLE } from "../../src/gateway/routes/table";

/** The document is walked as untyped JSON, as JSON.parse would give it. */
type Json = ReturnType<typeof JSON.parse>;
const doc = buildOpenApi({ baseDomain: "cordon.example" }) as Json;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** Every operation of the document, as `METHOD /path`. */
function operations(d: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [path, item] of Object.entries(d.paths as Json)) {
    for (const method of METHODS) if (item[method]) out.set(`${method.toUpperCase()} ${path}`, item[method]);
  }
  return out;
}

/** The codes an error response lists, with the status it is listed under. */
function listedCodes(d: Json): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const op of operations(d).values()) {
    for (const [status, res] of Object.entries(op.responses as Json)) {
      const schema = res.content?.["application/json"]?.schema;
      const narrowed = (schema?.anyOf?.[0] ?? schema)?.allOf?.[1];
      const codes: string[] =
        narrowed?.properties?.error?.properties?.code?.enum ?? narrowed?.properties?.error?.enum ?? [];
      for (const code of codes) out.set(code, (out.get(code) ?? new Set()).add(status));
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it("has exactly one operation per route of the route table, and no other", () => {
    const expected = ROUTE_TABLE.map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect(new Set(expected).size, "the route table has no duplicates").toBe(expected.length);
    expect([...operations(doc).keys()].sort()).toEqual([...expected].sort());
    for (const r of ROUTE_TABLE) {
      expect(operations(doc).get(`${r.method} ${openApiPath(r.path)}`)?.["x-cordon-action"]).toBe(r.action);
    }
    expect(Object.keys(OPERATIONS).sort(), "operations.ts documents exactly the table's actions").toEqual(
      ROUTE_TABLE.map((r) => r.action).sort(),
    );
  });

  it("turns the table's path parameters into templated ones, each described", () => {
    expect(openApiPath("/v1/admin/keys/:id/rotate")).toBe("/v1/admin/keys/{id}/rotate");
    expect(openApiPath("/v1/models/:id+")).toBe("/v1/models/{id}");
    for (const [name, op] of operations(doc)) {
      for (const p of (op.parameters ?? []) as Json[]) {
        if (p.in === "path") expect(p.description, `${name} {${p.name}}`).toMatch(/\S/);
      }
    }
  });

  it("lists every code of the error catalogue under its status", () => {
    const listed = listedCodes(doc);
    // 405 answers a method a path does not serve: no operation's response, so it is told in info.description.
    const notPerOperation = new Set(["method_not_allowed"]);
    for (const code of ERROR_CODES) {
      const status = String(ERROR_CATALOG[code].status);
      if (notPerOperation.has(code)) {
        expect(doc.info.description).toContain(`${status} \`${code}\``);
        expect(listed.has(code), code).toBe(false);
      } else {
        expect([...(listed.get(code) ?? [])], code).toEqual([status]);
      }
    }
    const catalogue = doc.components.schemas.ErrorCode.oneOf as { const: string; description: string }[];
    expect(catalogue.map((c) => c.const)).toEqual(ERROR_CODES);
    for (const c of catalogue) {
      const e = ERROR_CATALOG[c.const as keyof typeof ERROR_CATALOG];
      expect(c.description).toBe(`${e.status}: ${e.message} ${e.fix}`);
    }
  });

  it("derives each route's errors from who may call it", () => {
    const ops = operations(doc);
    const codes = (key: string) => new Set(listedCodesOf(ops.get(key)!));
    const keys = codes("POST /v1/admin/keys");
    for (const c of [
      "missing_api_key",
      "insufficient_scope",
      "unknown_field",
      "audit_unavailable",
      "scope_escalation",
    ]) {
      expect(keys.has(c), c).toBe(true);
    }
    expect(keys.has("operator_not_allowed"), "the operator may create keys").toBe(false);
    const chat = codes("POST /v1/chat/completions");
    expect(chat.has("operator_not_allowed")).toBe(true);
    expect(chat.has("unknown_field"), "OpenAI-compatible bodies pass unknown fields through").toBe(false);
    expect(chat.has("invalid_cache_control")).toBe(true);
    expect(codes("POST /v1/admin/lockdown").has("owner_only")).toBe(true);
    expect(codes("GET /v1/admin/tenants").has("operator_only")).toBe(true);
    expect([...codes("GET /healthz")].sort()).toEqual(["https_required", "internal_error"]);
    const token = ops.get("POST /oauth/token")!;
    expect(token.responses["401"].content["application/json"].schema.allOf[0].$ref).toBe(
      "#/components/schemas/OAuthError",
    );
  });

  it("names who may call each operation, and where", () => {
    const ops = operations(doc);
    expect(ops.get("GET /v1/admin/keys")!.security).toEqual([{ apiKey: [] }, { operatorToken: [] }]);
    expect(ops.get("POST /v1/chat/completions")!.security).toEqual([{ apiKey: [] }]);
    expect(ops.get("GET /openapi.json")!.security).toEqual([]);
    expect(ops.get("GET /openapi.json")!["x-cordon-audited"]).toBe(false);
    const tenants = ops.get("POST /v1/admin/tenants")!;
    expect(tenants.security).toEqual([{ operatorToken: [] }]);
    expect(tenants.servers[0].url).toBe("https://{baseDomain}");
    expect(doc.servers[0]).toMatchObject({
      url: "https://{tenant}.{baseDomain}",
      variables: { baseDomain: { default: "cordon.example" } },
    });
  });

  it("documents request bodies with the handlers' own schemas", () => {
    const ops = operations(doc);
    const body = (key: string, type = "application/json") => {
      const ref = ops.get(key)!.requestBody.content[type].schema.$ref as string;
      return doc.components.schemas[ref.split("/").pop()!] as Json;
    };
    expect(body("POST /v1/admin/keys").required).toEqual(["name", "role"]);
    expect(body("POST /v1/admin/keys").additionalProperties).toBe(false);
    expect(ops.get("PUT /v1/admin/policy")!.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/Policy",
    );
    expect(Object.keys(doc.components.schemas.Policy.properties)).toContain("similarity_threshold");
    // OpenAI-compatible: unknown fields allowed, and said so.
    expect(body("POST /v1/chat/completions").additionalProperties).toEqual({});
    expect(ops.get("POST /v1/chat/completions")!.requestBody.description).toMatch(/passed to the provider unchanged/);
    expect(body("POST /oauth/token", "application/x-www-form-urlencoded").properties.grant_type.const).toBe(
      "client_credentials",
    );
    const chatHeaders = (ops.get("POST /v1/chat/completions")!.parameters as Json[]).map((p) => p.$ref);
    expect(chatHeaders).toContain("#/components/parameters/x-cache-control");
    expect(Object.keys(ops.get("POST /v1/chat/completions")!.responses["200"].headers)).toContain("x-cache");
  });

  it("lists the request headers a route reads besides its cache controls", () => {
    const ops = operations(doc);
    const headers = (key: string) =>
      ((ops.get(key)!.parameters ?? []) as Json[]).flatMap((p) => (p.$ref ? [p.$ref.split("/").pop()] : []));
    // A stored response is its owner's (x-cache-user), asked for with the tenant's virtual key.
    for (const key of [
      "GET /v1/responses/{id}",
      "DELETE /v1/responses/{id}",
      "POST /v1/responses/{id}/cancel",
      "GET /v1/responses/{id}/input_items",
    ]) {
      expect(headers(key), key).toEqual(["x-cache-user", "x-cordon-virtual-key"]);
    }
    expect(headers("GET /v1/admin/policy")).toEqual(["if-none-match"]);
    expect(headers("PUT /v1/admin/policy")).toEqual(["if-match"]);
    expect(doc.components.parameters["if-none-match"]).toMatchObject({ name: "If-None-Match", in: "header" });
    const items = (ops.get("GET /v1/responses/{id}/input_items")!.parameters as Json[]).map((p) => p.name);
    expect(items).toEqual(expect.arrayContaining(["id", "after", "limit", "order", "include"]));
  });
});

function listedCodesOf(op: Json): string[] {
  return [...listedCodes({ paths: { "/": { get: op } } }).keys()];
}
