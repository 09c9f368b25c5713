// The local provider's Responses API: the response object, the documented stream event sequence,
// previous_response_id chains kept in the isolate's memory, GET /v1/responses/{id} (and its events again with
// ?stream=true, after starting_after), background responses and their cancel, input items, structured outputs, function_call items and their results, refusals, incomplete
// responses, and OpenAI's 400/404s.
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { expectError, ok, post, send, sseMessages } from "./provider-helpers";

const RESPONSES = "/v1/responses";

interface OutputItem {
  id: string;
  type: string;
  status: string;
  role?: string;
  content?: { type: string; text?: string; refusal?: string; annotations?: unknown[]; logprobs?: unknown[] }[];
  call_id?: string;
  name?: string;
  arguments?: string;
}
interface ResponseObject {
  id: string;
  object: string;
  created_at: number;
  status: string;
  error: null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  model: string;
  output: OutputItem[];
  previous_response_id: string | null;
  store: boolean;
  text: { format: { type: string } };
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  } | null;
}
interface StreamEvent {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

const create = (body: Record<string, unknown>) => ok<ResponseObject>(post(RESPONSES, { model: "echo", ...body }));
const textOf = (r: ResponseObject) =>
  r.output
    .flatMap((i) => i.content ?? [])
    .map((c) => c.text ?? "")
    .join("");

async function events(body: Record<string, unknown>): Promise<StreamEvent[]> {
  const res = await post(RESPONSES, { model: "echo", stream: true, ...body });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await res.text();
  expect(text).not.toContain("[DONE]");
  return sseMessages(text).map((m) => {
    const data = JSON.parse(m.data) as StreamEvent;
    expect(m.event).toBe(data.type);
    return data;
  });
}

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  description: "Current forecast for a city",
  parameters: z.toJSONSchema(z.strictObject({ city: z.string(), days: z.int().min(1).max(7) })),
  strict: true,
};

