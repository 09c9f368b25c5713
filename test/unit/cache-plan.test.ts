import { describe, expect, it } from "vitest";
import { resolveControls } from "../../src/gateway/cache/controls";
import { exactText, planChat, proseIndentation } from "../../src/gateway/cache/plan";
import { costOf } from "../../src/gateway/models";
import type { Principal } from "../../src/gateway/policy/principal";
import { DEFAULT_POLICY } from "../../src/gateway/policy/tenant-policy";
import type { ChatRequest } from "../../src/gateway/protocol/chat";
import { semanticText } from "../../src/gateway/text/semantic-text";

const chat = (content: string, extra: Partial<ChatRequest> = {}, system?: string): ChatRequest => ({
  model: "gpt-4o-mini",
  messages: [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content }],
  ...extra,
});

const partitionOf = (r: ChatRequest) => {
  const p = planChat(r);
  if (!p.cacheable) throw new Error("not cacheable");
  return p.partition;
};

describe("normalisation", () => {
  it("exact text folds white space only", () => {
    expect(exactText("  What is\n  this?  ")).toBe("What is this?");
    expect(exactText("What is\nthis?\t")).toBe("What is this?");
    expect(exactText("What is this?")).not.toBe(exactText("what is this?"));
  });

  // Regression: prose lines were folded into one, so code pasted without a fence read the same however its lines
  // were indented, and one program's answer was served for another.
  it("regression: a prose line indented beyond its paragraph keeps its line and indentation", () => {
    const inside = "What does this print?\ndef f(x):\n    if x:\n        print(1)\n        print(2)\nf(0)";
    const after = "What does this print?\ndef f(x):\n    if x:\n        print(1)\n    print(2)\nf(0)";
    expect(exactText(inside)).not.toBe(exactText(after));
    expect(exactText(after)).toBe("What does this print? def f(x):\n    if x:\n        print(1)\n    print(2) f(0)");
    // A paragraph indented as a whole, or a single line, is indented by nothing.
    expect(exactText("   first line\n   second line")).toBe("first line second line");
    expect(exactText("Intro.\n\n  one\n  two")).toBe(exactText("Intro.\none two"));
    expect(proseIndentation("Plain\nprose,  folded.")).toBeNull();
    expect(proseIndentation(after)).toEqual(["", "", "    ", "        ", "    ", ""]);
  });

  // Regression: a blank line of other white space (a no-break space, as text copied from a web page holds) did not
  // end the paragraph, so the next paragraph's lines were measured against the one before: the same prose with
  // an empty blank line keyed another entry, on both tiers.
  it("regression: a line of any white space ends a paragraph, as an empty line does", () => {
    for (const blank of ["\u00a0", "\u3000", " \u2003 ", "\v"]) {
      const sent = `Intro.\n${blank}\n  one\n  two`;
      expect(exactText(sent), JSON.stringify(blank)).toBe(exactText("Intro.\n\n  one\n  two"));
      expect(proseIndentation(sent), JSON.stringify(blank)).toBeNull();
    }
  });

  it.each([
    ["What is the capital of France?", "what is the capital of france"],
    ["what's   the capital of FRANCE!!", "what is the capital of france"],
    ["Hey, could you please tell me what is the capital of France?", "what is the capital of france"],
    ["Explain C++ templates in Node.js 3.5", "explain c++ templates in node.js 3.5"],
    ["I can't do it", "i cannot do it"],
    ["It isn't red.", "it is not red"],
  ])("semantic text of %j", (input, out) => expect(semanticText(input)).toBe(out));
});

