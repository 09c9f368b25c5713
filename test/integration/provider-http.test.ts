// The local provider's HTTP surface: request-id and timing headers on every answer, the model endpoints,
// routes and methods, and hostile input (bad JSON, wrong types, huge bodies) answered with OpenAI-style
// errors, never an exception.
import { describe, expect, it } from "vitest";
import { chat, expectError, ok, post, send } from "./provider-helpers";

const CHAT = "/v1/chat/completions";

describe("x-request-id and openai-processing-ms", () => {
  it.each([
    ["a completion", () => post(CHAT, chat("hi"))],
    ["a stream", () => post(CHAT, chat("hi", { stream: true }))],
    ["embeddings", () => post("/v1/embeddings", { model: "text-embedding-3-small", input: "hi" })],
    ["a response", () => post("/v1/responses", { model: "echo", input: "hi" })],
    ["the model list", () => send("GET", "/v1/models")],
    ["healthz", () => send("GET", "/healthz")],
    ["an unknown path", () => send("GET", "/nowhere")],
    ["a wrong method", () => send("GET", CHAT)],
    ["bad JSON", () => post(CHAT, "{")],
    ["an injected error", () => post(CHAT, chat("hi", { model: "error-503" }))],
  ])("are on %s", async (_name, call) => {
    const res = await call();
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.headers.get("openai-processing-ms")).toMatch(/^\d+$/);
    await res.text();
  });

  it("gives each request its own id", async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await send("GET", "/healthz")).headers.get("x-request-id")),
    );
    expect(new Set(ids).size).toBe(3);
  });
});

describe("models", () => {
  interface Model {
    id: string;
    object: string;
    created: number;
    owned_by: string;
  }

  it("lists OpenAI's and the local models in OpenAI's shape", async () => {
    const list = await ok<{ object: string; data: Model[] }>(send("GET", "/v1/models"));
    expect(list.object).toBe("list");
    const ids = list.data.map((m) => m.id);
    for (const id of ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "echo", "refuse", "hang", "broken-stream"]) {
      expect(ids).toContain(id);
    }
    for (const prefix of ["slow-", "slow-stream-", "error-", "error-after-", "flaky-"]) {
      expect(ids.some((id) => id.startsWith(prefix))).toBe(true);
    }
    for (const m of list.data) {
      expect(Object.keys(m).sort()).toEqual(["created", "id", "object", "owned_by"]);
      expect(m.object).toBe("model");
      expect(Number.isInteger(m.created)).toBe(true);
    }
    expect(list.data.find((m) => m.id === "gpt-4o-mini")!.owned_by).toBe("system");
    expect(list.data.find((m) => m.id === "echo")!.owned_by).toBe("cordon");
  });

  it.each([
    ["gpt-4o-mini", "gpt-4o-mini", "system"],
    ["openai/gpt-4o", "gpt-4o", "system"],
    ["local/slow-250", "slow-250", "cordon"],
    ["flaky-30-x", "flaky-30-x", "cordon"],
  ])("retrieves %s", async (path, id, owner) => {
    expect(await ok<Model>(send("GET", `/v1/models/${path}`))).toMatchObject({ id, object: "model", owned_by: owner });
  });

  it("answers 404 model_not_found for an unknown model", async () => {
    const err = await expectError(await send("GET", "/v1/models/gpt-17"), 404, "model_not_found");
    expect(err.error).toMatchObject({ type: "invalid_request_error", param: "model" });
    expect(err.error.message).toContain("gpt-17");
  });
});

describe("routes", () => {
  it("GET /healthz answers ok", async () => {
    expect(await ok(send("GET", "/healthz"))).toEqual({ ok: true });
  });

  it.each([
    ["GET", CHAT, "POST"],
    ["PUT", "/v1/embeddings", "POST"],
    ["DELETE", "/v1/responses", "POST"],
    ["POST", "/healthz", "GET"],
    ["POST", "/v1/models", "GET"],
    ["DELETE", "/v1/models/gpt-4o", "GET"],
  ])("%s %s is 405 with Allow: %s", async (method, path, allow) => {
    const res = await send(method, path, method === "GET" || method === "DELETE" ? undefined : "{}");
    expect(res.headers.get("allow")).toBe(allow);
    await expectError(res, 405, "method_not_allowed");
  });

  it.each([
    ["GET", "/"],
    ["POST", "/v1/completions"],
    ["GET", "/v1/chat/completions/extra"],
    ["GET", "/v1/responses/a/b"],
  ])("%s %s is 404", async (method, path) => {
    await expectError(await send(method, path, method === "POST" ? "{}" : undefined), 404, "not_found");
  });

  it("answers 404, not 500, to an id that is not valid percent-encoding", async () => {
    await expectError(await send("GET", "/v1/responses/resp_%E0%A4%A"), 404);
    await expectError(await send("GET", "/v1/models/%E0%A4%A"), 404, "model_not_found");
  });
});

