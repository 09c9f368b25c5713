// The audit event is built in one place from typed parts, and no field of it can carry prompt or answer text:
// every string field is held to a pattern without white space, so a sentence is refused wherever it is put.
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import { type AuditInput, buildAuditEvent } from "../../src/gateway/audit/event";
import { ERROR_CATALOG } from "../../src/gateway/http/error-catalog";
import { PII_KINDS } from "../../src/gateway/pii/kinds";
import { FALLBACKS_MAX } from "../../src/gateway/policy/tenant-policy";
import { ROUTE_TABLE } from "../../src/gateway/routes/table";
import { MAX_ATTEMPTS } from "../../src/gateway/upstream/call";
import { AuditEventSchema, CODE_PATTERN, UPSTREAM_ATTEMPTS_MAX } from "../../src/shared/audit-event";
import { auditEvent } from "../fixtures/audit-event";

const PROMPT = "What is the capital of France? My card is 4111 1111 1111 1111.";
const ANSWER = "Paris is the capital of France.";

/** Every path in an event where a string can stand (arrays and nested objects included). */
function stringPaths(schema: z.ZodType, path: (string | number)[] = []): (string | number)[][] {
  const def = (schema as { def: { type: string } }).def;
  switch (def.type) {
    case "string":
      return [path];
    case "nullable":
    case "optional":
      return stringPaths((def as unknown as { innerType: z.ZodType }).innerType, path);
    case "array":
      return stringPaths((def as unknown as { element: z.ZodType }).element, [...path, 0]);
    case "object": {
      const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
      return Object.entries(shape).flatMap(([k, v]) => stringPaths(v, [...path, k]));
    }
    default:
      return [];
  }
}

function withValue(event: Record<string, unknown>, path: (string | number)[], value: string): unknown {
  const copy = structuredClone(event);
  let at: Record<string | number, unknown> = copy;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      at[key] = value;
      break;
    }
    const next = path[i + 1];
    if (at[key] === null || at[key] === undefined) at[key] = typeof next === "number" ? [] : {};
    if (typeof next === "number" && Array.isArray(at[key]) && (at[key] as unknown[]).length === 0) {
      (at[key] as unknown[]).push(
        path[i + 2] === undefined ? "" : { target: "m", outcome: "ok", status: 200, latency_ms: 1 },
      );
    }
    at = at[key] as Record<string | number, unknown>;
  }
  return copy;
}