describe("partition", () => {
  it("regression: holds the indentation of the prompt's prose lines, and nothing when none is indented", () => {
    const code = (body: string) => chat(`What does this print?\nfor x in [0, 1]:\n    if x:\n${body}`);
    expect(partitionOf(code("        print(x)"))).not.toBe(partitionOf(code("    print(x)")));
    expect(partitionOf(code("        print(x)"))).toBe(partitionOf(code("        print(x)  ")));
    expect(partitionOf(chat("What is\nthe capital?"))).not.toContain("indent");
  });

  it("is the same for surface variants of the last message and for stream/user fields", () => {
    expect(partitionOf(chat("A?"))).toBe(partitionOf(chat("b", { stream: true, user: "u1" })));
  });

  it.each<[string, Partial<ChatRequest>]>([
    ["model", { model: "gpt-4o" }],
    ["temperature", { temperature: 0.2 }],
    ["max_tokens", { max_tokens: 5 }],
    ["tools", { tools: [{ type: "function", function: { name: "f" } }] }],
    ["response_format", { response_format: { type: "json_object" } }],
    ["seed", { seed: 7 }],
  ])("changes with %s", (_name, extra) => {
    expect(partitionOf(chat("hi there", extra))).not.toBe(partitionOf(chat("hi there")));
  });

  // Regression: the request's own fields and the parts derived from its messages once shared one object, so a
  // field called `last` or `code` was overwritten and two requests differing only in it shared an entry.
  it("a field named like a derived part (last, code, messages) cannot stand in for it", () => {
    for (const field of ["last", "code", "fields", "derived"]) {
      const seen = new Set<string>();
      for (const value of [1, 2, { x: 1 }, { x: 2 }, ["fn main() {}"], null]) {
        seen.add(partitionOf(chat("hi there", { [field]: value } as Partial<ChatRequest>)));
      }
      seen.add(partitionOf(chat("hi there")));
      expect(seen.size, field).toBe(7);
    }
  });

  // Regression: a cache key that ignored the system prompt would answer one assistant's question with
  // another's answer (Portkey's OSS cache keyed on body+URL only; Helicone once keyed seeded requests on the
  // seed alone).
  // Regression: the last message's text parts were read for their text only, so a field Cordon does not know on
  // a part (OpenAI passes such fields on; a provider behind AI Gateway may read them) left the partition, and two
  // requests differing only in it shared an entry. A plain text part still equals a string content.
  it("a text part's other fields are part of the partition; a plain part is the string", () => {
    const parts = (part: Record<string, unknown>): ChatRequest => ({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: [{ type: "text", text: "hi there", ...part }] }],
    });
    expect(partitionOf(parts({}))).toBe(partitionOf(chat("hi there")));
    const seen = new Set([partitionOf(chat("hi there"))]);
    for (const extra of [{ frobnicate: 1 }, { frobnicate: 2 }, { detail: "high" }]) seen.add(partitionOf(parts(extra)));
    expect(seen.size).toBe(4);
  });

  it("system prompt is part of the partition (regression: cache key ignoring system prompt)", () => {
    expect(partitionOf(chat("Who are you?", {}, "You are a pirate."))).not.toBe(
      partitionOf(chat("Who are you?", {}, "You are a lawyer.")),
    );
    expect(partitionOf(chat("Who are you?", {}, "You are a pirate."))).not.toBe(partitionOf(chat("Who are you?")));
  });

  it("earlier turns are part of the partition", () => {
    const a: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: "y" },
        { role: "user", content: "z" },
      ],
    };
    const b: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "y" },
        { role: "user", content: "z" },
      ],
    };
    expect(partitionOf(a)).not.toBe(partitionOf(b));
  });

  it("is not cacheable when the last message is not a user text message or n > 1", () => {
    expect(
      planChat({
        model: "m",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: "y" },
        ],
      }).cacheable,
    ).toBe(false);
    expect(
      planChat({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] })
        .cacheable,
    ).toBe(false);
    expect(planChat(chat("x", { n: 2 })).cacheable).toBe(false);
    expect(planChat(chat("?!")).cacheable).toBe(false);
  });
});