describe("hostile input", () => {
  it.each(["/v1/chat/completions", "/v1/embeddings", "/v1/responses"])(
    "%s answers bad JSON and non-objects with 400",
    async (path) => {
      for (const raw of ["{not json", "[]", "null", "42", '"text"', ""]) {
        const err = await expectError(await post(path, raw), 400, "invalid_json");
        expect(err.error.type).toBe("invalid_request_error");
      }
    },
  );

  it.each(["/v1/chat/completions", "/v1/embeddings", "/v1/responses"])(
    "%s answers a body over 1 MiB with 413",
    async (path) => {
      await expectError(
        await post(path, JSON.stringify({ model: "echo", input: "x".repeat(1024 * 1024) })),
        413,
        "request_too_large",
      );
    },
  );

  const raw = (body: unknown) => JSON.stringify(body);
  it.each([
    ["no model", raw({ messages: [{ role: "user", content: "hi" }] }), "model", "missing_required_parameter"],
    ["a numeric model", raw({ model: 4, messages: [{ role: "user", content: "hi" }] }), "model", "invalid_type"],
    ["an empty model", raw({ model: "", messages: [{ role: "user", content: "hi" }] }), "model", "invalid_value"],
    ["no messages", raw({ model: "echo" }), "messages", "missing_required_parameter"],
    ["empty messages", raw({ model: "echo", messages: [] }), "messages", "empty_array"],
    ["a null message", raw({ model: "echo", messages: [null] }), "messages[0]", "invalid_type"],
    [
      "a message without role",
      raw({ model: "echo", messages: [{ content: "hi" }] }),
      "messages[0].role",
      "missing_required_parameter",
    ],
    [
      "an unknown role",
      raw({ model: "echo", messages: [{ role: "robot", content: "hi" }] }),
      "messages[0].role",
      "invalid_value",
    ],
    [
      "numeric content",
      raw({ model: "echo", messages: [{ role: "user", content: 42 }] }),
      "messages[0].content",
      "invalid_type",
    ],
    [
      "a text part without text",
      raw({ model: "echo", messages: [{ role: "user", content: [{ type: "text" }] }] }),
      "messages[0].content[0]",
      "invalid_value",
    ],
    ["a string stream flag", raw(chat("hi", { stream: "yes" })), "stream", "invalid_type"],
    [
      "a string include_usage",
      raw(chat("hi", { stream: true, stream_options: { include_usage: "yes" } })),
      "stream_options.include_usage",
      "invalid_type",
    ],
    [
      "stream_options without stream",
      raw(chat("hi", { stream_options: { include_usage: true } })),
      "stream_options",
      null,
    ],
    ["max_tokens 0", raw(chat("hi", { max_tokens: 0 })), "max_tokens", "invalid_value"],
    [
      "a fractional max_completion_tokens",
      raw(chat("hi", { max_completion_tokens: 1.5 })),
      "max_completion_tokens",
      "invalid_type",
    ],
    ["n 0", raw(chat("hi", { n: 0 })), "n", "invalid_value"],
    ["top_logprobs without logprobs", raw(chat("hi", { top_logprobs: 2 })), "top_logprobs", null],
    ["top_logprobs 21", raw(chat("hi", { logprobs: true, top_logprobs: 21 })), "top_logprobs", "invalid_value"],
    [
      "an unknown response_format",
      raw(chat("hi", { response_format: { type: "yaml" } })),
      "response_format.type",
      "invalid_value",
    ],
  ])("chat answers 400 to %s, naming the parameter", async (_name, text, param, code) => {
    const err = await expectError(await post(CHAT, text), 400, code);
    expect(err.error).toMatchObject({ type: "invalid_request_error", param });
  });

  it("passes fields it does not read", async () => {
    const res = await post(
      CHAT,
      chat("hi", { temperature: 0.2, seed: 7, user: "u", metadata: { a: "b" }, future_field: [1] }),
    );
    expect(res.status).toBe(200);
    await res.text();
  });
});
