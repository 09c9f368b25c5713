// The tenant's PII mode on both routes that use the cache, as a data-protection officer checks it: with `skip`
// (the default) a prompt with personal data is answered but never looked up or stored; with `redact` the model
// provider and the cache see typed placeholders only; with `block` the request is refused and nothing is
// written. An answer holding personal data is never stored, whatever the prompt held. The audit trail names the
// kinds found and never a value. Every check of "nothing written" reads raw storage (KV, the tenant's object,
// D1), not the gateway's own view of it.
//
// Values are made up or published test values (card networks' test numbers, IBAN registry examples); secrets are
// assembled at run time so that secret scanners reading this repository do not flag this file.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openEntry } from "../../src/gateway/cache/entries";
import { type PiiKind, piiKindsIn } from "../../src/gateway/pii/index";
import { getRuntime } from "../../src/gateway/runtime";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import { upstreamResponse } from "../fixtures/upstream";
import {
  aiGatewayEnv,
  auditEventOf,
  cacheKvKeys,
  call,
  chatBody,
  expectError,
  hostOf,
  objectCounts,
  setPolicy,
  settle,
  tenantWithKey,
} from "../helpers";

const j = (...parts: string[]) => parts.join("");

interface Sample {
  kind: PiiKind;
  placeholder: string;
  value: string;
  /** Another value of the same kind, for "a different person's data redacts to the same entry". */
  other: string;
  prompt: (value: string) => string;
}

const SAMPLES: readonly Sample[] = [
  {
    kind: "email",
    placeholder: "[EMAIL]",
    value: "maria.keller@gmail.com",
    other: "tomasz.nowak@wp.pl",
    prompt: (v) => `Write a polite follow-up to ${v} about the unpaid invoice.`,
  },
  {
    kind: "payment_card",
    placeholder: "[PAYMENT_CARD]",
    value: "4111 1111 1111 1111",
    other: "5555-5555-5555-4444",
    prompt: (v) => `Charge my card ${v} for the annual renewal.`,
  },
  {
    kind: "phone",
    placeholder: "[PHONE]",
    value: "+44 20 7946 0958",
    other: "+49 89 12345678",
    prompt: (v) => `Call me on ${v} if the delivery is late.`,
  },
  {
    kind: "iban",
    placeholder: "[IBAN]",
    value: "DE89 3704 0044 0532 0130 00",
    other: "GB82WEST12345698765432",
    prompt: (v) => `Please wire the deposit to IBAN ${v} before Friday.`,
  },
  {
    kind: "jwt",
    placeholder: "[JWT]",
    value: j(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
      ".eyJzdWIiOiJ1c2VyXzg4NDEiLCJuYW1lIjoiTWFyaWEgS2VsbGVyIiwiaWF0IjoxNzE2MjM5MDIyfQ",
      ".q1NixwUVtGectp8yhHSR1_HV7J2bjmgQh5u2rEPzAfo",
    ),
    other: j(
      "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9",
      ".eyJpc3MiOiJodHRwczovL2xvZ2luLmFjbWUtY29ycC5pbyIsInN1YiI6IjQ0MTIwIiwiYXVkIjoiYXBpIn0",
      ".ZE5gWMX76soT4ppcg8MTDAPYidAefwK_OEXWxV2umfM",
    ),
    prompt: (v) => `Decode this token: ${v}`,
  },
  {
    kind: "api_key",
    placeholder: "[API_KEY]",
    value: j("sk-", "puoz6sJIhQwWEDAHnhgzLT4T7ffdC6wRMTKfJHPLInGvpQzV"),
    other: j("gh", "p_RNAZnN6F2Tea1d5QLUNZTb9vidhySLZ3VQm7"),
    prompt: (v) => `Why does my script fail with OPENAI_API_KEY=${v} set?`,
  },
];

/** Every value this file sends, for scanning storage and responses. */
const VALUES = SAMPLES.flatMap((s) => [s.value, s.other]);
/** Forms of a value that must not appear: as sent, without its separators, and (long ones) a middle slice. */
const formsOf = (value: string) => {
  const compact = value.replace(/[\s-]/g, "");
  return [value, compact, ...(compact.length >= 24 ? [compact.slice(8, 24)] : [])];
};
const expectNoValue = (text: string, what: string) => {
  for (const v of VALUES) for (const form of formsOf(v)) expect(text, `${what} holds a value`).not.toContain(form);
};