describe("cache controls", () => {
  const key: Principal = {
    kind: "api_key",
    keyId: "k",
    tenant: "t",
    role: "developer",
    generation: "g1",
    scopes: new Set(["completions", "cache:read", "cache:write"]),
    cacheScope: "tenant",
    ipAllowlist: [],
    rateLimit: null,
    expiresAt: null,
    secretIssuedAt: 0,
    secretHash: null,
  };
  const h = (init: Record<string, string>) => new Headers(init);

  it("defaults to the tenant policy", () => {
    const c = resolveControls({ headers: h({}) }, DEFAULT_POLICY, key);
    expect(c).toMatchObject({
      read: true,
      write: true,
      onlyIfCached: false,
      threshold: 0.9,
      ttlSeconds: 86400,
      scope: "tenant",
    });
  });

  it("lets a request narrow but never widen", () => {
    const c = resolveControls(
      { headers: h({ "x-cache-threshold": "0.5", "x-cache-ttl": "999999999" }) },
      DEFAULT_POLICY,
      key,
    );
    expect(c.threshold).toBe(0.9);
    expect(c.ttlSeconds).toBe(86400);
    const d = resolveControls(
      { headers: h({ "x-cache-threshold": "0.97", "x-cache-ttl": "120" }) },
      DEFAULT_POLICY,
      key,
    );
    expect(d.threshold).toBe(0.97);
    expect(d.ttlSeconds).toBe(120);
  });

  it("turns the semantic tier off at a threshold of 1: the tenant's for lookups and storage, a request's for its lookup", () => {
    const on = resolveControls({ headers: h({ "x-cache-threshold": "0.999999" }) }, DEFAULT_POLICY, key);
    expect(on).toMatchObject({ searchByMeaning: true, indexByMeaning: true });
    const request = resolveControls({ headers: h({ "x-cache-threshold": "1.0" }) }, DEFAULT_POLICY, key);
    expect(request).toMatchObject({ threshold: 1, searchByMeaning: false, indexByMeaning: true });
    const body = resolveControls({ headers: h({}), threshold: 1 }, DEFAULT_POLICY, key);
    expect(body).toMatchObject({ searchByMeaning: false, indexByMeaning: true });
    const tenant = resolveControls({ headers: h({}) }, { ...DEFAULT_POLICY, similarity_threshold: 1 }, key);
    expect(tenant).toMatchObject({ threshold: 1, searchByMeaning: false, indexByMeaning: false });
  });

  it("narrows scope to a user from the header or body, and refuses a conflict", () => {
    expect(resolveControls({ headers: h({ "x-cache-user": "alice" }) }, DEFAULT_POLICY, key).scope).toBe("user:alice");
    expect(resolveControls({ headers: h({}), bodyUser: "bob" }, DEFAULT_POLICY, key).scope).toBe("user:bob");
    expect(() =>
      resolveControls({ headers: h({ "x-cache-user": "alice" }), bodyUser: "bob" }, DEFAULT_POLICY, key),
    ).toThrow(/different users/);
  });

  it("requires a user when the key is bound to user scope", () => {
    expect(() => resolveControls({ headers: h({}) }, DEFAULT_POLICY, { ...key, cacheScope: "user" })).toThrow(
      /per user/,
    );
  });

  it.each([
    ["x-cache-control", "sometimes"],
    ["x-cache-control", "no-cache, only-if-cached"],
    ["x-cache-threshold", "1.5"],
    ["x-cache-threshold", "abc"],
    ["x-cache-ttl", "-1"],
    ["x-cache-ttl", "0"],
    ["x-cache-user", "b\u00e4d"],
    ["x-cache-user", "a".repeat(300)],
  ])("refuses %s: %j", (name, value) => {
    expect(() => resolveControls({ headers: h({ [name]: value }) }, DEFAULT_POLICY, key)).toThrow();
  });

  it("reads directives", () => {
    const c = resolveControls({ headers: h({ "x-cache-control": "no-store, NO-CACHE" }) }, DEFAULT_POLICY, key);
    expect(c).toMatchObject({ read: false, write: false });
    expect(
      resolveControls({ headers: h({ "x-cache-control": "only-if-cached" }) }, DEFAULT_POLICY, key).onlyIfCached,
    ).toBe(true);
  });
});

describe("pricing", () => {
  it("prices known models by prefix, provider prefix ignored, unknown at zero", () => {
    expect(costOf("openai/gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000)).toBeCloseTo(0.75);
    expect(costOf("gpt-4o", 1000, 0)).toBeCloseTo(0.0025);
    expect(costOf("local/echo", 1000, 1000)).toBe(0);
  });
});
