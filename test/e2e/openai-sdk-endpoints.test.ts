// The official `openai` SDK's other endpoints against Cordon under `wrangler dev`, configured only by `baseURL`
// and `apiKey`: embeddings (the SDK's base64 default), the Responses API (whole, streamed, stateless hits,
// stateful pass-through, stored responses: retrieve, delete, cancel, input items, a background stream resumed)
// and models. Chat completions: openai-sdk.test.ts.
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import type {
  Response as OpenAIResponse,
  ResponseItem,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";
import { beforeAll, describe, expect, it } from "vitest";
import { type SdkTenant, sdkTenant, untilCached } from "./sdk";

let t: SdkTenant;
let client: OpenAI;

beforeAll(async () => {
  t = await sdkTenant("oaiend");
  client = new OpenAI({ baseURL: t.baseURL, apiKey: t.key });
});

describe("embeddings", () => {
  it("decodes the SDK's default base64 to the floats of encoding_format float, and caches them", async () => {
    const input = ["The quick brown fox", "jumps over the lazy dog"];
    const model = "text-embedding-3-small";
    const asBase64 = await client.embeddings.create({ model, input }).withResponse();
    expect(asBase64.response.headers.get("x-cache")).toBe("MISS");
    const asFloat = await client.embeddings.create({ model, input, encoding_format: "float" }).withResponse();
    expect(asFloat.response.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(asBase64.data.data.map((d) => d.index)).toEqual([0, 1]);
    for (const [i, d] of asBase64.data.data.entries()) {
      expect(d.embedding).toHaveLength(1536);
      expect(d.embedding).toEqual(asFloat.data.data[i]?.embedding);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    }
    expect(asBase64.data.usage.prompt_tokens).toBeGreaterThan(0);

    const single = await client.embeddings.create({ model, input: "The quick brown fox", dimensions: 256 });
    expect(single.data[0]?.embedding).toHaveLength(256);
  });
});

describe("responses", () => {
  const request = (input: string) => ({ model: "gpt-4o-mini", input, store: false });

  it("creates a stateless response, then serves it from the cache", async () => {
    const input = "Describe the colour of the sky at noon.";
    const first = await client.responses.create(request(input)).withResponse();
    const response: OpenAIResponse = first.data;
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    expect(response.status).toBe("completed");
    expect(response.output_text).toContain("colour of the sky");
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const hit = await untilCached(
      () => client.responses.create(request(input)).withResponse(),
      (r) => r.response.headers.get("x-cache"),
    );
    expect(hit.data.id).not.toBe(response.id);
    expect(hit.data.output_text).toBe(response.output_text);
  });

  it("streams a miss and replays a hit as the same events, by create({stream: true}) and responses.stream()", async () => {
    const input = "Explain why leaves change colour in autumn.";
    const collect = async () => {
      const { data, response } = await client.responses.create({ ...request(input), stream: true }).withResponse();
      const events: ResponseStreamEvent[] = [];
      for await (const event of data) events.push(event);
      const deltas = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
      return { events, text: deltas.join(""), deltas: deltas.length, cache: response.headers.get("x-cache") };
    };
    const miss = await collect();
    expect(miss.cache).toBe("MISS");
    expect(miss.events[0]?.type).toBe("response.created");
    expect(miss.events.at(-1)?.type).toBe("response.completed");
    expect(miss.events.map((e) => e.sequence_number)).toEqual(miss.events.map((_, i) => i));
    expect(miss.deltas).toBeGreaterThan(1);
    expect(miss.text).toContain("leaves change colour");

    const hit = await untilCached(collect, (r) => r.cache);
    // The same sequence of events; only how the text is cut into deltas may differ.
    const shape = (events: ResponseStreamEvent[]) => events.map((e) => e.type).filter((t, i, a) => t !== a[i - 1]);
    expect(shape(hit.events)).toEqual(shape(miss.events));
    expect(hit.events.map((e) => e.sequence_number)).toEqual(hit.events.map((_, i) => i));
    expect(hit.text).toBe(miss.text);

    const stream = client.responses.stream(request(input));
    let streamed = "";
    stream.on("response.output_text.delta", (e) => {
      streamed += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(miss.text);
    expect(streamed).toBe(final.output_text);
  });

  it("passes stateful responses through, uncached, and continues them by previous_response_id", async () => {
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "Hello there" }).withResponse();
    expect(first.response.headers.get("x-cache")).toBe("BYPASS");
    const next = await client.responses
      .create({ model: "gpt-4o-mini", input: "And goodbye", previous_response_id: first.data.id })
      .withResponse();
    expect(next.response.headers.get("x-cache")).toBe("BYPASS");
    expect(next.data.previous_response_id).toBe(first.data.id);
    expect(next.data.output_text).toContain("And goodbye");
  });

  it("retrieves and deletes a stored response; once deleted it is NotFoundError", async () => {
    const made = await client.responses.create({ model: "gpt-4o-mini", input: "Keep this one" });
    const read = await client.responses.retrieve(made.id);
    expect(read.id).toBe(made.id);
    expect(read.output_text).toBe(made.output_text);
    await client.responses.delete(made.id);
    const gone = await client.responses.retrieve(made.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as NotFoundError).code).toBe("response_not_found");
  });

  it("cancels a background response; cancelling one not made in the background is BadRequestError", async () => {
    // slow-<ms>: the local provider's background response stays in progress that long.
    const queued = await client.responses.create({
      model: "slow-60000",
      input: "Write a long report.",
      background: true,
    });
    expect(queued).toMatchObject({ status: "queued", background: true });
    expect((await client.responses.retrieve(queued.id)).status).toBe("in_progress");
    const cancelled = await client.responses.cancel(queued.id);
    expect(cancelled).toMatchObject({ id: queued.id, status: "cancelled" });
    expect(cancelled.output).toEqual([]);
    expect((await client.responses.retrieve(queued.id)).status).toBe("cancelled");

    const answered = await client.responses.create({ model: "gpt-4o-mini", input: "Answer me at once." });
    const refused = await client.responses.cancel(answered.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).message).toContain("background");
    const unknown = await client.responses.cancel("resp_unknown").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).code).toBe("response_not_found");
  });

  it("resumes a background stream it left: retrieve({stream: true, starting_after}) sends the rest", async () => {
    // slow-stream-<ms>: the local provider sends an event that often, when made and when resumed alike.
    const stream = await client.responses.create({
      model: "slow-stream-50",
      input: "Write a long report on lighthouses.",
      background: true,
      stream: true,
    });
    const seen: ResponseStreamEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      // Leaving the loop aborts the request, as a lost connection ends it.
      if (event.sequence_number >= 3) break;
    }
    const created = seen[0];
    if (created?.type !== "response.created") throw new Error(`first event: ${created?.type}`);
    const id = created.response.id;
    const last = seen.at(-1)!.sequence_number;

    const resumed = await client.responses.retrieve(id, { stream: true, starting_after: last });
    const rest: ResponseStreamEvent[] = [];
    for await (const event of resumed) rest.push(event);
    expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => last + 1 + i));
    const completed = rest.at(-1);
    if (completed?.type !== "response.completed") throw new Error(`last event: ${completed?.type}`);
    expect(completed.response).toMatchObject({ id, status: "completed", background: true });
    const text = [...seen, ...rest].flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    expect(text.join("")).toBe((await client.responses.retrieve(id)).output_text);

    const other = await sdkTenant("oairesume");
    const stranger = new OpenAI({ baseURL: other.baseURL, apiKey: other.key });
    const refused = await stranger.responses.retrieve(id, { stream: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotFoundError);
    expect((refused as NotFoundError).code).toBe("response_not_found");
  });

  it("lists a stored response's input items, a page or all of them by the SDK's paging", async () => {
    const made = await client.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "user", content: "The first thing." },
        { role: "assistant", content: "The second thing." },
        { role: "user", content: "The third thing." },
      ],
    });
    const textOf = (item: ResponseItem) =>
      item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : "";
    const page = await client.responses.inputItems.list(made.id, { limit: 2, order: "asc" });
    expect(page.data.map(textOf)).toEqual(["The first thing.", "The second thing."]);
    expect(page.has_more).toBe(true);
    const all: ResponseItem[] = [];
    for await (const item of client.responses.inputItems.list(made.id, { limit: 1, order: "asc" })) all.push(item);
    expect(all.map(textOf)).toEqual(["The first thing.", "The second thing.", "The third thing."]);
    const newest = await client.responses.inputItems.list(made.id, { include: ["message.input_image.image_url"] });
    expect(newest.data.map(textOf)).toEqual(["The third thing.", "The second thing.", "The first thing."]);
    const missing = await client.responses.inputItems.list("resp_unknown").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});

describe("models", () => {
  it("lists and retrieves models; an unknown one is NotFoundError", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o-mini", "text-embedding-3-small"]));
    const model = await client.models.retrieve("gpt-4o-mini");
    expect(model).toMatchObject({ id: "gpt-4o-mini", object: "model", owned_by: expect.any(String) });
    const missing = await client.models.retrieve("gpt-0-nonexistent").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).code).toBe("model_not_found");
  });
});