/** Prompts that must never trigger the detector: versions, dates, times, maths, long numbers that fail Luhn. */
const INNOCENT = [
  "Upgrade from React 17.0.2 to 18.3.1 — what breaking changes should I watch out for?",
  "Convert this date string '2024-03-15T09:30:00Z' to the user's local time zone in JS.",
  "Convert '12/03/2024 14:05' to a datetime with strptime, day first.",
  "Why is 0.1 + 0.2 === 0.30000000000000004 in JavaScript?",
  "What's the max safe integer in JS and why is it 9007199254740991?",
  "Is 4111 1111 1111 1112 divisible by 7? Show the long division.",
  "Solve 3x^2 - 12x + 9 = 0 and check both roots.",
];

/** The requests of this file, so that the final scan waits for every audit event. */
const sent: { tenant: string; requestId: string | null }[] = [];
const tenants: string[] = [];

async function chat(
  t: { tenant: string; key: string },
  content: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
    token: t.key,
    body: chatBody(content, extra),
    headers,
  });
  const text = await res.text();
  await settle();
  sent.push({ tenant: t.tenant, requestId: res.headers.get("x-request-id") });
  return { res, text };
}

async function query(t: { tenant: string; key: string }, body: Record<string, unknown>) {
  const res = await call(hostOf(t.tenant), "/v1/cache/query", {
    token: t.key,
    body: { model: "gpt-4o-mini", ...body },
  });
  const text = await res.text();
  await settle();
  sent.push({ tenant: t.tenant, requestId: res.headers.get("x-request-id") });
  return { res, text };
}

