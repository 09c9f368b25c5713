// POST /v1/responses passing things on: stateful requests (OpenAI's default store, previous_response_id,
// conversation, background) go to the provider and are never cached; stored responses are read, deleted,
// cancelled, listed and streamed again (resumed) at the provider, for their owner only; request fields reach the
// provider unchanged and partition the cache unless answer-neutral; chat and Responses entries are kept apart;
// provider failures are passed on in the provider's terms without storing anything.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { UpstreamAttemptError } from "../../src/gateway/ports/provider";
import { getRuntime } from "../../src/gateway/runtime";
import { auditEventWhere, call, chatBody, createKey, expectError, rootToken, settle, tenantWithKey } from "../helpers";
import { callWith, eventOf, label, provider, settleAll } from "./gateway-helpers";
import { catalogCount, eventsOf, outputText, respond, type StreamEvent, stateless } from "./responses-helpers";

describe("stateful requests are passed through", async () => {
  const t = await tenantWithKey("rstate");
  await settle();

  it("without store: false (OpenAI's default keeps the response) nothing is cached", async () => {
    const before = await catalogCount(t.tenant);
    for (let i = 0; i < 2; i++) {
      const r = await respond(t, { model: "gpt-4o-mini", input: "Remember this conversation." });
      expect(r.status, r.text).toBe(200);
      expect(r.cache).toBe("BYPASS");
      expect(r.reason).toBe("bypass:stateful");
      expect(r.entryId).toBeNull();
      expect(r.json().store).toBe(true);
    }
    const streamed = await respond(t, { model: "gpt-4o-mini", input: "Remember this conversation.", stream: true });
    expect(streamed.cache).toBe("BYPASS");
    expect(streamed.reason).toBe("bypass:stateful");
    expect(eventsOf(streamed.text).at(-1)!.type).toBe("response.completed");
    expect(await catalogCount(t.tenant)).toBe(before);
  });

  it("previous_response_id continues the provider's conversation; conversation and background bypass", async () => {
    const first = (await respond(t, { model: "gpt-4o-mini", input: "My favourite colour is teal." })).json();
    for (const extra of [{}, { store: false }]) {
      const next = await respond(
        t,
        stateless("What is my favourite colour?", { previous_response_id: first.id, ...extra }),
      );
      expect(next.status, next.text).toBe(200);
      expect(next.cache).toBe("BYPASS");
      expect(next.json().previous_response_id).toBe(first.id);
    }
    const unknown = await respond(t, stateless("Go on.", { previous_response_id: "resp_unknown" }));
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error).toMatchObject({ code: "previous_response_not_found" });
    // Regression: another tenant could continue from this tenant's stored response by its id (the provider keeps
    // it under the deployment's credential, which both share). Refused before the provider is asked.
    const other = await tenantWithKey("rpass-other");
    const stolen = await respond(other, stateless("What is my favourite colour?", { previous_response_id: first.id }));
    expect(stolen.status).toBe(400);
    expect(JSON.parse(stolen.text).error).toMatchObject({ code: "previous_response_not_found" });
    expect(stolen.text).not.toContain("teal");
    const background = await respond(t, stateless("Stateful by another field.", { background: true }));
    expect(background.cache).toBe("BYPASS");
    expect(background.reason).toBe("bypass:stateful");
  });

  // Regression: a conversation id was passed on under the deployment's credential, which tenants without a
  // virtual key share: any conversation of the deployment's account (another tenant's, the operator's) was read.
  it("a conversation is reached only with the tenant's own provider credential", async () => {
    const asked = (extra: Record<string, unknown>, headers: Record<string, string> = {}) =>
      respond(t, stateless("Stateful by another field.", extra), headers);
    for (const conversation of ["conv_123", { id: "conv_123" }]) {
      const refused = await asked({ conversation });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text).error).toMatchObject({
        code: "provider_object_not_found",
        type: "invalid_request_error",
      });
      expect(JSON.parse(refused.text).error.message).toContain("conv_123");
    }
    const vk = await call(t.host, "/v1/admin/virtual-keys", {
      token: rootToken(),
      body: { name: "own", provider: "openai", api_key: "sk-the-tenants-own-account-0000" },
    });
    expect(vk.status).toBe(201);
    const own = { "x-cordon-virtual-key": ((await vk.json()) as { id: string }).id };
    const r = await asked({ conversation: "conv_123" }, own);
    expect(r.status, r.text).toBe(200);
    expect(r.cache).toBe("BYPASS");
    expect(r.reason).toBe("bypass:stateful");
  });

  // Regression: previous_response_id was checked, but an `item_reference` input item reached the provider
  // unchecked — and the provider resolves an item id under the credential it was stored with, which every tenant
  // without a virtual key shares: another tenant could pull this tenant's stored output into its own request.
  it("an item_reference must name an item of a response made through this tenant", async () => {
    const stored = await respond(t, { model: "gpt-4o-mini", input: "My favourite planet is Neptune." });
    expect(stored.status, stored.text).toBe(200);
    await settle();
    const itemId = stored.json().output[0]!.id;
    const referencing = (id: string) =>
      stateless([
        { type: "item_reference", id },
        { role: "user", content: "What did you say just before?" },
      ]);
    const own = await respond(t, referencing(itemId));
    expect(own.status, own.text).toBe(200);
    const other = await tenantWithKey("rpass-items");
    for (const id of [itemId, "msg_unknown"]) {
      const stolen = await respond(other, referencing(id));
      expect(stolen.status, id).toBe(400);
      expect(JSON.parse(stolen.text).error).toMatchObject({ code: "invalid_field", type: "invalid_request_error" });
      expect(stolen.text).not.toContain("Neptune");
    }
    const unknown = await respond(t, referencing("msg_unknown"));
    expect(unknown.status).toBe(400);
    // A streamed stateful response's items are recorded too.
    const streamed = await respond(t, { model: "gpt-4o-mini", input: "My favourite moon is Triton.", stream: true });
    const done = eventsOf(streamed.text).at(-1)!;
    expect(done.type).toBe("response.completed");
    const streamedItem = done.response!.output[0]!.id;
    expect((await respond(t, referencing(streamedItem))).status).toBe(200);
    expect((await respond(other, referencing(streamedItem))).status).toBe(400);
  });

  // Regression: only `item_reference` items were checked, but the provider also takes a reasoning item sent by its
  // id alone (no encrypted_content) from what it stored under the credential — which every tenant without a
  // virtual key shares: another tenant, or another user, who learnt the id pulled that reasoning into its request.
  it("a reasoning item sent by its id alone must name an item of a response made through this tenant", async () => {
    const stored = await respond(t, { model: "gpt-4o-mini", input: "My favourite comet is Halley." });
    expect(stored.status, stored.text).toBe(200);
    await settle();
    const itemId = stored.json().output[0]!.id;
    const byId = (id: string, extra: Record<string, unknown> = {}) =>
      stateless([
        { type: "reasoning", id, summary: [], ...extra },
        { role: "user", content: "What were you thinking just before?" },
      ]);
    const own = await respond(t, byId(itemId));
    expect(own.status, own.text).toBe(200);
    const other = await tenantWithKey("rpass-reasoning");
    for (const [who, id, headers] of [
      ["another tenant", itemId, {}],
      ["another user", itemId, { "x-cache-user": "bruno" }],
      ["an unknown id", "rs_unknown", {}],
    ] as const) {
      const refused = await respond(who === "another tenant" ? other : t, byId(id), headers);
      expect(refused.status, who).toBe(400);
      expect(JSON.parse(refused.text).error).toMatchObject({ code: "invalid_field", type: "invalid_request_error" });
    }
    // A reasoning item that carries its own (encrypted) content is not taken from the provider's store.
    const carried = await respond(other, byId("rs_unknown", { encrypted_content: "gAAAAB-opaque" }));
    expect(carried.status, carried.text).toBe(200);
  });

  // Regression: a stored response was the whole tenant's: a caller of the same tenant who learnt another user's
  // response id (a shared log, a support ticket) continued that user's conversation, as the provider knows
  // nothing of Cordon's users. A stored response is now its owner's, as a cache entry is.
  it("a stored response is continued only for the user it was made for, or only without one", async () => {
    const asUser = (user: string) => ({ "x-cache-user": user });
    const ana = await respond(t, { model: "gpt-4o-mini", input: "My locker code is 4417." }, asUser("ana"));
    expect(ana.status, ana.text).toBe(200);
    const anaItem = ana.json().output[0]!.id;
    const noUser = await respond(t, { model: "gpt-4o-mini", input: "The office opens at nine." });
    const continuing = (id: string) => stateless("What did I tell you?", { previous_response_id: id });
    const referencing = (id: string) =>
      stateless([
        { type: "item_reference", id },
        { role: "user", content: "What did you say just before?" },
      ]);
    const refused = async (body: unknown, headers: Record<string, string>, code: string) => {
      const r = await respond(t, body, headers);
      expect(r.status, r.text).toBe(400);
      expect(JSON.parse(r.text).error).toMatchObject({ code });
      expect(r.text).not.toContain("4417");
    };
    for (const headers of [asUser("bruno"), {}]) {
      await refused(continuing(ana.json().id), headers, "previous_response_not_found");
      await refused(referencing(anaItem), headers, "invalid_field");
    }
    await refused(continuing(noUser.json().id), asUser("ana"), "previous_response_not_found");
    // The owner continues: named in the header, or in OpenAI's `user` field.
    const own = await respond(t, continuing(ana.json().id), asUser("ana"));
    expect(own.status, own.text).toBe(200);
    expect((await respond(t, { ...referencing(anaItem), user: "ana" })).status).toBe(200);
    expect((await respond(t, continuing(noUser.json().id))).status).toBe(200);
  });
});

