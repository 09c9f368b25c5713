// Personal data outside the messages: the provider receives every field of a request (a prediction, tool and
// schema descriptions, stop sequences, metadata, prompt variables, fields Cordon does not know), and the
// Responses API echoes some of them into the answer that is stored. The tenant's PII mode applies to all of
// them; only the caller's identifiers (`user` and its kin), which the cache keeps as keyed hashes, are left as
// sent. (Messages themselves: pii-policy.test.ts.)
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openEntry } from "../../src/gateway/cache/entries";
import { getRuntime } from "../../src/gateway/runtime";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import { cacheKvKeys, call, chatBody, expectError, objectCounts, setPolicy, settle, tenantWithKey } from "../helpers";

const EMAIL = ["maria.keller", "@", "gmail.com"].join("");
const CARD = ["4111", "1111", "1111", "1111"].join(" ");

/** Chat requests with personal data in a field other than the messages. */
const CHAT_FIELDS: readonly [string, Record<string, unknown>][] = [
  ["prediction", { prediction: { type: "content", content: `Write to ${EMAIL} about it.` } }],
  ["metadata", { metadata: { customer: EMAIL } }],
  [
    "a tool's description",
    { tools: [{ type: "function", function: { name: "notify", description: `Mail ${EMAIL}` } }] },
  ],
  ["a stop sequence", { stop: [CARD] }],
  ["a field Cordon does not know", { frobnicate: { note: `card ${CARD}` } }],
  ["a metadata key", { metadata: { [EMAIL]: "x" } }],
  // Text that starts as a data URL does but is none (no media type, not base64): it is text, and scanned.
  [
    "a description starting with 'data:'",
    { tools: [{ type: "function", function: { name: "notify", description: `data: mail ${EMAIL}` } }] },
  ],
];

/** Responses API requests (stateless, so cacheable) with personal data outside input and instructions. */
const RESPONSES_FIELDS: readonly [string, Record<string, unknown>][] = [
  ["metadata", { metadata: { customer: EMAIL } }],
  ["prompt variables", { prompt: { id: "pmpt_1", variables: { email: EMAIL } } }],
  [
    "a text format's schema",
    { text: { format: { type: "json_schema", name: "r", schema: { type: "object", description: `for ${EMAIL}` } } } },
  ],
  [
    "a schema description starting with 'data:'",
    { text: { format: { type: "json_schema", name: "r", schema: { type: "object", description: `data: ${EMAIL}` } } } },
  ],
];

/**
 * Chat requests with personal data in a message field other than its content, name and function arguments: an
 * assistant's refusal (field or content part), a custom tool call's input, a message field Cordon does not know.
 */
const MESSAGE_FIELDS: readonly [string, Record<string, unknown>[]][] = [
  [
    "an assistant's refusal",
    [
      { role: "user", content: "Mail my landlord." },
      { role: "assistant", content: null, refusal: `I will not write to ${EMAIL}.` },
      { role: "user", content: "Why not?" },
    ],
  ],
  [
    "a refusal content part",
    [
      { role: "user", content: "Mail my landlord." },
      { role: "assistant", content: [{ type: "refusal", refusal: `I will not write to ${EMAIL}.` }] },
      { role: "user", content: "Why not?" },
    ],
  ],
  [
    "a custom tool call's input",
    [
      { role: "user", content: "Mail my landlord." },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "custom", custom: { name: "send_mail", input: `to: ${EMAIL}` } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sent" },
      { role: "user", content: "Did it work?" },
    ],
  ],
  [
    "a message field Cordon does not know",
    [
      { role: "user", content: "Note this.", frobnicate: `card ${CARD}` },
      { role: "assistant", content: "Noted." },
      { role: "user", content: "Thanks, and now?" },
    ],
  ],
];

/** Responses API inputs with personal data in items other than messages' texts and function calls. */
const ITEM_FIELDS: readonly [string, Record<string, unknown>[]][] = [
  [
    "a custom tool call's input",
    [
      { type: "custom_tool_call", call_id: "c1", name: "send_mail", input: `to: ${EMAIL}` },
      { type: "custom_tool_call_output", call_id: "c1", output: "sent" },
      { role: "user", content: "Did it work?" },
    ],
  ],
  [
    "a reasoning summary",
    [
      { type: "reasoning", summary: [{ type: "summary_text", text: `The card is ${CARD}.` }] },
      { role: "user", content: "Go on." },
    ],
  ],
  [
    "a refusal part",
    [
      { role: "user", content: "Mail my landlord." },
      { role: "assistant", content: [{ type: "refusal", refusal: `I will not write to ${EMAIL}.` }] },
      { role: "user", content: "Why not?" },
    ],
  ],
];