describe("response object", () => {
  it("is shaped like OpenAI's, with the answer in one output message", async () => {
    const r = await create({ input: "What is a response?" });
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r).toMatchObject({
      object: "response",
      status: "completed",
      error: null,
      incomplete_details: null,
      instructions: null,
      model: "echo",
      previous_response_id: null,
      store: true,
      text: { format: { type: "text" } },
    });
    expect(r).not.toHaveProperty("output_text"); // an SDK convenience, not part of the API's object
    expect(r.output).toEqual([
      {
        id: expect.stringMatching(/^msg_[0-9a-f]{40}$/),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", annotations: [], logprobs: [], text: expect.any(String) }],
      },
    ]);
    const text = textOf(r);
    expect(text).toMatch(/^Local answer [0-9a-f]{8}: you asked "What is a response\?"\./);
    const input = Math.ceil("What is a response?".length / 4);
    const output = Math.ceil(text.length / 4);
    expect(r.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    });
  });

  it("reads message items and instructions, answers the last user message, and is deterministic", async () => {
    const body = {
      instructions: "Be brief.",
      input: [
        { role: "developer", content: "Use metric units." },
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "How tall is" },
            { type: "input_text", text: "the tower?" },
          ],
        },
        { type: "reasoning", id: "rs_1", summary: [] },
      ],
    };
    const r = await create(body);
    expect(r.instructions).toBe("Be brief.");
    expect(textOf(r)).toContain('you asked "How tall is the tower?"');
    expect(r.usage!.input_tokens).toBe(Math.ceil("Be brief.Use metric units.How tall is\nthe tower?".length / 4));
    expect(textOf(await create(body))).toBe(textOf(r));
    expect(textOf(await create({ ...body, stream: false, store: false }))).toBe(textOf(r));
    expect(textOf(await create({ ...body, instructions: "Be long." }))).not.toBe(textOf(r));
  });

  it("cuts at max_output_tokens: status incomplete with its reason", async () => {
    const r = await create({ input: "A long answer please", max_output_tokens: 16 });
    expect(r).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(r.output[0]!.status).toBe("incomplete");
    expect(textOf(r)).toHaveLength(64);
    expect(r.usage!.output_tokens).toBe(16);
  });

  it("refuses with a refusal content part", async () => {
    const r = await create({ input: "Please refuse" });
    expect(r.output[0]!.content).toEqual([{ type: "refusal", refusal: expect.stringMatching(/can't help/) }]);
  });

  it("answers json_schema formats with JSON that validates", async () => {
    const Answer = z.strictObject({
      answer: z.string(),
      confidence: z.number().min(0).max(1),
      sources: z.array(z.url()),
    });
    const r = await create({
      input: "Structured please",
      text: { format: { type: "json_schema", name: "answer", schema: z.toJSONSchema(Answer), strict: true } },
    });
    expect(r.text.format).toMatchObject({ type: "json_schema", name: "answer" });
    expect(Answer.parse(JSON.parse(textOf(r))).answer).toContain('you asked "Structured please"');
  });

  it("answers json_object formats with a JSON object, when the input mentions JSON", async () => {
    const r = await create({ input: "Reply in JSON", text: { format: { type: "json_object" } } });
    expect(JSON.parse(textOf(r))).toEqual({ answer: expect.stringContaining("Reply in JSON") });
    await expectError(
      await post(RESPONSES, { model: "echo", input: "No format word", text: { format: { type: "json_object" } } }),
      400,
    );
  });
});

describe("function tools", () => {
  it("answers function_call output items whose arguments validate", async () => {
    const r = await create({ input: "What's the weather in Oslo?", tools: [WEATHER_TOOL] });
    expect(r.output).toEqual([
      {
        id: expect.stringMatching(/^fc_[0-9a-f]{40}$/),
        type: "function_call",
        status: "completed",
        call_id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
        name: "get_weather",
        arguments: expect.any(String),
      },
    ]);
    z.strictObject({ city: z.string(), days: z.int().min(1).max(7) }).parse(JSON.parse(r.output[0]!.arguments!));
    expect((await create({ input: "Tell me a joke", tools: [WEATHER_TOOL] })).output[0]!.type).toBe("message");
    const named = await create({
      input: "Tell me a joke",
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", name: "get_weather" },
    });
    expect(named.output[0]!.type).toBe("function_call");
  });

  it("answers a function_call_output with text that mentions it, through previous_response_id", async () => {
    const first = await create({ input: "What's the weather in Oslo?", tools: [WEATHER_TOOL] });
    const callId = first.output[0]!.call_id!;
    const follow = await create({
      previous_response_id: first.id,
      tools: [WEATHER_TOOL],
      input: [{ type: "function_call_output", call_id: callId, output: "-3 degrees, snow" }],
    });
    expect(follow.previous_response_id).toBe(first.id);
    expect(textOf(follow)).toContain(
      'you asked "What\'s the weather in Oslo?" and the tool get_weather returned "-3 degrees, snow"',
    );
  });

  it("answers a function_call_output given with its call in the input", async () => {
    const r = await create({
      tools: [WEATHER_TOOL],
      input: [
        { role: "user", content: "Weather in Rome?" },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
      ],
    });
    expect(textOf(r)).toContain('and the tool get_weather returned "sunny"');
  });

  it("refuses a function_call_output that answers no call", async () => {
    const err = await expectError(
      await post(RESPONSES, {
        model: "echo",
        input: [{ type: "function_call_output", call_id: "call_none", output: "x" }],
      }),
      400,
    );
    expect(err.error.param).toBe("input[0]");
  });
});

describe("previous_response_id and stored responses", () => {
  it("continues a stored response: the conversation carries over, the answer is deterministic", async () => {
    const first = await create({ input: "My name is Ada." });
    const second = await create({ previous_response_id: first.id, input: "What is my name?" });
    expect(textOf(second)).toContain('you asked "What is my name?"');
    expect(second.usage!.input_tokens).toBeGreaterThan(Math.ceil("What is my name?".length / 4) + 10);
    // Another response with the same content (and another id) leads to the same follow-up answer.
    const twin = await create({ input: "My name is Ada." });
    expect(twin.id).not.toBe(first.id);
    expect(textOf(await create({ previous_response_id: twin.id, input: "What is my name?" }))).toBe(textOf(second));
    expect(textOf(await create({ input: "What is my name?" }))).not.toBe(textOf(second));
  });

  it("does not carry instructions over", async () => {
    const first = await create({ instructions: "Speak like a pirate.", input: "Hi" });
    const second = await create({ previous_response_id: first.id, input: "Again" });
    expect(second.instructions).toBeNull();
    expect(second.usage!.input_tokens).toBe(Math.ceil(`Hi${textOf(first)}Again`.length / 4));
  });

  it("serves GET /v1/responses/{id} for a stored response, 404 otherwise", async () => {
    const r = await create({ input: "Keep me" });
    expect(await ok<ResponseObject>(send("GET", `${RESPONSES}/${r.id}`))).toEqual(r);
    const unknown = await expectError(await send("GET", `${RESPONSES}/resp_missing`), 404);
    expect(unknown.error.message).toContain("resp_missing");
  });

  it("DELETE forgets a stored response, answering OpenAI's deletion object; 404 otherwise", async () => {
    const r = await create({ input: "Forget me" });
    expect(await ok(send("DELETE", `${RESPONSES}/${r.id}`))).toEqual({ id: r.id, object: "response", deleted: true });
    await expectError(await send("GET", `${RESPONSES}/${r.id}`), 404);
    await expectError(await send("DELETE", `${RESPONSES}/${r.id}`), 404);
    const put = await send("PUT", `${RESPONSES}/${r.id}`);
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, DELETE");
  });

  it("keeps nothing with store: false", async () => {
    const r = await create({ input: "Forget me", store: false });
    expect(r.store).toBe(false);
    await expectError(await send("GET", `${RESPONSES}/${r.id}`), 404);
    await expectError(
      await post(RESPONSES, { model: "echo", previous_response_id: r.id, input: "x" }),
      400,
      "previous_response_not_found",
    );
  });

  it("answers an unknown previous_response_id as OpenAI does: 400 previous_response_not_found", async () => {
    const err = await expectError(
      await post(RESPONSES, { model: "echo", previous_response_id: "resp_unknown", input: "x" }),
      400,
      "previous_response_not_found",
    );
    expect(err.error).toMatchObject({
      type: "invalid_request_error",
      param: "previous_response_id",
      message: "Previous response with id 'resp_unknown' not found.",
    });
  });
});

describe("background responses, cancel and input items", () => {
  interface ItemList {
    object: string;
    data: { id: string; type: string; role?: string; status?: string; content?: unknown }[];
    first_id: string | null;
    last_id: string | null;
    has_more: boolean;
  }
  const cancel = (id: string) => send("POST", `${RESPONSES}/${id}/cancel`);
  const items = (id: string, query = "") => send("GET", `${RESPONSES}/${id}/input_items${query}`);

  it("answers a background request at once, queued; GET shows it in progress, then done", async () => {
    const queued = await create({ input: "Work on this in the background", background: true });
    expect(queued).toMatchObject({ status: "queued", background: true, output: [], usage: null });
    const done = await ok<ResponseObject>(send("GET", `${RESPONSES}/${queued.id}`));
    expect(done).toMatchObject({ id: queued.id, status: "completed", background: true });
    expect(textOf(done)).toContain("Work on this in the background");
    // slow-<ms> is how long a background response runs, not a wait before the answer.
    const started = Date.now();
    const slow = await create({ model: "slow-60000", input: "Take your time", background: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    const running = await ok<ResponseObject>(send("GET", `${RESPONSES}/${slow.id}`));
    expect(running).toMatchObject({ status: "in_progress", output: [], usage: null });
  });

  it("cancels a background response in progress; cancelling again, or a finished one, changes nothing", async () => {
    const slow = await create({ model: "slow-60000", input: "Never mind", background: true });
    const cancelled = await ok<ResponseObject>(cancel(slow.id));
    expect(cancelled).toMatchObject({ id: slow.id, status: "cancelled", background: true, output: [], usage: null });
    expect(await ok(send("GET", `${RESPONSES}/${slow.id}`))).toEqual(cancelled);
    expect(await ok(cancel(slow.id))).toEqual(cancelled);
    // A cancelled response has no output to continue from.
    const next = await create({ previous_response_id: slow.id, input: "Go on" });
    expect(next.usage!.input_tokens).toBe(Math.ceil("Never mindGo on".length / 4));

    const finished = await create({ input: "Quick one", background: true });
    const done = await ok<ResponseObject>(send("GET", `${RESPONSES}/${finished.id}`));
    expect(await ok(cancel(finished.id))).toEqual(done);
  });

  it("refuses to cancel a response not made in the background (400), an unknown one (404), and a GET (405)", async () => {
    const foreground = await create({ input: "Already answered" });
    const refused = await expectError(await cancel(foreground.id), 400);
    expect(refused.error).toMatchObject({ type: "invalid_request_error", param: null });
    expect(refused.error.message).toContain("background");
    await expectError(await cancel("resp_missing"), 404);
    const get = await send("GET", `${RESPONSES}/${foreground.id}/cancel`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("lists a stored response's input items with ids, newest first, paged by limit and after", async () => {
    const r = await create({
      input: [
        { role: "user", content: "First question" },
        { role: "assistant", content: "First answer" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Second question" }] },
      ],
    });
    const all = await ok<ItemList>(items(r.id));
    expect(all.object).toBe("list");
    expect(all.has_more).toBe(false);
    expect(all.data.map((i) => [i.type, i.role, i.status])).toEqual([
      ["message", "user", "completed"],
      ["message", "assistant", "completed"],
      ["message", "user", "completed"],
    ]);
    expect(all.data.map((i) => i.content)).toEqual([
      [{ type: "input_text", text: "Second question" }],
      [{ type: "output_text", text: "First answer" }],
      [{ type: "input_text", text: "First question" }],
    ]);
    for (const item of all.data) expect(item.id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect([all.first_id, all.last_id]).toEqual([all.data[0]!.id, all.data[2]!.id]);
    // The same ids on every read, so that `after` pages through them.
    const first = await ok<ItemList>(items(r.id, "?order=asc&limit=2"));
    expect(first.data.map((i) => i.id)).toEqual([all.data[2]!.id, all.data[1]!.id]);
    expect(first.has_more).toBe(true);
    const rest = await ok<ItemList>(items(r.id, `?order=asc&limit=2&after=${first.last_id}`));
    expect(rest.data.map((i) => i.id)).toEqual([all.data[0]!.id]);
    expect(rest.has_more).toBe(false);
    const plain = await create({ input: "Just a string" });
    const single = await ok<ItemList>(items(plain.id, "?include=message.input_image.image_url"));
    expect(single.data).toEqual([
      {
        id: single.first_id,
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: "Just a string" }],
      },
    ]);
  });

  it("refuses a bad limit, order or after (400 naming it), and an unknown or unstored response (404)", async () => {
    const r = await create({ input: "Page me" });
    for (const [query, param] of [
      ["?limit=0", "limit"],
      ["?limit=101", "limit"],
      ["?limit=ten", "limit"],
      ["?order=sideways", "order"],
      ["?after=msg_nope", "after"],
    ] as const) {
      const err = await expectError(await items(r.id, query), 400);
      expect(err.error.param, query).toBe(param);
    }
    await expectError(await items("resp_missing"), 404);
    const unstored = await create({ input: "Forget me", store: false });
    await expectError(await items(unstored.id), 404);
  });
});

describe("streaming", () => {
  it("sends the documented event sequence, numbered from 0, ending with response.completed", async () => {
    const whole = await create({ input: "Stream a response" });
    const list = await events({ input: "Stream a response" });
    const types = list.map((e) => e.type);
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    expect(deltas).toBeGreaterThanOrEqual(3);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i));

    const created = list[0]!.response as ResponseObject;
    expect(created).toMatchObject({ status: "in_progress", output: [], usage: null });
    const item = list[2]!.item as OutputItem;
    expect(item).toMatchObject({ type: "message", status: "in_progress", content: [], role: "assistant" });
    expect(list[3]).toMatchObject({
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "" },
    });
    const text = list
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
    expect(text).toBe(textOf(whole));
    for (const e of list.filter((x) => x.type === "response.output_text.delta")) {
      expect(e).toMatchObject({ item_id: item.id, output_index: 0, content_index: 0, logprobs: [] });
      expect(e.obfuscation).toMatch(/^[A-Za-z0-9]{1,16}$/);
    }
    expect(list.at(-4)).toMatchObject({ text, logprobs: [] });
    const completed = list.at(-1)!.response as ResponseObject;
    expect(completed.status).toBe("completed");
    expect(completed.usage).toEqual(whole.usage);
    expect(completed.output).toEqual(whole.output);
    expect(list.at(-2)!.item).toEqual(completed.output[0]);
  });

  it("leaves out obfuscation with include_obfuscation false", async () => {
    const list = await events({ input: "Plain", stream_options: { include_obfuscation: false } });
    expect(list.some((e) => "obfuscation" in e)).toBe(false);
  });

  it("stores a streamed response for a follow-up", async () => {
    const list = await events({ input: "Remember the stream" });
    const id = (list.at(-1)!.response as ResponseObject).id;
    expect((await create({ previous_response_id: id, input: "And now?" })).previous_response_id).toBe(id);
  });

  it("streams a function call: item added, argument deltas, arguments done, item done", async () => {
    const list = await events({ input: "What's the weather in Oslo?", tools: [WEATHER_TOOL] });
    const types = list.map((e) => e.type);
    const deltas = types.filter((t) => t === "response.function_call_arguments.delta").length;
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      ...Array(deltas).fill("response.function_call_arguments.delta"),
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(list[2]!.item).toMatchObject({
      type: "function_call",
      status: "in_progress",
      arguments: "",
      name: "get_weather",
    });
    const args = list
      .filter((e) => e.type === "response.function_call_arguments.delta")
      .map((e) => e.delta)
      .join("");
    expect(list.at(-3)).toMatchObject({ name: "get_weather", arguments: args, output_index: 0 });
    expect((list.at(-2)!.item as OutputItem).arguments).toBe(args);
  });

  it("streams a refusal with refusal events", async () => {
    const types = (await events({ input: "refuse this" })).map((e) => e.type);
    expect(types).toContain("response.refusal.delta");
    expect(types).toContain("response.refusal.done");
    expect(types).not.toContain("response.output_text.delta");
  });

  it("ends with response.incomplete when max_output_tokens cut the text", async () => {
    const list = await events({ input: "A long streamed answer", max_output_tokens: 16 });
    expect(list.at(-1)).toMatchObject({ type: "response.incomplete", response: { status: "incomplete" } });
  });
});

describe("GET /v1/responses/{id}?stream=true", () => {
  const replay = async (id: string, query = "") => {
    const res = await send("GET", `${RESPONSES}/${id}?stream=true${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    return sseMessages(await res.text()).map((m) => {
      const data = JSON.parse(m.data) as StreamEvent;
      expect(m.event).toBe(data.type);
      return data;
    });
  };

  it("sends a stored background stream's events again, the same ones, from after starting_after", async () => {
    const first = await events({ input: "Stream this in the background", background: true });
    const id = (first[0]!.response as ResponseObject).id;
    expect(first[0]!.response).toMatchObject({ background: true });
    expect(await replay(id)).toEqual(first);
    const rest = await replay(id, "&starting_after=3");
    expect(rest).toEqual(first.slice(4));
    expect(rest[0]!.sequence_number).toBe(4);
    expect(rest.at(-1)!.type).toBe("response.completed");
    expect(await replay(id, `&starting_after=${first.length - 1}`)).toEqual([]);
    const plain = await replay(id, "&include_obfuscation=false");
    expect(plain.some((e) => "obfuscation" in e)).toBe(false);
    expect(plain.map((e) => e.type)).toEqual(first.map((e) => e.type));
    // Any stored response, not only a streamed one; GET without stream=true is still the object.
    const whole = await create({ input: "Answered whole" });
    expect((await replay(whole.id)).at(-1)!.response).toEqual(whole);
    expect(await ok(send("GET", `${RESPONSES}/${whole.id}?stream=false`))).toEqual(whole);
  });

  it("sends a background response still in progress as it runs, the last event when it is done", async () => {
    const started = Date.now();
    const running = await create({ model: "slow-600", input: "Stream me while you work", background: true });
    const list = await replay(running.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(list.at(-1)).toMatchObject({
      type: "response.completed",
      response: { id: running.id, status: "completed" },
    });
    expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i));
  });

  it("refuses a bad starting_after (400 naming it), a cancelled response (400) and an unknown one (404)", async () => {
    const made = await create({ input: "Number my events" });
    for (const bad of ["-1", "two", "1.5", ""]) {
      const err = await expectError(
        await send("GET", `${RESPONSES}/${made.id}?stream=true&starting_after=${bad}`),
        400,
      );
      expect(err.error.param, bad).toBe("starting_after");
    }
    const slow = await create({ model: "slow-60000", input: "Stop before you start", background: true });
    await ok(send("POST", `${RESPONSES}/${slow.id}/cancel`));
    const cancelled = await expectError(await send("GET", `${RESPONSES}/${slow.id}?stream=true`), 400);
    expect(cancelled.error.message).toContain("cancelled");
    await expectError(await send("GET", `${RESPONSES}/resp_missing?stream=true`), 404);
  });
});

describe("bad requests", () => {
  it.each([
    ["no input", { model: "echo" }, "input", "missing_required_parameter"],
    ["an empty input string", { model: "echo", input: "" }, "input", "invalid_value"],
    ["an empty input list", { model: "echo", input: [] }, "input", "empty_array"],
    [
      "a message with an unknown role",
      { model: "echo", input: [{ role: "robot", content: "x" }] },
      "input[0].role",
      "invalid_value",
    ],
    [
      "max_output_tokens under 16",
      { model: "echo", input: "x", max_output_tokens: 5 },
      "max_output_tokens",
      "invalid_value",
    ],
    ["a numeric instructions", { model: "echo", input: "x", instructions: 5 }, "instructions", "invalid_type"],
  ])("answers 400 to %s", async (_name, body, param, code) => {
    const err = await expectError(await post(RESPONSES, body), 400, code);
    expect(err.error.param).toBe(param);
  });
});