describe("stored responses: GET and DELETE /v1/responses/{id}, POST …/cancel, GET …/input_items", async () => {
  const t = await tenantWithKey("rstored");
  await settle();
  const asUser = (user: string) => ({ "x-cache-user": user });
  const stored = async (headers: Record<string, string>, input: string) => {
    const r = await respond(t, { model: "gpt-4o-mini", input }, headers);
    expect(r.status, r.text).toBe(200);
    return r.json();
  };
  const at = (id: string, method: "GET" | "DELETE", headers: Record<string, string> = {}, who = t) =>
    call(who.host, `/v1/responses/${id}`, { token: who.key, method, headers });
  const cancel = (id: string, headers: Record<string, string> = {}, who = t) =>
    call(who.host, `/v1/responses/${id}/cancel`, { token: who.key, method: "POST", headers });
  const inputItems = (id: string, query = "", headers: Record<string, string> = {}, who = t) =>
    call(who.host, `/v1/responses/${id}/input_items${query}`, { token: who.key, headers });

  it("reads a response the tenant's request stored, for its own user only, without asking for others", async () => {
    const ana = await stored(asUser("ana"), "My badge number is 7781.");
    const read = await at(ana.id, "GET", asUser("ana"));
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await read.json()) as { id: string; output: unknown[] };
    expect(body.id).toBe(ana.id);
    expect(JSON.stringify(body.output)).toBe(JSON.stringify(ana.output));
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    try {
      const other = await tenantWithKey("rstored-other");
      for (const [headers, who] of [
        [asUser("bruno"), t],
        [{}, t],
        [asUser("ana"), other],
      ] as const) {
        for (const method of ["GET", "DELETE"] as const) {
          const refused = await at(ana.id, method, headers, who);
          await expectError(refused, 404, "response_not_found", "invalid_request_error");
        }
      }
      await expectError(
        await at("resp_unknown", "GET", asUser("ana")),
        404,
        "response_not_found",
        "invalid_request_error",
      );
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
    await expectError(await at("x".repeat(300), "GET"), 404, "response_not_found", "invalid_request_error");
    await settle();
    await auditEventWhere((e) => e.tenant === t.tenant && e.action === "responses.retrieve" && e.status === 200);
  });

  // Regression: the audit events of these routes named no response, so the trail could not say who read, deleted
  // or cancelled which one, nor which one a caller was refused.
  it("names the response in the audit event, answered or refused", async () => {
    const own = await stored(asUser("ana"), "The spare key is under the mat.");
    const read = await at(own.id, "GET", asUser("ana"));
    const items = await inputItems(own.id, "", asUser("ana"));
    const streamed = await call(t.host, `/v1/responses/${own.id}?stream=true`, {
      token: t.key,
      headers: asUser("ana"),
    });
    await streamed.text();
    const refused = await at(own.id, "DELETE", asUser("bruno"));
    const odd = await at("not%20an%20id", "GET");
    const deleted = await at(own.id, "DELETE", asUser("ana"));
    await settleAll();
    for (const [res, action, status] of [
      [read, "responses.retrieve", 200],
      [items, "responses.input_items.list", 200],
      [streamed, "responses.retrieve", 200],
      [refused, "responses.delete", 404],
      [deleted, "responses.delete", 200],
    ] as const) {
      expect(await eventOf(res), action).toMatchObject({ action, status, target: own.id });
    }
    expect(await eventOf(odd)).toMatchObject({ action: "responses.retrieve", status: 404, target: "invalid" });
  });

  it("deletes it at the provider and forgets it: no later read, continuation or reference", async () => {
    const own = await stored({}, "The meeting room is B12.");
    const deleted = await at(own.id, "DELETE");
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: own.id, object: "response", deleted: true });
    await expectError(await at(own.id, "GET"), 404, "response_not_found", "invalid_request_error");
    const continued = await respond(t, stateless("Where is the meeting?", { previous_response_id: own.id }));
    expect(continued.status).toBe(400);
    expect(JSON.parse(continued.text).error).toMatchObject({ code: "previous_response_not_found" });
    await settle();
    await auditEventWhere((e) => e.tenant === t.tenant && e.action === "responses.delete" && e.status === 200);
  });

  it("passes on the provider's own refusal, and its failure as one a client may retry", async () => {
    const kept = await stored({}, "Remember the code word: heron.");
    const rt = await getRuntime(env);
    const provider = vi.spyOn(rt.provider, "send");
    try {
      provider.mockImplementationOnce(
        async () =>
          new Response(
            JSON.stringify({
              error: {
                message: `Response with id '${kept.id}' not found.`,
                type: "invalid_request_error",
                param: null,
                code: null,
              },
            }),
            { status: 404, headers: { "content-type": "application/json" } },
          ),
      );
      const gone = await at(kept.id, "GET");
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { error: { message: string } }).error.message).toContain("not found");
      provider.mockImplementationOnce(async () => new Response("unavailable", { status: 503 }));
      const failed = await at(kept.id, "GET");
      await expectError(failed, 502, "provider_error", "upstream_error");
      expect(failed.headers.get("x-should-retry")).toBe("true");
    } finally {
      provider.mockRestore();
    }
    expect((await at(kept.id, "GET")).status).toBe(200);
  });

  // Regression: a provider that stopped sending a stored response's body part-way (the adapter's idle timeout) was
  // reported as a body that is not JSON (502 upstream_invalid_response), not as the timeout it was.
  it("a stored response whose body stops part-way is 504 upstream_timeout, one a client may retry", async () => {
    const kept = await stored({}, "Remember the code word: egret.");
    const rt = await getRuntime(env);
    const provider = vi.spyOn(rt.provider, "send");
    const stalled = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode(`{"id":"${kept.id}",`));
            c.error(new UpstreamAttemptError("timeout"));
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    try {
      for (const send of [() => at(kept.id, "GET"), () => cancel(kept.id), () => inputItems(kept.id)]) {
        provider.mockImplementationOnce(async () => stalled());
        const timedOut = await send();
        await expectError(timedOut, 504, "upstream_timeout", "upstream_error");
        expect(timedOut.headers.get("x-should-retry")).toBe("true");
        await settleAll();
        expect(await eventOf(timedOut)).toMatchObject({ status: 504, reason: "upstream_body_timeout" });
      }
    } finally {
      provider.mockRestore();
    }
  });

  it("cancels a background response at the provider, for its owner only, without asking for others", async () => {
    // local/slow-60000: the local provider's background response stays in progress for a minute.
    const made = await respond(
      t,
      { model: "local/slow-60000", input: "Write a long report.", background: true },
      asUser("ana"),
    );
    expect(made.status, made.text).toBe(200);
    expect(made.json()).toMatchObject({ status: "queued", background: true });
    const id = made.json().id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    try {
      const other = await tenantWithKey("rcancel-other");
      for (const [headers, who] of [
        [asUser("bruno"), t],
        [{}, t],
        [asUser("ana"), other],
      ] as const) {
        await expectError(await cancel(id, headers, who), 404, "response_not_found", "invalid_request_error");
      }
      await expectError(
        await cancel("resp_unknown", asUser("ana")),
        404,
        "response_not_found",
        "invalid_request_error",
      );
      expect(send).not.toHaveBeenCalled();
      const cancelled = await cancel(id, asUser("ana"));
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toMatchObject({ id, object: "response", status: "cancelled", output: [] });
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]![0]).toMatchObject({ path: "responses", method: "POST", resource: `/${id}/cancel` });
      expect("body" in send.mock.calls[0]![0]).toBe(false);
    } finally {
      send.mockRestore();
    }
    const read = await at(id, "GET", asUser("ana"));
    expect(((await read.json()) as { status: string }).status).toBe("cancelled");
    await settle();
    await auditEventWhere((e) => e.tenant === t.tenant && e.action === "responses.cancel" && e.status === 200);
  });

  // Regression: a background response has no output when it is made, and its items were recorded only then, so an
  // item_reference to what it produced was refused to its own user after it completed.
  it("records a background response's output items when its owner reads it, for that owner only", async () => {
    const made = await respond(t, { model: "gpt-4o-mini", input: "Name a planet.", background: true }, asUser("ana"));
    expect(made.json()).toMatchObject({ status: "queued", output: [] });
    const read = await at(made.json().id, "GET", asUser("ana"));
    const completed = (await read.json()) as { status: string; output: { id: string }[] };
    expect(completed.status).toBe("completed");
    const itemId = completed.output[0]!.id;
    await settle();
    const referencing = stateless([
      { type: "item_reference", id: itemId },
      { role: "user", content: "Which one did you name?" },
    ]);
    const own = await respond(t, referencing, asUser("ana"));
    expect(own.status, own.text).toBe(200);
    for (const headers of [asUser("bruno"), {}]) {
      const refused = await respond(t, referencing, headers);
      expect(refused.status, refused.text).toBe(400);
      expect(JSON.parse(refused.text).error).toMatchObject({ code: "invalid_field" });
    }
  });

  it("passes on the provider's refusal to cancel, and its failure as one a client may retry", async () => {
    // The provider cancels only a background response: its 400 for any other, in its own terms.
    const foreground = await stored({}, "Answered at once.");
    const refused = await cancel(foreground.id);
    expect(refused.status).toBe(400);
    const refusal = ((await refused.json()) as { error: { type: string; message: string } }).error;
    expect(refusal.type).toBe("invalid_request_error");
    expect(refusal.message).toContain("background");
    const rt = await getRuntime(env);
    const provider = vi.spyOn(rt.provider, "send");
    try {
      provider.mockImplementationOnce(async () =>
        Response.json({ error: { message: "Not found.", type: "invalid_request_error" } }, { status: 404 }),
      );
      expect((await cancel(foreground.id)).status).toBe(404);
      provider.mockImplementationOnce(async () => new Response("unavailable", { status: 503 }));
      const failed = await cancel(foreground.id);
      await expectError(failed, 502, "provider_error", "upstream_error");
      expect(failed.headers.get("x-should-retry")).toBe("true");
      provider.mockImplementationOnce(async () => Response.json({ cancelled: true }));
      await expectError(await cancel(foreground.id), 502, "upstream_invalid_response", "upstream_error");
    } finally {
      provider.mockRestore();
    }
  });

  it("lists a stored response's input items at the provider, for its owner only, passing the query on", async () => {
    const made = await respond(
      t,
      {
        model: "gpt-4o-mini",
        input: [
          { role: "user", content: "My desk is by the window." },
          { role: "assistant", content: "Noted." },
          { role: "user", content: "Where is my desk?" },
        ],
      },
      asUser("ana"),
    );
    expect(made.status, made.text).toBe(200);
    const id = made.json().id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    try {
      const other = await tenantWithKey("ritems-other");
      for (const [headers, who] of [
        [asUser("bruno"), t],
        [{}, t],
        [asUser("ana"), other],
      ] as const) {
        const refused = await inputItems(id, "", headers, who);
        await expectError(refused, 404, "response_not_found", "invalid_request_error");
      }
      await expectError(
        await inputItems("resp_unknown", "", asUser("ana")),
        404,
        "response_not_found",
        "invalid_request_error",
      );
      expect(send).not.toHaveBeenCalled();
      const first = await inputItems(id, "?order=asc&limit=2", asUser("ana"));
      expect(first.status).toBe(200);
      const page = (await first.json()) as {
        object: string;
        data: { id: string; content: unknown }[];
        last_id: string;
        has_more: boolean;
      };
      expect(page).toMatchObject({ object: "list", has_more: true });
      expect(page.data.map((i) => i.content)).toEqual([
        [{ type: "input_text", text: "My desk is by the window." }],
        [{ type: "output_text", text: "Noted." }],
      ]);
      expect(send.mock.calls[0]![0]).toMatchObject({
        path: "responses",
        method: "GET",
        resource: `/${id}/input_items?order=asc&limit=2`,
      });
      const rest = await inputItems(id, `?order=asc&limit=2&after=${page.last_id}`, asUser("ana"));
      expect((await rest.json()) as { data: unknown[]; has_more: boolean }).toMatchObject({
        has_more: false,
        data: [{ role: "user" }],
      });
      // The provider checks the query: its 400 is passed on in its terms.
      const bad = await inputItems(id, "?limit=500", asUser("ana"));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("limit");
    } finally {
      send.mockRestore();
    }
    await settle();
    await auditEventWhere(
      (e) => e.tenant === t.tenant && e.action === "responses.input_items.list" && e.status === 200,
    );
  });

  it("passes on the provider's refusal to list input items, and its failure as one a client may retry", async () => {
    const kept = await stored({}, "List my words.");
    const rt = await getRuntime(env);
    const provider = vi.spyOn(rt.provider, "send");
    try {
      provider.mockImplementationOnce(async () =>
        Response.json({ error: { message: "Not found.", type: "invalid_request_error" } }, { status: 404 }),
      );
      expect((await inputItems(kept.id)).status).toBe(404);
      provider.mockImplementationOnce(async () => new Response("unavailable", { status: 500 }));
      const failed = await inputItems(kept.id);
      await expectError(failed, 502, "provider_error", "upstream_error");
      expect(failed.headers.get("x-should-retry")).toBe("true");
      provider.mockImplementationOnce(async () => Response.json({ object: "list", items: [] }));
      await expectError(await inputItems(kept.id), 502, "upstream_invalid_response", "upstream_error");
    } finally {
      provider.mockRestore();
    }
    expect((await inputItems(kept.id)).status).toBe(200);
  });
});