const responsesBody = (input: string, extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o-mini",
  input,
  store: false,
  ...extra,
});

async function newTenant(prefix: string, piiMode: "skip" | "redact" | "block") {
  const t = await tenantWithKey(prefix);
  await setPolicy(t.tenant, { pii_mode: piiMode });
  return t;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("personal data outside the messages", async () => {
  const rt = await getRuntime(env);
  const sentUpstream = () => {
    const send = vi.spyOn(rt.provider, "send");
    return () => send.mock.calls.map(([req]) => JSON.stringify("body" in req ? req.body : null));
  };

  it("block: refused with 422 before the provider, on both APIs", async () => {
    const t = await newTenant("pofblock", "block");
    const upstream = sentUpstream();
    for (const [what, extra] of CHAT_FIELDS) {
      const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody("Rewrite it.", extra) });
      expect(res.status, what).toBe(422);
      await expectError(res, 422, "pii_detected", "invalid_request_error");
    }
    for (const [what, extra] of RESPONSES_FIELDS) {
      const res = await call(t.host, "/v1/responses", { token: t.key, body: responsesBody("Say hello.", extra) });
      expect(res.status, what).toBe(422);
      await expectError(res, 422, "pii_detected", "invalid_request_error");
    }
    expect(upstream()).toEqual([]);
    expect(await cacheKvKeys(t.tenant)).toEqual([]);
  });

  it("block: the caller's own identifiers are not content, and are not refused", async () => {
    const t = await newTenant("pofident", "block");
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Name a colour.", { user: EMAIL, safety_identifier: EMAIL }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cache")).toBe("MISS");
  });

  it("redact: the provider sees placeholders in every field, and the fields stay well-formed", async () => {
    const t = await newTenant("pofredact", "redact");
    for (const [what, extra] of CHAT_FIELDS) {
      const upstream = sentUpstream();
      const res = await call(t.host, "/v1/chat/completions", {
        token: t.key,
        body: chatBody(`Rewrite ${what}.`, extra),
      });
      expect(res.status, what).toBe(200);
      const [body] = upstream();
      expect(body, what).toBeDefined();
      expect(body, what).not.toContain(EMAIL);
      expect(body, what).not.toContain(CARD);
      expect(body, what).toMatch(/\[(EMAIL|PAYMENT_CARD)\]/);
      vi.restoreAllMocks();
    }
    const upstream = sentUpstream();
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Name a fruit.", { stop: [CARD, "END"], tools: [{ type: "function", function: { name: "f" } }] }),
    });
    expect(res.status).toBe(200);
    const sent = JSON.parse(upstream()[0]!) as { stop: string[]; tools: unknown[] };
    expect(sent.stop).toEqual(["[PAYMENT_CARD]", "END"]);
    expect(sent.tools).toEqual([{ type: "function", function: { name: "f" } }]);
  });

  it("skip: answered, but nothing about the request is stored", async () => {
    const t = await newTenant("pofskip", "skip");
    for (const [what, extra] of CHAT_FIELDS) {
      const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody("Rewrite it.", extra) });
      expect(res.status, what).toBe(200);
      expect(res.headers.get("x-cache"), what).toBe("BYPASS");
    }
    for (const [what, extra] of RESPONSES_FIELDS) {
      const res = await call(t.host, "/v1/responses", { token: t.key, body: responsesBody("Say hello.", extra) });
      expect(res.status, what).toBe(200);
      expect(res.headers.get("x-cache"), what).toBe("BYPASS");
    }
    expect(await cacheKvKeys(t.tenant)).toEqual([]);
    expect(await objectCounts(t.tenant)).toMatchObject({ entries: 0, vectors: 0 });
  });

  // Regression: an embeddings request's fields beside `input` were not scanned: personal data in its metadata or
  // an unknown field reached the provider under block and redact, and the request was cached under skip.
  it("embeddings: the mode covers the fields beside the input too, the caller's `user` aside", async () => {
    const fields: [string, Record<string, unknown>][] = [
      ["metadata", { metadata: { customer: EMAIL } }],
      ["a field Cordon does not know", { frobnicate: { note: `card ${CARD}` } }],
    ];
    const embed = (t: { host: string; key: string }, extra: Record<string, unknown>) =>
      call(t.host, "/v1/embeddings", {
        token: t.key,
        body: { model: "text-embedding-3-small", input: "hi", ...extra },
      });

    const blocked = await newTenant("pofembblock", "block");
    let upstream = sentUpstream();
    for (const [, extra] of fields)
      await expectError(await embed(blocked, extra), 422, "pii_detected", "invalid_request_error");
    expect(upstream()).toEqual([]);
    expect((await embed(blocked, { user: EMAIL })).status).toBe(200);

    const redacted = await newTenant("pofembredact", "redact");
    vi.restoreAllMocks();
    upstream = sentUpstream();
    for (const [what, extra] of fields) expect((await embed(redacted, extra)).status, what).toBe(200);
    const sent = upstream();
    expect(sent).toHaveLength(2);
    for (const body of sent) {
      expect(body).not.toContain(EMAIL);
      expect(body).not.toContain(CARD);
      expect(body).toMatch(/\[(EMAIL|PAYMENT_CARD)\]/);
    }

    const skipped = await newTenant("pofembskip", "skip");
    for (const [what, extra] of fields) {
      const res = await embed(skipped, extra);
      expect(res.status, what).toBe(200);
      expect(res.headers.get("x-cache"), what).toBe("BYPASS");
    }
    await settle();
    expect(await cacheKvKeys(skipped.tenant)).toEqual([]);
  });

  /** Each case of MESSAGE_FIELDS to chat and of ITEM_FIELDS to the Responses API: [what, response]. */
  async function sendEveryField(t: { host: string; key: string }): Promise<[string, Response][]> {
    const sent: [string, Response][] = [];
    for (const [what, messages] of MESSAGE_FIELDS) {
      sent.push([what, await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody("", { messages }) })]);
    }
    for (const [what, input] of ITEM_FIELDS) {
      const body = { model: "gpt-4o-mini", input, store: false };
      sent.push([what, await call(t.host, "/v1/responses", { token: t.key, body })]);
    }
    return sent;
  }

  // Regression: only a message's content, text parts, name and function arguments (and, in the Responses API,
  // messages' texts, function calls and their outputs) were scanned; a refusal, a custom tool call's input, a
  // reasoning summary or a field Cordon does not know on a message reached the provider under block and redact,
  // and under skip the request was looked up and its answer cached.
  it("every string of every message and input item is scanned, on both APIs", async () => {
    const blocked = await newTenant("pofmsgblock", "block");
    let upstream = sentUpstream();
    for (const [what, res] of await sendEveryField(blocked)) expect(res.status, what).toBe(422);
    expect(upstream()).toEqual([]);

    const redacted = await newTenant("pofmsgredact", "redact");
    vi.restoreAllMocks();
    upstream = sentUpstream();
    for (const [what, res] of await sendEveryField(redacted)) expect(res.status, what).toBe(200);
    const sent = upstream();
    expect(sent).toHaveLength(MESSAGE_FIELDS.length + ITEM_FIELDS.length);
    for (const body of sent) {
      expect(body).not.toContain(EMAIL);
      expect(body).not.toContain(CARD);
      expect(body).toMatch(/\[(EMAIL|PAYMENT_CARD)\]/);
    }

    const skipped = await newTenant("pofmsgskip", "skip");
    for (const [what, res] of await sendEveryField(skipped)) expect(res.headers.get("x-cache"), what).toBe("BYPASS");
    await settle();
    expect(await cacheKvKeys(skipped.tenant)).toEqual([]);
  });

  it("a stored Responses answer keeps none of its caller's bookkeeping; a hit gets its own caller's", async () => {
    const t = await tenantWithKey("pofecho");
    const first = await call(t.host, "/v1/responses", {
      token: t.key,
      body: responsesBody("Name a planet.", { metadata: { team: "alpha" }, safety_identifier: "caller-one" }),
    });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(((await first.json()) as { metadata: unknown }).metadata).toEqual({ team: "alpha" });
    const entryId = first.headers.get("x-cache-entry-id");
    expect(entryId).toMatch(/^[0-9a-f-]{36}$/);

    const key = cacheKv.entry(t.tenant, entryId!);
    const sealed = await vi.waitFor(async () => {
      const v = await env.CACHE.get(key);
      expect(v).not.toBeNull();
      return v!;
    });
    const tenant = (await rt.tenantDirectory.get(t.tenant))!;
    const body = await openEntry(await rt.tenantKeyring(tenant), key, sealed);
    const stored = (body as unknown as { response: Record<string, unknown> }).response;
    expect(stored).toMatchObject({ metadata: {}, user: null, safety_identifier: null, prompt_cache_key: null });
    expect(JSON.stringify(body)).not.toContain("alpha");
    expect(JSON.stringify(body)).not.toContain("caller-one");

    const hit = await call(t.host, "/v1/responses", {
      token: t.key,
      body: responsesBody("Name a planet.", { metadata: { team: "beta" } }),
    });
    expect(hit.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(((await hit.json()) as { metadata: unknown }).metadata).toEqual({ team: "beta" });
  });
});
