// The production provider configuration: requests go to AI Gateway's OpenAI-compatible endpoint with the
// configured credentials and Cordon's headers; the provider's answer is cached like any other.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import gateway from "../../src/gateway/index";
import type { TenantRecord } from "../../src/gateway/storage/records";
import { EMBEDDING_ANSWER_BYTES, MAX_ANSWER_BYTES } from "../../src/gateway/upstream/errors";
import { sseResponse, upstreamCompletion, upstreamResponse } from "../fixtures/upstream";
import { aiGatewayEnv, createKey, createTenant, expectError, hostOf, rootToken, uniqueTenant } from "../helpers";

const aiGateway = aiGatewayEnv({
  PROVIDER_API_KEY: "provider-secret-value",
  AI_GATEWAY_TOKEN: "gateway-token-value",
});

const completion = upstreamCompletion;

async function send(host: string, key: string, body: unknown, path = "/v1/chat/completions", method = "POST") {
  const ctx = createExecutionContext();
  const res = await gateway.fetch(
    new Request(`https://${host}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    aiGateway,
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, text };
}

afterEach(() => vi.restoreAllMocks());

describe("AI Gateway provider", async () => {
  const tenant = uniqueTenant("aig");
  await createTenant(tenant);
  const key = await createKey(tenant);

  it("calls the compat endpoint with credentials, per-tenant metadata and AI Gateway caching off", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(completion("Paris.")));
    const body = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Capital of France?" }] };
    const first = await send(hostOf(tenant), key, body);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get("x-cache")).toBe("MISS");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [url, init] = fetchSpy.mock.calls[0]! as [string, RequestInit];
    expect(url).toBe("https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/compat/chat/completions");
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer provider-secret-value");
    expect(headers.get("cf-aig-authorization")).toBe("Bearer gateway-token-value");
    expect(headers.get("cf-aig-skip-cache")).toBe("true");
    expect(JSON.parse(headers.get("cf-aig-metadata")!)).toEqual({ tenant });
    expect(JSON.parse(init.body as string)).toEqual(body);

    const second = await send(hostOf(tenant), key, body);
    expect(second.res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(second.text).not.toContain("provider-secret-value");
  });

  // Regression: AI Gateway logs every call it carries, prompt and answer in clear, unless told not to, and Cordon
  // did not tell it: a no-store request, a prompt kept from the cache as personal data, and a user's erased
  // entries all stayed readable in the gateway's logs by anyone with access to the account.
  it("asks AI Gateway to keep no log of any call: chat, embeddings, Responses and stored responses", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      const path = String(url);
      if (path.endsWith("/embeddings"))
        return Response.json({ data: [{ index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 2 } });
      if (path.includes("/responses")) return Response.json({ ...upstreamResponse("Hi."), id: "resp_logs" });
      return Response.json(completion("Paris."));
    });
    const asked = [
      await send(hostOf(tenant), key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Logs?" }] }),
      await send(hostOf(tenant), key, { model: "openai/text-embedding-3-small", input: "Logs?" }, "/v1/embeddings"),
      await send(hostOf(tenant), key, { model: "openai/gpt-4o-mini", input: "Logs?" }, "/v1/responses"),
      await send(hostOf(tenant), key, undefined, "/v1/responses/resp_logs", "GET"),
    ];
    for (const { res, text } of asked) expect(res.status, text).toBe(200);
    expect(fetchSpy).toHaveBeenCalledTimes(asked.length);
    for (const [url, init] of fetchSpy.mock.calls as [string, RequestInit][]) {
      expect(new Headers(init.headers).get("cf-aig-collect-log"), url).toBe("false");
    }
  });

  it("retries once on a 503 and then answers", async () => {
    let calls = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      ++calls === 1 ? new Response("busy", { status: 503 }) : Response.json(completion("Berlin.")),
    );
    const { res } = await send(hostOf(tenant), key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "Capital of Germany?" }],
    });
    expect(res.status).toBe(200);
    expect(calls).toBe(2);
  });

  it("does not pass a provider's refusal of its credential through, and never caches it", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () =>
        new Response(JSON.stringify({ error: { message: "Incorrect API key provided: provider-secret-value" } }), {
          status: 401,
        }),
    );
    const body = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Capital of Spain?" }] };
    const failed = await send(hostOf(tenant), key, body);
    expect(failed.res.status).toBe(502);
    expect(failed.text).not.toContain("provider-secret-value");
    expect(JSON.parse(failed.text).error).toMatchObject({ type: "upstream_error", code: "provider_auth_failed" });
    vi.restoreAllMocks();
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(completion("Madrid.")));
    expect((await send(hostOf(tenant), key, body)).res.headers.get("x-cache")).toBe("MISS");
    expect(spy).toHaveBeenCalledTimes(1);
  });

  // Regression: the provider's fetch followed redirects, so a redirect answered by the provider's URL sent the
  // prompt and AI Gateway's token (a header the fetch standard keeps across origins) to wherever it pointed, and
  // the client got the redirect's status passed on as a refusal.
  it("never follows a redirect: the provider did not answer", async () => {
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(
        async () => new Response(null, { status: 307, headers: { location: "https://collector.example/v1" } }),
      );
    const failed = await send(hostOf(tenant), key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "Capital of Portugal?" }],
    });
    expect(failed.res.status).toBe(502);
    expect(JSON.parse(failed.text).error).toMatchObject({ type: "upstream_error", code: "provider_error" });
    expect(failed.res.headers.get("location")).toBeNull();
    expect(fetchSpy.mock.calls.length).toBeGreaterThan(0);
    for (const [url, init] of fetchSpy.mock.calls as [string, RequestInit][]) {
      expect(url).toBe("https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/compat/chat/completions");
      expect(init.redirect).toBe("manual");
    }
  });

  it("requires models named 'provider/model'", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    const { res, text } = await send(hostOf(tenant), key, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi there" }],
    });
    await expectError(
      new Response(text, { status: res.status, headers: res.headers }),
      400,
      "invalid_model",
      "invalid_request_error",
    );
    expect(spy).not.toHaveBeenCalled();
  });

  it("sends the Responses API to AI Gateway's OpenAI endpoint with OpenAI's model name, and caches it", async () => {
    const response = upstreamResponse("Rome.");
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(response));
    const body = { model: "openai/gpt-4o-mini", input: "Capital of Italy?", store: false };
    const first = await send(hostOf(tenant), key, body, "/v1/responses");
    expect(first.res.status, first.text).toBe(200);
    const [url, init] = spy.mock.calls[0]! as [string, RequestInit];
    expect(url).toBe("https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/openai/responses");
    expect(JSON.parse(init.body as string)).toEqual({ ...body, model: "gpt-4o-mini" });
    const second = await send(hostOf(tenant), key, body, "/v1/responses");
    expect(second.res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(spy).toHaveBeenCalledTimes(1);

    const other = await send(hostOf(tenant), key, { ...body, model: "anthropic/claude-sonnet-4" }, "/v1/responses");
    expect(other.res.status).toBe(400);
    expect(JSON.parse(other.text).error.code).toBe("invalid_model");
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("reads and deletes a stored response at AI Gateway's OpenAI endpoint, by its id and with the query", async () => {
    const stored = { ...upstreamResponse("Oslo."), store: true };
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(stored));
    const made = await send(
      hostOf(tenant),
      key,
      { model: "openai/gpt-4o-mini", input: "Capital of Norway?" },
      "/v1/responses",
    );
    expect(made.res.status, made.text).toBe(200);
    const id = JSON.parse(made.text).id as string;
    const read = await send(
      hostOf(tenant),
      key,
      undefined,
      `/v1/responses/${id}?include=reasoning.encrypted_content`,
      "GET",
    );
    expect(read.res.status, read.text).toBe(200);
    expect(JSON.parse(read.text).id).toBe(id);
    const [url, init] = spy.mock.calls[1]! as [string, RequestInit];
    expect(url).toBe(
      `https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/openai/responses/${id}?include=reasoning.encrypted_content`,
    );
    expect(init.method).toBe("GET");
    expect(init.body).toBeUndefined();
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer provider-secret-value");
    expect(headers.get("cf-aig-skip-cache")).toBe("true");
    expect(headers.get("content-type")).toBeNull();
    spy.mockImplementation(async () => Response.json({ id, object: "response", deleted: true }));
    const deleted = await send(hostOf(tenant), key, undefined, `/v1/responses/${id}`, "DELETE");
    expect(deleted.res.status, deleted.text).toBe(200);
    expect((spy.mock.calls[2]! as [string, RequestInit])[1].method).toBe("DELETE");
    expect((await send(hostOf(tenant), key, undefined, `/v1/responses/${id}`, "GET")).res.status).toBe(404);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("cancels a stored background response at AI Gateway's OpenAI endpoint, with no body", async () => {
    const id = "resp_aig_background";
    const queued = { ...upstreamResponse(""), id, output: [], status: "queued", background: true, store: true };
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(queued));
    const body = { model: "openai/gpt-4o-mini", input: "Summarise the archive.", background: true };
    const made = await send(hostOf(tenant), key, body, "/v1/responses");
    expect(made.res.status, made.text).toBe(200);
    spy.mockImplementation(async () => Response.json({ ...queued, status: "cancelled" }));
    const cancelled = await send(hostOf(tenant), key, undefined, `/v1/responses/${id}/cancel`, "POST");
    expect(cancelled.res.status, cancelled.text).toBe(200);
    expect(JSON.parse(cancelled.text)).toMatchObject({ id, status: "cancelled" });
    expect(spy).toHaveBeenCalledTimes(2);
    const [url, init] = spy.mock.calls[1]! as [string, RequestInit];
    expect(url).toBe(`https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/openai/responses/${id}/cancel`);
    expect(init.method).toBe("POST");
    expect(init.body).toBeUndefined();
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer provider-secret-value");
    expect(headers.get("cf-aig-authorization")).toBe("Bearer gateway-token-value");
    expect(headers.get("cf-aig-skip-cache")).toBe("true");
    expect(JSON.parse(headers.get("cf-aig-metadata")!)).toEqual({ tenant });
    expect(headers.get("content-type")).toBeNull();
  });

  it("streams a stored response's events from AI Gateway's OpenAI endpoint as they come, with the query", async () => {
    const id = "resp_aig_stream";
    const queued = { ...upstreamResponse(""), id, output: [], status: "queued", background: true, store: true };
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json(queued));
    const body = { model: "openai/gpt-4o-mini", input: "Stream the archive.", background: true };
    expect((await send(hostOf(tenant), key, body, "/v1/responses")).res.status).toBe(200);
    let upstream: ReadableStreamDefaultController<Uint8Array> | undefined;
    spy.mockImplementation(
      async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              upstream = c;
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const event = (e: { type: string } & Record<string, unknown>) =>
      new TextEncoder().encode(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    const ctx = createExecutionContext();
    const query = "?stream=true&starting_after=2";
    const res = await gateway.fetch(
      new Request(`https://${hostOf(tenant)}/v1/responses/${id}${query}`, {
        headers: { authorization: `Bearer ${key}` },
      }),
      aiGateway,
      ctx,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    upstream!.enqueue(event({ type: "response.output_text.delta", sequence_number: 3, delta: "Chapter one" }));
    // The event reaches the client while the provider's stream is still open: nothing is held back.
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"sequence_number":3');
    upstream!.enqueue(event({ type: "response.completed", sequence_number: 4, response: upstreamResponse("Done.") }));
    upstream!.close();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain("event: response.completed");
    await waitOnExecutionContext(ctx);
    const [url, init] = spy.mock.calls[1]! as [string, RequestInit];
    expect(url).toBe(`https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/openai/responses/${id}${query}`);
    expect(init.method).toBe("GET");
    expect(init.body).toBeUndefined();
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer provider-secret-value");
    expect(headers.get("cf-aig-skip-cache")).toBe("true");
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("lists a stored response's input items at AI Gateway's OpenAI endpoint, with the query", async () => {
    const id = "resp_aig_items";
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ ...upstreamResponse("Lima."), id, store: true }));
    const made = await send(
      hostOf(tenant),
      key,
      { model: "openai/gpt-4o-mini", input: "Capital of Peru?" },
      "/v1/responses",
    );
    expect(made.res.status, made.text).toBe(200);
    const item = {
      id: "msg_in",
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Capital of Peru?" }],
    };
    const list = { object: "list", data: [item], first_id: "msg_in", last_id: "msg_in", has_more: false };
    spy.mockImplementation(async () => Response.json(list));
    const query = "?after=msg_0&limit=5&order=asc&include%5B%5D=message.input_image.image_url";
    const listed = await send(hostOf(tenant), key, undefined, `/v1/responses/${id}/input_items${query}`, "GET");
    expect(listed.res.status, listed.text).toBe(200);
    expect(JSON.parse(listed.text)).toEqual(list);
    const [url, init] = spy.mock.calls[1]! as [string, RequestInit];
    expect(url).toBe(
      `https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/openai/responses/${id}/input_items${query}`,
    );
    expect(init.method).toBe("GET");
    expect(init.body).toBeUndefined();
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer provider-secret-value");
    expect(headers.get("cf-aig-skip-cache")).toBe("true");
    expect(JSON.parse(headers.get("cf-aig-metadata")!)).toEqual({ tenant });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  // Regression: a refusal of GET, DELETE, POST …/cancel or GET …/input_items of a stored response was scrubbed of
  // the tenant's virtual key only, so the deployment's provider key and AI Gateway token it echoed reached the client.
  it("scrubs the deployment's credentials from the provider's refusal of a stored response, on every route", async () => {
    const id = "resp_aig_echo";
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ ...upstreamResponse("Quito."), id, store: true }));
    const made = await send(
      hostOf(tenant),
      key,
      { model: "openai/gpt-4o-mini", input: "Capital of Ecuador?" },
      "/v1/responses",
    );
    expect(made.res.status, made.text).toBe(200);
    spy.mockImplementation(async () =>
      Response.json(
        {
          error: {
            message: "Bad request sent with provider-secret-value and gateway-token-value.",
            type: "invalid_request_error",
            code: null,
            param: "gateway-token-value",
          },
        },
        { status: 400 },
      ),
    );
    const routes = [
      ["GET", `/v1/responses/${id}`],
      ["DELETE", `/v1/responses/${id}`],
      ["POST", `/v1/responses/${id}/cancel`],
      ["GET", `/v1/responses/${id}/input_items?limit=5`],
    ] as const;
    for (const [method, path] of routes) {
      const refused = await send(hostOf(tenant), key, undefined, path, method);
      expect(refused.res.status, `${method} ${path}`).toBe(400);
      expect(refused.text, `${method} ${path}`).not.toContain("provider-secret-value");
      expect(refused.text, `${method} ${path}`).not.toContain("gateway-token-value");
      expect(JSON.parse(refused.text).error.message).toContain("[CREDENTIAL]");
    }
  });

  // Regression: a fallback stored before fallbacks had to name their provider (`gpt-4o`) was sent to AI Gateway,
  // which refused it, and a refusal ends the list: the fallback after it was never tried.
  it("skips a stored fallback AI Gateway cannot route, and tries the next", async () => {
    const legacy = uniqueTenant("aigfb");
    await createTenant(legacy);
    const legacyKey = await createKey(legacy);
    const recordKey = `_tenant:${legacy}`;
    const record = (await env.TENANTS.get<TenantRecord>(recordKey, "json"))!;
    const policy = { ...record.policy, fallbacks: ["gpt-4o", "openai/gpt-4o"] };
    await env.TENANTS.put(recordKey, JSON.stringify({ ...record, policy }));
    const asked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      const model = JSON.parse(String((init as RequestInit).body)).model as string;
      asked.push(model);
      // AI Gateway's compat endpoint refuses a model without its provider; the requested one is down.
      if (!model.includes("/")) {
        return Response.json({ error: { message: "Invalid model", type: "invalid_request_error" } }, { status: 400 });
      }
      return model === "openai/gpt-4o" ? Response.json(completion("Lisbon.")) : new Response("down", { status: 500 });
    });
    const { res, text } = await send(hostOf(legacy), legacyKey, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "Capital of Portugal?" }],
    });
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text).choices[0].message.content).toBe("Lisbon.");
    expect(asked.filter((m) => m !== "openai/gpt-4o-mini")).toEqual(["openai/gpt-4o"]);
  });

  describe("what the provider sends is read no further than its bound", () => {
    /** A body that never ends, `{"a":"xxx…`, counting the bytes it was asked for (`read.bytes`). */
    const endless = (read: { bytes: number }, status = 200) => {
      const piece = new TextEncoder().encode("x".repeat(1024 * 1024));
      return new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"a":"'));
          },
          pull(c) {
            read.bytes += piece.length;
            c.enqueue(piece);
          },
        }),
        { status, headers: { "content-type": "application/json" } },
      );
    };
    const chat = (content: string) => ({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content }] });

    // Regression: an answer was read whole, however long, so an endless one held the request until the
    // isolate ran out of memory.
    it("an answer longer than MAX_ANSWER_BYTES is 502 upstream_invalid_response", async () => {
      const read = { bytes: 0 };
      const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => endless(read));
      const { res, text } = await send(hostOf(tenant), key, chat("Capital of Chile?"));
      expect(res.status, text).toBe(502);
      expect(JSON.parse(text).error.code).toBe("upstream_invalid_response");
      expect(spy).toHaveBeenCalledTimes(1);
      expect(read.bytes).toBeGreaterThan(MAX_ANSWER_BYTES - 1024 * 1024);
      expect(read.bytes).toBeLessThanOrEqual(MAX_ANSWER_BYTES + 2 * 1024 * 1024);
    });

    it("an answer declared longer than MAX_ANSWER_BYTES is not read at all", async () => {
      const read = { bytes: 0 };
      vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
        const res = endless(read);
        return new Response(res.body, {
          headers: { "content-type": "application/json", "content-length": String(MAX_ANSWER_BYTES + 1) },
        });
      });
      const { res, text } = await send(hostOf(tenant), key, chat("Capital of Peru?"));
      expect(res.status, text).toBe(502);
      expect(JSON.parse(text).error.code).toBe("upstream_invalid_response");
      expect(read.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    });

    // Regression: a refusal's body was read whole before its length was checked.
    it("a refusal is read to 64 KiB: a longer one is passed on with a message of Cordon's", async () => {
      const read = { bytes: 0 };
      vi.spyOn(globalThis, "fetch").mockImplementation(async () => endless(read, 400));
      const { res, text } = await send(hostOf(tenant), key, chat("Capital of Bolivia?"));
      expect(res.status, text).toBe(400);
      expect(JSON.parse(text).error.message).toBe("The model provider returned HTTP 400.");
      expect(read.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    });

    it("an embeddings answer is held to EMBEDDING_ANSWER_BYTES for each input asked", async () => {
      // Vectors of `n` numbers of 17 characters each in JSON: 12,000 make about 1.6 inputs' bound, 6,500 about 0.9.
      const vector = (n: number) => Array.from({ length: n }, (_, i) => 0.1234567890123 + i / 1e9);
      const answer = (asked: number, n: number) => ({
        object: "list",
        model: "text-embedding-3-small",
        data: Array.from({ length: asked }, (_, index) => ({ object: "embedding", index, embedding: vector(n) })),
        usage: { prompt_tokens: 2, total_tokens: 2 },
      });
      let numbers = 12_000;
      vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
        const asked = JSON.parse(String((init as RequestInit).body)).input as string[];
        return Response.json(answer(asked.length, numbers));
      });
      const embed = (input: string[]) =>
        send(hostOf(tenant), key, { model: "openai/text-embedding-3-small", input }, "/v1/embeddings");
      expect(JSON.stringify(answer(1, 12_000)).length).toBeGreaterThan(EMBEDDING_ANSWER_BYTES);
      const one = await embed(["tall"]);
      expect(one.res.status, one.text).toBe(502);
      expect(JSON.parse(one.text).error.code).toBe("upstream_invalid_response");
      // Two inputs' answer, longer than one input's bound, within two inputs'.
      numbers = 6_500;
      const length = JSON.stringify(answer(2, 6_500)).length;
      expect(length).toBeGreaterThan(EMBEDDING_ANSWER_BYTES);
      expect(length).toBeLessThan(2 * EMBEDDING_ANSWER_BYTES);
      const two = await embed(["taller", "tallest"]);
      expect(two.res.status, two.text).toBe(200);
      expect(JSON.parse(two.text).data).toHaveLength(2);
    });

    it("a stored response longer than MAX_ANSWER_BYTES is 502 upstream_invalid_response", async () => {
      const id = "resp_aig_endless";
      const spy = vi
        .spyOn(globalThis, "fetch")
        .mockImplementation(async () => Response.json({ ...upstreamResponse("Kept."), id, store: true }));
      const made = await send(
        hostOf(tenant),
        key,
        { model: "openai/gpt-4o-mini", input: "Keep this." },
        "/v1/responses",
      );
      expect(made.res.status, made.text).toBe(200);
      const read = { bytes: 0 };
      spy.mockImplementation(async () => endless(read));
      const got = await send(hostOf(tenant), key, undefined, `/v1/responses/${id}`, "GET");
      expect(got.res.status, got.text).toBe(502);
      expect(JSON.parse(got.text).error.code).toBe("upstream_invalid_response");
      expect(read.bytes).toBeLessThanOrEqual(MAX_ANSWER_BYTES + 2 * 1024 * 1024);
    });
  });

  // Regression: the provider's count of cached prompt tokens was passed on. Tenants without a virtual key share the
  // deployment's provider account, and so its prompt cache: the count told one tenant that another had sent the
  // same long prompt prefix minutes before.
  describe("regression: under the deployment's shared credential, the cached prompt tokens are not told", async () => {
    const withKey = uniqueTenant("aigvk");
    await createTenant(withKey);
    const ownKey = await createKey(withKey);
    const added = await send(
      hostOf(withKey),
      rootToken(),
      {
        name: "own",
        provider: "openai",
        api_key: `sk-own-${crypto.randomUUID()}`,
      },
      "/v1/admin/virtual-keys",
    );
    if (added.res.status !== 201) throw new Error(`virtual key: ${added.res.status} ${added.text}`);
    const CACHED = 1152;
    const usage = {
      prompt_tokens: 1300,
      completion_tokens: 8,
      total_tokens: 1308,
      prompt_tokens_details: { cached_tokens: CACHED },
    };
    const responsesUsage = {
      input_tokens: 1300,
      output_tokens: 8,
      total_tokens: 1308,
      input_tokens_details: { cached_tokens: CACHED },
      output_tokens_details: { reasoning_tokens: 0 },
    };
    const cachedOf = (text: string) => {
      const found = [...text.matchAll(/"cached_tokens":(\d+)/g)].map((m) => Number(m[1]));
      expect(found.length, text).toBeGreaterThan(0);
      return found;
    };

    it("in a completion, whole or streamed, and in what is stored of it", async () => {
      vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
        const body = JSON.parse(String((init as RequestInit).body));
        if (!body.stream) return Response.json({ ...completion("Quito."), usage });
        const chunk = (delta: object, finish: string | null) => ({
          id: "c",
          object: "chat.completion.chunk",
          created: 1,
          model: "gpt-4o-mini",
          choices: [{ index: 0, delta, finish_reason: finish }],
        });
        return sseResponse([
          JSON.stringify(chunk({ role: "assistant", content: "Quito." }, null)),
          JSON.stringify(chunk({}, "stop")),
          JSON.stringify({
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "gpt-4o-mini",
            choices: [],
            usage,
          }),
          "[DONE]",
        ]);
      });
      const ask = (host: string, k: string, content: string, stream = false) =>
        send(host, k, {
          model: "openai/gpt-4o-mini",
          messages: [{ role: "user", content }],
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        });
      const whole = await ask(hostOf(tenant), key, "Capital of Ecuador?");
      expect(whole.res.headers.get("x-cache")).toBe("MISS");
      expect(cachedOf(whole.text)).toEqual([0]);
      const hit = await ask(hostOf(tenant), key, "Capital of Ecuador?");
      expect(hit.res.headers.get("x-cache")).toBe("HIT-EXACT");
      expect(hit.text).not.toContain(`"cached_tokens":${CACHED}`);
      const streamed = await ask(hostOf(tenant), key, "Capital of Ecuador, streamed?", true);
      expect(cachedOf(streamed.text)).toEqual([0]);
      // A tenant calling with its own provider account is told its own cache's count.
      expect(cachedOf((await ask(hostOf(withKey), ownKey, "Capital of Ecuador?")).text)).toEqual([CACHED]);
      expect(cachedOf((await ask(hostOf(withKey), ownKey, "Capital of Ecuador, streamed?", true)).text)).toEqual([
        CACHED,
      ]);
    });

    it("in a response, whole or streamed, and in a stored response read back", async () => {
      const made = (id: string) => ({ ...upstreamResponse("Lima."), id, usage: responsesUsage });
      const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
        const body = JSON.parse(String((init as RequestInit).body ?? "{}"));
        if (!body.stream) return Response.json(made("resp_aig_cached"));
        const event = (e: { type: string } & Record<string, unknown>) =>
          `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
        return new Response(
          event({
            type: "response.created",
            sequence_number: 0,
            response: { ...made("resp_aig_cached_s"), status: "in_progress", output: [], usage: null },
          }) + event({ type: "response.completed", sequence_number: 1, response: made("resp_aig_cached_s") }),
          { headers: { "content-type": "text/event-stream" } },
        );
      });
      const whole = await send(
        hostOf(tenant),
        key,
        { model: "openai/gpt-4o-mini", input: "Capital of Peru?" },
        "/v1/responses",
      );
      expect(whole.res.status, whole.text).toBe(200);
      expect(cachedOf(whole.text)).toEqual([0]);
      const streamed = await send(
        hostOf(tenant),
        key,
        { model: "openai/gpt-4o-mini", input: "Capital of Peru, streamed?", stream: true },
        "/v1/responses",
      );
      expect(cachedOf(streamed.text)).toEqual([0]);
      spy.mockImplementation(async () => Response.json(made("resp_aig_cached")));
      const read = await send(hostOf(tenant), key, undefined, "/v1/responses/resp_aig_cached", "GET");
      expect(read.res.status, read.text).toBe(200);
      expect(cachedOf(read.text)).toEqual([0]);
      const own = await send(
        hostOf(withKey),
        ownKey,
        { model: "openai/gpt-4o-mini", input: "Capital of Peru?" },
        "/v1/responses",
      );
      expect(cachedOf(own.text)).toEqual([CACHED]);
    });
  });
});