describe("GET /v1/responses/{id}?stream=true: a stored response's events, resumed", async () => {
  const t = await tenantWithKey("rresume");
  await settle();
  const asUser = (user: string) => ({ "x-cache-user": user });
  const resume = (id: string, query = "", headers: Record<string, string> = {}, signal?: AbortSignal, who = t) =>
    callWith(env, who.host, `/v1/responses/${id}?stream=true${query}`, {
      token: who.key,
      headers,
      ...(signal ? { signal } : {}),
    });
  const decoded = (chunk: ReadableStreamReadResult<Uint8Array>) => new TextDecoder().decode(chunk.value);
  /** A provider's stream of these events, each named by its type as OpenAI's are. */
  const upstreamEvents = (...events: ({ type: string } & Record<string, unknown>)[]) =>
    new Response(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(""), {
      headers: { "content-type": "text/event-stream" },
    });

  // Regression: only a first `stream` of exactly `true` was streamed; `stream=1`, `stream=True` or a second `stream`
  // was passed on as sent to the whole-response path, and a provider that reads it as true streams an answer that
  // path cannot read (502 at its end). Any spelling of true now streams, and the provider is sent one stream=true.
  it("streams a retrieval asking for it in any spelling, and sends the provider one stream=true", async () => {
    const made = await respond(t, { model: "gpt-4o-mini", input: "Name three rivers." }, asUser("ana"));
    const id = made.json().id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    try {
      for (const query of ["?stream=1", "?stream=True", "?stream=false&stream=true", "?stream=%20yes&include=x"]) {
        const res = await call(t.host, `/v1/responses/${id}${query}`, { token: t.key, headers: asUser("ana") });
        expect(res.status, query).toBe(200);
        expect(res.headers.get("content-type"), query).toMatch(/^text\/event-stream/);
        expect(eventsOf(await res.text()).at(-1)!.type, query).toBe("response.completed");
        const sent = (send.mock.calls.at(-1)![0] as { resource: string }).resource;
        expect(new URL(sent, "https://p").searchParams.getAll("stream"), query).toEqual(["true"]);
      }
      expect((send.mock.calls.at(-1)![0] as { resource: string }).resource).toBe(`/${id}?stream=true&include=x`);
      for (const query of ["?stream=false", "?stream=0&stream=no"]) {
        const res = await call(t.host, `/v1/responses/${id}${query}`, { token: t.key, headers: asUser("ana") });
        expect(res.status, query).toBe(200);
        expect(((await res.json()) as { id: string }).id, query).toBe(id);
        expect((send.mock.calls.at(-1)![0] as { resource: string }).resource, query).toBe(`/${id}`);
      }
    } finally {
      send.mockRestore();
    }
  });

  it("relays the provider's events in order, after starting_after, for the owner only, without asking for others", async () => {
    const made = await respond(
      t,
      { model: "gpt-4o-mini", input: "Stream a report in the background.", background: true, stream: true },
      asUser("ana"),
    );
    expect(made.status, made.text).toBe(200);
    const first = eventsOf(made.text);
    expect(first.at(-1)!.type).toBe("response.completed");
    const id = first[0]!.response!.id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    let resumed: Response;
    try {
      const other = await tenantWithKey("rresume-other");
      for (const [headers, who] of [
        [asUser("bruno"), t],
        [{}, t],
        [asUser("ana"), other],
      ] as const) {
        const refused = await resume(id, "&starting_after=3", headers, undefined, who);
        await expectError(refused, 404, "response_not_found", "invalid_request_error");
      }
      await expectError(
        await resume("resp_unknown", "", asUser("ana")),
        404,
        "response_not_found",
        "invalid_request_error",
      );
      expect(send).not.toHaveBeenCalled();
      resumed = await resume(id, "&starting_after=3", asUser("ana"));
      expect(resumed.status).toBe(200);
      expect(resumed.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(eventsOf(await resumed.text())).toEqual(first.slice(4));
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]![0]).toMatchObject({
        path: "responses",
        method: "GET",
        resource: `/${id}?stream=true&starting_after=3`,
      });
    } finally {
      send.mockRestore();
    }
    const whole = await resume(id, "", asUser("ana"));
    expect(eventsOf(await whole.text())).toEqual(first);
    await settleAll();
    expect(await eventOf(resumed)).toMatchObject({ action: "responses.retrieve", status: 200, reason: null });
  });

  it("follows the owner's abort, then resumes to the end and records the items it names for that owner", async () => {
    // slow-stream-100: the local provider sends an event every 100 ms, when made and when resumed alike.
    const lost = new AbortController();
    const made = await callWith(env, t.host, "/v1/responses", {
      token: t.key,
      headers: asUser("ana"),
      body: { model: "local/slow-stream-100", input: `Report ${label()}`, background: true, stream: true },
      signal: lost.signal,
    });
    const madeReader = made.body!.getReader();
    const id = eventsOf(decoded(await madeReader.read()))[0]!.response!.id;
    lost.abort();
    await madeReader.cancel().catch(() => {});
    await settleAll();

    const gone = new AbortController();
    const cut = await resume(id, "&starting_after=0", asUser("ana"), gone.signal);
    const reader = cut.body!.getReader();
    const seen = eventsOf(decoded(await reader.read()));
    expect(seen.map((e) => e.sequence_number)).toEqual([1]);
    // The client waits for the next event when it aborts: the read in flight is cut, and the provider stops.
    const next = reader.read();
    gone.abort();
    await next.catch(() => {});
    await reader.cancel().catch(() => {});
    await vi.waitFor(
      async () => expect((await provider().abortLog()).some((r) => r.path === `/v1/responses/${id}`)).toBe(true),
      { timeout: 3000, interval: 20 },
    );
    await settleAll();
    expect(await eventOf(cut)).toMatchObject({ status: 200, reason: "stream_cancelled" });

    const rest = await resume(id, "&starting_after=1", asUser("ana"));
    const events: StreamEvent[] = eventsOf(await rest.text());
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i + 2));
    const completed = events.at(-1)!;
    expect(completed.type).toBe("response.completed");
    await settleAll();
    expect(await eventOf(rest)).toMatchObject({ status: 200, reason: null });
    const referencing = stateless([
      { type: "item_reference", id: completed.response!.output[0]!.id },
      { role: "user", content: "What did the report say?" },
    ]);
    const own = await respond(t, referencing, asUser("ana"));
    expect(own.status, own.text).toBe(200);
    const refused = await respond(t, referencing, asUser("bruno"));
    expect(JSON.parse(refused.text).error).toMatchObject({ code: "invalid_field" });
  });

  // Regression: a streamed response was recorded as its owner's only when its stream ended, so a client whose
  // connection dropped, unnoticed by the gateway, was refused (404) when it resumed at once.
  it("a background stream is its owner's to resume from its first event, while it still runs", async () => {
    const made = await callWith(env, t.host, "/v1/responses", {
      token: t.key,
      headers: asUser("ana"),
      body: { model: "local/slow-stream-100", input: `Long report ${label()}`, background: true, stream: true },
    });
    const madeReader = made.body!.getReader();
    const id = eventsOf(decoded(await madeReader.read()))[0]!.response!.id;
    await vi.waitFor(
      async () => {
        const read = await call(t.host, `/v1/responses/${id}`, { token: t.key, headers: asUser("ana") });
        await read.arrayBuffer();
        expect(read.status).toBe(200);
      },
      { timeout: 3000, interval: 20 },
    );
    const resumed = await resume(id, "&starting_after=0", asUser("ana"));
    const events = eventsOf(await resumed.text());
    expect(events[0]!.sequence_number).toBe(1);
    expect(events.at(-1)!.type).toBe("response.completed");
    await expectError(await resume(id, "", asUser("bruno")), 404, "response_not_found", "invalid_request_error");
    await madeReader.cancel();
    await settleAll();
  });

  it("a provider failure is 502 a client may retry; a broken or non-SSE answer ends the stream with an error event", async () => {
    const made = await respond(t, { model: "gpt-4o-mini", input: "Keep this for later.", background: true });
    const id = made.json().id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send");
    try {
      send.mockImplementationOnce(async () => new Response("unavailable", { status: 503 }));
      const failed = await resume(id);
      await expectError(failed, 502, "provider_error", "upstream_error");
      expect(failed.headers.get("x-should-retry")).toBe("true");
      send.mockImplementationOnce(async () =>
        Response.json({ error: { message: "Not found.", type: "invalid_request_error" } }, { status: 404 }),
      );
      expect((await resume(id)).status).toBe(404);

      const created = { type: "response.created", sequence_number: 0, response: { id, object: "response" } };
      for (const answer of [() => Response.json(made.json()), () => upstreamEvents(created)]) {
        send.mockImplementationOnce(async () => answer());
        const broken = await resume(id);
        expect(broken.status).toBe(200);
        const text = await broken.text();
        const error = eventsOf(text).find((e) => e.type === "error");
        expect(error).toMatchObject({ code: "stream_interrupted", error: { code: "stream_interrupted" } });
        await settleAll();
        expect(await eventOf(broken)).toMatchObject({ status: 200, reason: "stream_failed" });
      }
    } finally {
      send.mockRestore();
    }
  });

  it("never carries the credential it was asked with, whatever the provider's stream echoes", async () => {
    const v = await tenantWithKey("rresume-vk");
    const admin = await createKey(v.tenant, { role: "admin" });
    // Made up, assembled at run time so that secret scanners reading this repository do not flag it.
    const secret = ["sk-", "resume-Abc123Def456Ghi789Jkl012"].join("");
    const vk = await call(v.host, "/v1/admin/virtual-keys", {
      token: admin,
      body: { name: "openai", provider: "openai", api_key: secret },
    });
    expect(vk.status, await vk.clone().text()).toBe(201);
    const made = await respond(v, { model: "gpt-4o-mini", input: "Stream me later.", background: true });
    const id = made.json().id;
    const rt = await getRuntime(env);
    const send = vi.spyOn(rt.provider, "send").mockImplementation(async (req) =>
      upstreamEvents({ type: "response.created", sequence_number: 0, response: { id, object: "response" } }, {
        type: "error",
        sequence_number: 1,
        code: "server_error",
        message: `quota of org-DEPLOYMENT123 exceeded for Bearer ${req.credential}`,
        param: null,
      } as { type: string }),
    );
    try {
      const res = await resume(id, "", {}, undefined, v);
      const text = await res.text();
      expect(send.mock.calls[0]![0].credential).toBe(secret);
      expect(text).not.toContain(secret);
      expect(text).not.toContain("DEPLOYMENT123");
      expect(text).toContain("[CREDENTIAL]");
    } finally {
      send.mockRestore();
    }
    await settleAll();
  });
});

