// The audit event is built in one place from typed parts, and no field of it can carry prompt or answer text:
// every string field is held to a pattern without white space, so a sentence is refused wherever it is put.
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import { buildAuditEvent } from "../../src/gateway/audit/event";
import { AuditEventSchema } from "../../src/shared/audit-event";
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
    expect(Object.keys(event).sort()).toEqual(Object.keys(AuditEventSchema.shape).sort());
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
});