describe("audit event", () => {
  it("no string field accepts prompt or answer text", () => {
    const paths = stringPaths(AuditEventSchema);
    expect(paths.length).toBeGreaterThan(15);
    const base = auditEvent("acme") as unknown as Record<string, unknown>;
    expect(AuditEventSchema.safeParse(base).success).toBe(true);
    for (const path of paths) {
      for (const text of [PROMPT, ANSWER, "two words"]) {
        expect(AuditEventSchema.safeParse(withValue(base, path, text)).success, `${path.join(".")} took text`).toBe(
          false,
        );
      }
    }
  });

  it("the builder writes every field explicitly and its output validates", () => {
    const event = buildAuditEvent({
      requestId: "req_0123456789abcdef",
      receivedAt: 1_750_000_000_000,
      method: "POST",
      route: "/v1/chat/completions",
      client: { ip: "203.0.113.9", country: "FR", asn: 3215 },
      tenant: "acme",
      actor: "key:key_abcdefghijklmnop",
      action: "chat.completions",
      status: 200,
      code: null,
      reason: null,
      facts: {
        cache: "HIT-SEMANTIC",
        model: "gpt-4o-mini",
        promptHash: "a".repeat(43),
        entryId: crypto.randomUUID(),
        similarity: 0.97,
        promptTokens: 12,
        completionTokens: 30,
        costSaved: 0.00002,
      },
      now: 1_750_000_000_042,
    });
    expect(AuditEventSchema.parse(event)).toEqual(event);
    // Every field but the optional ones, which an event carries only when they apply.
    const shape = Object.entries(AuditEventSchema.shape);
    const required = shape.filter(([, field]) => !field.safeParse(undefined).success).map(([key]) => key);
    expect(Object.keys(event).sort()).toEqual(required.sort());
    expect(required.length).toBe(shape.length - 1);
    // prompt_tokens_saved, written when an answer served in part from the cache saved tokens.
    const partial = buildAuditEvent({
      requestId: "req_0123456789abcdef",
      receivedAt: 1_750_000_000_000,
      method: "POST",
      route: "/v1/embeddings",
      client: { ip: null, country: null, asn: null },
      tenant: "acme",
      actor: "key:key_abcdefghijklmnop",
      action: "embeddings.create",
      status: 200,
      code: null,
      reason: "embeddings:hits:2",
      facts: {
        cache: "MISS",
        model: "text-embedding-3-small",
        promptTokens: 9,
        costSaved: 1.2e-7,
        promptTokensSaved: 6,
      },
      now: 1_750_000_000_042,
    });
    expect(AuditEventSchema.parse(partial)).toEqual(partial);
    expect(Object.keys(partial).sort()).toEqual(shape.map(([key]) => key).sort());
    expect(partial).toMatchObject({ cache: "MISS", prompt_tokens: 9, prompt_tokens_saved: 6 });
    expect(event).toMatchObject({
      outcome: "allowed",
      latency_ms: 42,
      cache: "HIT-SEMANTIC",
      route: "/v1/chat/completions",
    });
  });

  it("a reason or action that is not a code is recorded as 'invalid', never as text", () => {
    const event = buildAuditEvent({
      requestId: "req_1",
      receivedAt: 0,
      method: "weird method",
      route: null,
      client: { ip: null, country: null, asn: null },
      tenant: null,
      actor: "anonymous",
      action: PROMPT,
      status: 400,
      code: "invalid_json",
      reason: ANSWER,
      facts: { cacheReason: PROMPT },
      now: 5,
    });
    expect(event).toMatchObject({
      action: "invalid",
      reason: "invalid",
      cache_reason: "invalid",
      method: "OTHER",
      route: "unrouted",
    });
    expect(AuditEventSchema.safeParse(event).success).toBe(true);
  });

  // The logger refuses (dead-letters) an event that does not validate: it is kept, but out of the chain and the
  // analytics until an operator replays it. So whatever a request carries, the event built for it validates.
  describe("every request's event is one the logger accepts", () => {
    const input = (over: Partial<AuditInput> = {}): AuditInput => ({
      requestId: "req_0123456789abcdef",
      receivedAt: 1_750_000_000_000,
      method: "GET",
      route: null,
      client: { ip: null, country: null, asn: null },
      tenant: "acme",
      actor: "key:key_abcdefghijklmnop",
      action: "request",
      status: 200,
      code: null,
      reason: null,
      facts: {},
      now: 1_750_000_000_001,
      ...over,
    });

    it("for every route of the table, under its own pattern and action", () => {
      for (const route of ROUTE_TABLE) {
        const event = buildAuditEvent(input({ method: route.method, route: route.path, action: route.action }));
        expect(AuditEventSchema.safeParse(event).success, route.path).toBe(true);
        expect(event.route, route.path).toBe(route.path);
        expect(event.action, route.path).toBe(route.action);
      }
    });

    it("for every error code of the catalogue", () => {
      for (const code of Object.keys(ERROR_CATALOG) as (keyof typeof ERROR_CATALOG)[]) {
        expect(code, code).toMatch(CODE_PATTERN);
        expect(AuditEventSchema.safeParse(buildAuditEvent(input({ status: 400, code }))).success, code).toBe(true);
      }
    });

    it("with the most upstream attempts the gateway makes, and every kind of personal data", () => {
      expect(MAX_ATTEMPTS * (1 + FALLBACKS_MAX)).toBeLessThanOrEqual(UPSTREAM_ATTEMPTS_MAX);
      const upstream = Array.from({ length: MAX_ATTEMPTS * (1 + FALLBACKS_MAX) }, (_, i) => ({
        target: `p${Math.floor(i / MAX_ATTEMPTS)}/m`,
        outcome: "error" as const,
        status: 503,
        latency_ms: 3,
      }));
      const event = buildAuditEvent(input({ status: 502, facts: { upstream, pii: PII_KINDS } }));
      expect(AuditEventSchema.safeParse(event).success).toBe(true);
      expect(event.upstream).toEqual(upstream);
      expect(event.pii).toEqual([...PII_KINDS]);
    });

    it("when a fact does not fit its field: an id or model becomes 'invalid', a figure null", () => {
      for (const target of ["openai/gpt-9", "vk_%20x", "a b", "\u202e", "x".repeat(129), PROMPT]) {
        const event = buildAuditEvent(input({ status: 404, facts: { target } }));
        expect(event.target, target).toBe("invalid");
        expect(AuditEventSchema.safeParse(event).success, target).toBe(true);
      }
      for (const model of ["gpt 4", "\u202e", "é", "x".repeat(257), PROMPT]) {
        const event = buildAuditEvent(input({ status: 404, facts: { model } }));
        expect(event.model, model).toBe("invalid");
        expect(AuditEventSchema.safeParse(event).success, model).toBe(true);
      }
      for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
        const event = buildAuditEvent(
          input({ facts: { promptTokens: n, completionTokens: n, costSaved: n < 0 || Number.isNaN(n) ? n : -n } }),
        );
        expect([event.prompt_tokens, event.completion_tokens, event.cost_saved], String(n)).toEqual([null, null, null]);
        expect(AuditEventSchema.safeParse(event).success, String(n)).toBe(true);
      }
      // An optional figure that does not fit, or saves nothing, is left out, as in an event that never had it.
      for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
        const event = buildAuditEvent(input({ facts: { promptTokensSaved: n } }));
        expect(event, String(n)).not.toHaveProperty("prompt_tokens_saved");
        expect(AuditEventSchema.safeParse(event).success, String(n)).toBe(true);
      }
      expect(buildAuditEvent(input({ facts: { similarity: 1 + 2 ** -52 } })).similarity).toBe(1);
      expect(buildAuditEvent(input({ facts: { similarity: Number.NaN } })).similarity).toBeNull();
      const odd = buildAuditEvent(
        input({
          route: "/v1/things/*",
          facts: {
            upstream: [
              { target: "a b", outcome: "error", status: 99, latency_ms: -4 },
              ...Array.from({ length: UPSTREAM_ATTEMPTS_MAX + 3 }, () => ({
                target: "p/m",
                outcome: "timeout" as const,
                status: null,
                latency_ms: 30_000,
              })),
              { target: "q/m", outcome: "ok", status: 200, latency_ms: 40 },
            ],
          },
        }),
      );
      expect(AuditEventSchema.safeParse(odd).success).toBe(true);
      expect(odd.route).toBe("/invalid");
      expect(odd.upstream).toHaveLength(UPSTREAM_ATTEMPTS_MAX);
      expect(odd.upstream![0]).toEqual({ target: "invalid", outcome: "error", status: null, latency_ms: 0 });
      // Past the bound, the last attempt (the one that answered) is the one kept.
      expect(odd.upstream!.at(-1)).toEqual({ target: "q/m", outcome: "ok", status: 200, latency_ms: 40 });
    });
  });
});