describe("request fields", async () => {
  const t = await tenantWithKey("rfields");
  await settle();

  it("an unknown field reaches the provider and partitions the cache; answer-neutral fields do not", async () => {
    const q = "Name a prime number.";
    const plain = await respond(t, stateless(q));
    const odd = await respond(t, stateless(q, { frobnicate: { level: 3 } }));
    expect(odd.cache).toBe("MISS");
    // The local provider's answer depends on the whole body: a different answer shows the field got there.
    expect(outputText(odd.json())).not.toBe(outputText(plain.json()));
    expect((await respond(t, stateless(q, { frobnicate: { level: 3 } }))).cache).toBe("HIT-EXACT");
    expect((await respond(t, stateless(q, { frobnicate: { level: 4 } }))).cache).toBe("MISS");

    const neutral = {
      metadata: { team: "b" },
      safety_identifier: "sid-1",
      prompt_cache_key: "k",
      service_tier: "auto",
    };
    const hit = await respond(t, stateless(q, neutral));
    expect(hit.cache).toBe("HIT-EXACT");
    // A hit echoes this request's bookkeeping fields, never those of the request first answered.
    expect(hit.json()).toMatchObject({ metadata: { team: "b" }, safety_identifier: "sid-1", prompt_cache_key: "k" });
    expect((await respond(t, stateless(q, { temperature: 0.2 }))).cache).toBe("MISS");
    expect((await respond(t, stateless(q, { include: ["message.output_text.logprobs"] }))).cache).toBe("MISS");
  });

  it("passes fields through to stateful requests unchanged", async () => {
    const r = await respond(t, {
      model: "gpt-4o-mini",
      input: "Hello",
      metadata: { a: "1" },
      instructions: "Be brief.",
    });
    expect(r.json()).toMatchObject({ metadata: { a: "1" }, instructions: "Be brief." });
  });

  it("chat and Responses never share an entry for the same prompt", async () => {
    const q = "Which API asked this first?";
    const chat = async () => {
      const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(q) });
      const body = (await res.json()) as { object: string };
      await settle();
      return { cache: res.headers.get("x-cache"), object: body.object };
    };
    expect(await chat()).toEqual({ cache: "MISS", object: "chat.completion" });
    expect((await respond(t, stateless(q))).cache).toBe("MISS");
    expect((await respond(t, stateless("which api asked this first"))).cache).toBe("HIT-SEMANTIC");
    expect(await chat()).toEqual({ cache: "HIT-EXACT", object: "chat.completion" });
    const r = await respond(t, stateless(q));
    expect(r.cache).toBe("HIT-EXACT");
    expect(r.json().object).toBe("response");
  });
});

describe("provider failures", async () => {
  const t = await tenantWithKey("rfail");
  await settle();

  it.each([
    ["local/error-500", 502, "provider_error", "upstream_error"],
    ["local/broken-stream", 502, "upstream_invalid_response", "upstream_error"],
  ])("%s → %i %s, never cached", async (model, status, code, type) => {
    const before = await catalogCount(t.tenant);
    const res = await call(t.host, "/v1/responses", { token: t.key, body: stateless("Does it work?", { model }) });
    await expectError(res, status, code, type);
    expect(res.headers.get("x-cache")).toBe("MISS");
    await settle();
    expect(await catalogCount(t.tenant)).toBe(before);
  });

  it("passes the provider's 429 on in its own terms, with Retry-After", async () => {
    const r = await respond(t, stateless("Am I limited?", { model: "local/error-429" }));
    expect(r.status).toBe(429);
    expect(r.res.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(r.text).error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
  });

  it("passes the provider's 400 on for a stateful request too, with its param", async () => {
    const r = await respond(t, { model: "local/error-400", input: "Bad?" });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ param: "input", type: "invalid_request_error" });
    expect(r.res.headers.get("x-cache")).toBe("BYPASS");
  });
});
