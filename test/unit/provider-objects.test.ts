// Which provider-stored objects a request names (policy/provider-objects.ts): files, vector stores, containers and
// conversations, wherever OpenAI's chat and Responses shapes put them — and nothing in the caller's own data or a
// JSON Schema, where a property of one of those names is no reference.
import { describe, expect, it } from "vitest";
import { providerObjectsNamed } from "../../src/gateway/policy/provider-objects";

describe("provider objects a request names", () => {
  it("finds a chat message's file part", () => {
    const body = {
      model: "openai/gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Sum it up" },
            { type: "file", file: { file_id: "file-abc" } },
          ],
        },
      ],
    };
    expect(providerObjectsNamed(body)).toEqual(["file_id:file-abc"]);
  });

  it("finds Responses' input files and images, file search, code interpreter and the conversation", () => {
    const body = {
      model: "openai/gpt-4o",
      conversation: { id: "conv_1" },
      input: [
        {
          role: "user",
          content: [
            { type: "input_file", file_id: "file-in" },
            { type: "input_image", file_id: "file-img", detail: "auto" },
          ],
        },
      ],
      tools: [
        { type: "file_search", vector_store_ids: ["vs_1", "vs_2"] },
        { type: "code_interpreter", container: "cntr_1" },
        { type: "code_interpreter", container: { type: "auto", file_ids: ["file-code"] } },
      ],
    };
    expect(providerObjectsNamed(body)).toEqual([
      "conversation:conv_1",
      "file_id:file-in",
      "file_id:file-img",
      "vector_store_ids:vs_1",
      "vector_store_ids:vs_2",
      "container:cntr_1",
      "file_ids:file-code",
    ]);
    expect(providerObjectsNamed({ conversation: "conv_2" })).toEqual(["conversation:conv_2"]);
  });

  it("finds none in a plain request, in metadata, in a tool's parameters or a response format's schema", () => {
    expect(providerObjectsNamed({ model: "m", messages: [{ role: "user", content: "file_id: file-abc" }] })).toEqual(
      [],
    );
    const body = {
      model: "m",
      metadata: { file_id: "mine", container: "blue" },
      tools: [
        {
          type: "function",
          function: { name: "open", parameters: { type: "object", properties: { file_id: { type: "string" } } } },
        },
        { type: "function", name: "open", parameters: { properties: { container: { type: "string" } } } },
      ],
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { properties: { file_ids: {} } } } },
      text: { format: { type: "json_schema", name: "x", schema: { properties: { vector_store_ids: {} } } } },
      conversation: null,
    };
    expect(providerObjectsNamed(body)).toEqual([]);
  });

  it("stops at the limit and at a depth no request reaches", () => {
    const many = { input: Array.from({ length: 20 }, (_, i) => ({ type: "input_file", file_id: `file-${i}` })) };
    expect(providerObjectsNamed(many, 3)).toEqual(["file_id:file-0", "file_id:file-1", "file_id:file-2"]);
    let deep: Record<string, unknown> = { file_id: "file-deep" };
    for (let i = 0; i < 100; i++) deep = { nested: deep };
    expect(providerObjectsNamed(deep)).toEqual([]);
  });
});