const answerOf = (text: string) =>
  (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;

async function expectNothingStored(tenant: string) {
  expect(await cacheKvKeys(tenant)).toEqual([]);
  expect(await objectCounts(tenant)).toEqual({ entries: 0, vectors: 0, user_salts: 0, pending_deletes: 0 });
}

async function newTenant(prefix: string, piiMode?: "skip" | "redact" | "block") {
  const t = await tenantWithKey(prefix);
  if (piiMode) await setPolicy(t.tenant, { pii_mode: piiMode });
  tenants.push(t.tenant);
  return t;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("PII policy", async () => {
  const rt = await getRuntime(env);

  it("every sample is found as exactly its kind, and no innocent prompt is found at all", () => {
    for (const s of SAMPLES) {
      expect(piiKindsIn(s.prompt(s.value)), s.prompt(s.value)).toEqual([s.kind]);
      expect(piiKindsIn(s.prompt(s.other)), s.prompt(s.other)).toEqual([s.kind]);
    }
    for (const p of INNOCENT) expect(piiKindsIn(p), p).toEqual([]);
  });

  describe("skip (the default): answered, never looked up, never stored", async () => {
    const t = await newTenant("pskip");

    it.each(SAMPLES)("chat with $kind: BYPASS, no embedding, no vector query, no KV read or write", async (s) => {
      const embed = vi.spyOn(rt.embedder, "embed");
      const vectorQuery = vi.spyOn(rt.vectors, "query");
      const kvGet = vi.spyOn(env.CACHE, "get");
      const kvPut = vi.spyOn(env.CACHE, "put");
      for (let i = 0; i < 2; i++) {
        const { res, text } = await chat(t, s.prompt(s.value));
        expect(res.status).toBe(200);
        expect(res.headers.get("x-cache")).toBe("BYPASS");
        expect(res.headers.get("x-cache-entry-id")).toBeNull();
        expect(answerOf(text)).toMatch(/^Local answer/);
      }
      expect(embed).not.toHaveBeenCalled();
      expect(vectorQuery).not.toHaveBeenCalled();
      expect(kvGet).not.toHaveBeenCalled();
      expect(kvPut).not.toHaveBeenCalled();
      await expectNothingStored(t.tenant);
    });

    it("cache/query, streamed chat and a named user: still nothing stored, no user key created", async () => {
      const s = SAMPLES[0]!;
      const q = await query(t, { prompt: s.prompt(s.value), user: "alice" });
      expect(q.res.status).toBe(200);
      expect(q.res.headers.get("x-cache")).toBe("BYPASS");
      expect(JSON.parse(q.text)).toMatchObject({ cache_hit: false, entry_id: null });
      const streamed = await chat(t, s.prompt(s.value), { stream: true }, { "x-cache-user": "bob" });
      expect(streamed.res.status).toBe(200);
      expect(streamed.res.headers.get("x-cache")).toBe("BYPASS");
      expect(streamed.text).toContain("data: [DONE]");
      await expectNothingStored(t.tenant);
    });

    it("regression: a skip bypass is audited as bypass:pii_skip even when the answer restates the data", async () => {
      const s = SAMPLES[2]!;
      const { res } = await chat(t, s.prompt(s.value));
      const event = await auditEventOf(t.tenant, res.headers.get("x-request-id"));
      expect(event).toMatchObject({
        status: 200,
        cache: "BYPASS",
        cache_reason: "bypass:pii_skip",
        pii: ["phone"],
        prompt_hash: null,
        entry_id: null,
      });
    });
  });

  describe("redact: placeholders before the provider and the cache", async () => {
    const t = await newTenant("predact", "redact");

    it.each(SAMPLES)(
      "chat with $kind: the provider sees the placeholder; the entry holds no value; a repeat hits",
      async (s) => {
        const first = await chat(t, s.prompt(s.value));
        expect(first.res.status).toBe(200);
        expect(first.res.headers.get("x-cache")).toBe("MISS");
        // The local provider restates the question it received: it received the placeholder, not the value.
        const answer = answerOf(first.text);
        expect(answer).toContain(`you asked "${s.prompt(s.placeholder)}"`);
        expectNoValue(answer, "the answer");
        const entryId = first.res.headers.get("x-cache-entry-id");
        expect(entryId).toMatch(/^[0-9a-f-]{36}$/);

        // Read back through the API: metadata and the decrypted answer, without the value.
        const got = await call(hostOf(t.tenant), `/v1/cache/entries/${entryId}`, { token: t.key });
        expect(got.status).toBe(200);
        const gotText = await got.text();
        expect(JSON.parse(gotText).response).toBe(answer);
        expectNoValue(gotText, "the entry");

        // Read back from raw KV, opened with the tenant's key: the stored prompt is the redacted one.
        const key = cacheKv.entry(t.tenant, entryId!);
        const sealed = await env.CACHE.get(key);
        expectNoValue(sealed!, "the sealed body");
        const tenant = (await rt.tenantDirectory.get(t.tenant))!;
        const body = await openEntry(await rt.tenantKeyring(tenant), key, sealed!);
        expect(body?.prompt).toBe(s.prompt(s.placeholder));
        expectNoValue(JSON.stringify(body), "the opened body");

        // The same prompt hits; another person's value of the same kind redacts to the same entry.
        for (const v of [s.value, s.other]) {
          const again = await chat(t, s.prompt(v));
          expect(again.res.headers.get("x-cache")).toBe("HIT-EXACT");
          expect(answerOf(again.text)).toBe(answer);
          expectNoValue(again.text, "the hit");
        }
      },
    );

    it("cache/query: the answer and the stored entry hold placeholders only; a repeat hits", async () => {
      const s = SAMPLES[0]!;
      const prompt = `Draft a reminder to ${s.value} and to ${s.other} about Monday's meeting.`;
      const miss = await query(t, { prompt });
      expect(miss.res.status).toBe(200);
      const missBody = JSON.parse(miss.text) as { cache_hit: boolean; response: string; entry_id: string };
      expect(missBody.cache_hit).toBe(false);
      expect(missBody.response).toContain("Draft a reminder to [EMAIL] and to [EMAIL] about Monday's meeting.");
      expectNoValue(miss.text, "the cache/query answer");
      const hit = await query(t, { prompt });
      expect(JSON.parse(hit.text)).toMatchObject({ cache_hit: true, entry_id: missBody.entry_id });
    });

    it("every message is redacted before the provider: system prompt, earlier turns, text parts, context", async () => {
      const [email, card, phone, iban] = SAMPLES;
      const sentUpstream: unknown[] = [];
      const original = rt.provider.send.bind(rt.provider);
      vi.spyOn(rt.provider, "send").mockImplementation(async (req) => {
        sentUpstream.push(structuredClone("body" in req ? req.body : null));
        return original(req);
      });
      const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
        token: t.key,
        body: {
          model: "gpt-4o-mini",
          messages: [
            { role: "system", content: `You answer for the account of ${email!.value}.` },
            { role: "user", content: `My card is ${card!.value}.` },
            { role: "assistant", content: `Noted, I will not repeat ${card!.other}.` },
            {
              role: "user",
              content: [
                { type: "text", text: `Call ${phone!.value} then` },
                { type: "text", text: `pay into ${iban!.value}.` },
              ],
            },
          ],
        },
      });
      expect(res.status).toBe(200);
      await res.text();
      const q = await query(t, { prompt: "Summarise my account.", context: `Account holder: ${email!.other}.` });
      expect(q.res.status).toBe(200);
      await settle();

      expect(sentUpstream).toHaveLength(2);
      const upstream = JSON.stringify(sentUpstream);
      expectNoValue(upstream, "what the provider received");
      for (const p of ["[EMAIL]", "[PAYMENT_CARD]", "[PHONE]", "[IBAN]"]) expect(upstream).toContain(p);
    });

    it("tool-call arguments and names are redacted inside their JSON, which stays valid", async () => {
      const sentUpstream: { messages: { tool_calls?: { function: { arguments: string } }[]; name?: string }[] }[] = [];
      const original = rt.provider.send.bind(rt.provider);
      vi.spyOn(rt.provider, "send").mockImplementation(async (req) => {
        if ("body" in req) sentUpstream.push(structuredClone(req.body) as (typeof sentUpstream)[number]);
        return original(req);
      });
      const args = JSON.stringify({
        to: "maria.keller@gmail.com",
        card: 4111111111111111,
        note: "call +44 20 7946 0958",
      });
      const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
        token: t.key,
        body: {
          model: "gpt-4o-mini",
          messages: [
            { role: "user", content: "Send the receipt.", name: "tomasz.nowak@wp.pl" },
            {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "call_1", type: "function", function: { name: "send_receipt", arguments: args } }],
            },
            { role: "tool", tool_call_id: "call_1", content: "sent" },
            { role: "user", content: "Thanks, what next?" },
          ],
        },
      });
      expect(res.status).toBe(200);
      await res.text();
      await settle();
      expect(sentUpstream).toHaveLength(1);
      const [user, assistant] = sentUpstream[0]!.messages;
      expect(user!.name).toBe("[EMAIL]");
      expect(JSON.parse(assistant!.tool_calls![0]!.function.arguments)).toEqual({
        to: "[EMAIL]",
        card: "[PAYMENT_CARD]",
        note: "call [PHONE]",
      });
      expectNoValue(JSON.stringify(sentUpstream), "what the provider received");
    });

    it("the audit event names the kinds and carries the hash of the redacted prompt", async () => {
      const s = SAMPLES[3]!;
      const { res } = await chat(t, `Two accounts: ${s.value} and ${SAMPLES[0]!.value}. Which bank?`);
      expect(res.headers.get("x-cache")).toBe("MISS");
      const event = await auditEventOf(t.tenant, res.headers.get("x-request-id"));
      expect(event).toMatchObject({ status: 200, cache: "MISS", pii: ["email", "iban"] });
      expect(event.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe("block: 422, kinds named, values never, nothing written", async () => {
    const t = await newTenant("pblock", "block");

    it.each(SAMPLES)("chat and cache/query with $kind are refused before the provider", async (s) => {
      const provider = vi.spyOn(rt.provider, "send");
      const viaChat = await call(hostOf(t.tenant), "/v1/chat/completions", {
        token: t.key,
        body: chatBody(s.prompt(s.value)),
      });
      sent.push({ tenant: t.tenant, requestId: viaChat.headers.get("x-request-id") });
      const chatText = await viaChat.clone().text();
      await expectError(viaChat, 422, "pii_detected", "invalid_request_error");
      expect(JSON.parse(chatText).error.message).toContain(`(${s.kind})`);
      expectNoValue(chatText, "the refusal");

      const viaQuery = await call(hostOf(t.tenant), "/v1/cache/query", {
        token: t.key,
        body: { prompt: s.prompt(s.value), model: "gpt-4o-mini", user: "alice" },
      });
      sent.push({ tenant: t.tenant, requestId: viaQuery.headers.get("x-request-id") });
      const queryText = await viaQuery.clone().text();
      await expectError(viaQuery, 422, "pii_detected", "invalid_request_error");
      expectNoValue(queryText, "the refusal");
      await settle();

      expect(provider).not.toHaveBeenCalled();
      await expectNothingStored(t.tenant);
    });

    it("refuses personal data in a tool call's arguments, before the provider", async () => {
      const provider = vi.spyOn(rt.provider, "send");
      const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
        token: t.key,
        body: {
          model: "gpt-4o-mini",
          messages: [
            { role: "user", content: "Send the receipt." },
            {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: "call_1",
                  type: "function",
                  function: { name: "send_receipt", arguments: JSON.stringify({ to: "maria.keller@gmail.com" }) },
                },
              ],
            },
            { role: "tool", tool_call_id: "call_1", content: "sent" },
            { role: "user", content: "Thanks." },
          ],
        },
      });
      sent.push({ tenant: t.tenant, requestId: res.headers.get("x-request-id") });
      const text = await res.clone().text();
      await expectError(res, 422, "pii_detected", "invalid_request_error");
      expect(JSON.parse(text).error.message).toContain("(email)");
      expectNoValue(text, "the refusal");
      expect(provider).not.toHaveBeenCalled();
    });

    it("names every kind a prompt holds, in a streamed request too", async () => {
      const [email, card] = SAMPLES;
      const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
        token: t.key,
        body: chatBody(`Refund ${card!.value} and notify ${email!.value}`, { stream: true }),
      });
      sent.push({ tenant: t.tenant, requestId: res.headers.get("x-request-id") });
      const text = await res.clone().text();
      await expectError(res, 422, "pii_detected", "invalid_request_error");
      expect(JSON.parse(text).error.message).toContain("(email, payment_card)");
      expectNoValue(text, "the refusal");
      const event = await auditEventOf(t.tenant, res.headers.get("x-request-id"));
      expect(event).toMatchObject({ status: 422, code: "pii_detected", pii: ["email", "payment_card"] });
      await expectNothingStored(t.tenant);
    });

    it("innocent prompts (versions, dates, maths, numbers failing Luhn) are neither refused nor kept from the cache", async () => {
      for (const p of INNOCENT) {
        const first = await chat(t, p);
        expect(first.res.status, p).toBe(200);
        expect(first.res.headers.get("x-cache"), p).toBe("MISS");
        const again = await chat(t, p);
        expect(again.res.headers.get("x-cache"), p).toBe("HIT-EXACT");
        const event = await auditEventOf(t.tenant, first.res.headers.get("x-request-id"));
        expect(event.pii).toBeNull();
      }
      expect((await objectCounts(t.tenant)).entries).toBe(INNOCENT.length);
    });
  });

  describe("an answer holding personal data is never stored", async () => {
    // The local provider restates the question; to get personal data in an answer to a clean prompt, this
    // describe runs the gateway against a stubbed upstream (PROVIDER=ai-gateway with fetch replaced).
    const aiGateway = aiGatewayEnv();
    const t = await newTenant("panswer");
    const leaky = `You can reach our billing lead at ${SAMPLES[0]!.value} or on ${SAMPLES[2]!.value}.`;
    const completion = {
      id: "chatcmpl-upstream",
      object: "chat.completion",
      created: 1,
      model: "openai/gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: leaky }, finish_reason: "stop" }],
      usage: { prompt_tokens: 9, completion_tokens: 20, total_tokens: 29 },
    };
    const sse = () => {
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "openai/gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const words = leaky.split(/(?<= )/);
      return new Response(
        [
          chunk({ role: "assistant", content: "" }, null),
          ...words.map((w) => chunk({ content: w }, null)),
          chunk({}, "stop"),
          "data: [DONE]\n\n",
        ].join(""),
        { headers: { "content-type": "text/event-stream" } },
      );
    };

    async function ask(stream: boolean) {
      const res = await call(hostOf(t.tenant), "/v1/chat/completions", {
        env: aiGateway,
        token: t.key,
        body: {
          model: "openai/gpt-4o-mini",
          messages: [{ role: "user", content: "Who handles billing questions?" }],
          stream,
        },
      });
      const text = await res.text();
      await settle();
      sent.push({ tenant: t.tenant, requestId: res.headers.get("x-request-id") });
      return { res, text };
    }

    it("whole answers: MISS twice, no entry id, nothing in KV or the object, the reason audited", async () => {
      const upstream = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(completion));
      const first = await ask(false);
      expect(first.res.status).toBe(200);
      expect(first.res.headers.get("x-cache")).toBe("MISS");
      expect(first.res.headers.get("x-cache-entry-id")).toBeNull();
      expect(answerOf(first.text)).toBe(leaky);
      const second = await ask(false);
      expect(second.res.headers.get("x-cache")).toBe("MISS");
      expect(upstream).toHaveBeenCalledTimes(2);
      await expectNothingStored(t.tenant);
      const event = await auditEventOf(t.tenant, first.res.headers.get("x-request-id"));
      expect(event).toMatchObject({ cache: "MISS", cache_reason: "pii:answer", entry_id: null, pii: null });
    });

    /**
     * Chat and the Responses API answered with these, each asked twice: the answer (`text`) passed on, nothing
     * stored, the trail saying why (pii:answer).
     */
    const expectServedNeverStored = async (chatAnswer: object, response: object, text: string) => {
      const upstream = vi
        .spyOn(globalThis, "fetch")
        .mockImplementation(async (url) => Response.json(String(url).endsWith("/responses") ? response : chatAnswer));
      const first = await ask(false);
      expect(first.res.headers.get("x-cache")).toBe("MISS");
      expect(answerOf(first.text)).toBe(text);
      expect((await ask(false)).res.headers.get("x-cache")).toBe("MISS");
      for (let i = 0; i < 2; i++) {
        const res = await call(hostOf(t.tenant), "/v1/responses", {
          env: aiGateway,
          token: t.key,
          body: { model: "openai/gpt-4o-mini", input: "Who handles billing questions?", store: false },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-cache")).toBe("MISS");
        expect(res.headers.get("x-cache-entry-id")).toBeNull();
        await res.text();
        await settle();
      }
      expect(upstream).toHaveBeenCalledTimes(4);
      await expectNothingStored(t.tenant);
      const event = await auditEventOf(t.tenant, first.res.headers.get("x-request-id"));
      expect(event).toMatchObject({ cache: "MISS", cache_reason: "pii:answer", entry_id: null });
    };

    // Regression: only the answer's text was scanned, so the rest of what is stored — a chat message's reasoning
    // (`reasoning_content`, which reasoning models behind AI Gateway's compat endpoint return beside the content)
    // or a Response's reasoning summary — was kept with the personal data in it, and served on every hit.
    it("an answer whose reasoning holds personal data, beside a clean text, is not stored either (both APIs)", async () => {
      const clean = "Ask the billing team.";
      const chatAnswer = {
        ...completion,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: clean, reasoning_content: `The lead is ${SAMPLES[0]!.value}.` },
            finish_reason: "stop",
          },
        ],
      };
      const response = upstreamResponse(clean, [
        { id: "rs_1", type: "reasoning", summary: [{ type: "summary_text", text: `Card ${SAMPLES[2]!.value}.` }] },
      ]);
      await expectServedNeverStored(chatAnswer, response, clean);
    });

    // Regression: every string starting with "data:" was passed over as a data URL (an encoded file), so an answer
    // whose text began with it — a model writing out server-sent events, say — was stored with the personal data
    // in it, and served on every hit.
    it("an answer whose text starts with 'data:' is scanned, and not stored when it holds personal data", async () => {
      const framed = `data: ${leaky}`;
      const chatAnswer = {
        ...completion,
        choices: [{ index: 0, message: { role: "assistant", content: framed }, finish_reason: "stop" }],
      };
      await expectServedNeverStored(chatAnswer, upstreamResponse(framed), framed);
    });

    it("streamed answers: passed through, then not stored", async () => {
      const upstream = vi.spyOn(globalThis, "fetch").mockImplementation(async () => sse());
      const first = await ask(true);
      expect(first.res.status).toBe(200);
      expect(first.text).toContain("data: [DONE]");
      const second = await ask(true);
      expect(second.res.headers.get("x-cache")).toBe("MISS");
      expect(upstream).toHaveBeenCalledTimes(2);
      await expectNothingStored(t.tenant);
      const event = await auditEventOf(t.tenant, first.res.headers.get("x-request-id"));
      expect(event).toMatchObject({ cache: "MISS", cache_reason: "pii:answer", entry_id: null });
    });
  });

  it("no value reaches D1: every table of the audit database, once every event of this file is in", async () => {
    for (const r of sent) await auditEventOf(r.tenant, r.requestId);
    const tables = (
      await env.AUDIT_DB.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
      ).all<{ name: string }>()
    ).results.map((r) => r.name);
    expect(tables).toContain("audit_events");
    let scanned = 0;
    for (const table of tables) {
      const rows = (await env.AUDIT_DB.prepare(`SELECT * FROM "${table}"`).all()).results;
      scanned += rows.length;
      expectNoValue(JSON.stringify(rows), `D1 table ${table}`);
    }
    expect(scanned).toBeGreaterThanOrEqual(sent.length);
    // Events the logger refused would sit in the dead letters: none of this file's was.
    const dead = await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters").first<{ n: number }>();
    expect(dead?.n).toBe(0);
    // Nor did any value reach KV, in either namespace, for any tenant of this file.
    for (const tenant of tenants) {
      for (const key of await cacheKvKeys(tenant)) expectNoValue((await env.CACHE.get(key)) ?? "", `KV ${key}`);
    }
  });
});
