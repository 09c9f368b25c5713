// The OpenAI Responses API request (POST /v1/responses), validated only where Cordon interprets it — the
// model, the input (a string, or a list of items whose messages it reads), whether the request is stateless
// (store, previous_response_id, conversation, background), stream, instructions and `user` — and passed through
// unchanged everywhere else, as for chat (protocol/chat.ts): a field Cordon does not know is neither refused
// nor dropped, and it is part of the cache partition (cache/plan-responses.ts). Sizes and nesting are bounded by
// the body reader (http/respond.ts) before this schema runs.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";
import { EndUserSchema } from "./chat";

const Text = z.string().max(1_000_000);
/** A content part: text parts (`input_text`, `output_text`) need a string `text`; others pass as they are. */
const Part = z
  .looseObject({ type: z.string().min(1).max(64), text: Text.optional() })
  .refine((p) => !["input_text", "output_text"].includes(p.type) || typeof p.text === "string", {
    message: "text parts need a string 'text'",
  });

export const RESPONSES_ROLES = ["user", "assistant", "system", "developer"] as const;

/** A message item (`type: "message"`, or no type and a role). */
const MessageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(RESPONSES_ROLES),
  content: z.union([Text, z.array(Part).max(256)]),
});
/** Any other item (function_call, function_call_output, reasoning, item_reference…): passed on unread. */
const OtherItem = z
  .looseObject({ type: z.string().min(1).max(64) })
  .refine((i) => i.type !== "message", { message: "a message item needs a role and content" });
const Item = z.union([MessageItem, OtherItem]);

export const ResponsesRequestSchema = z
  .looseObject({
    model: ModelNameSchema,
    /** Optional when a stored prompt template (`prompt`) is given, as OpenAI's. */
    input: z.union([Text, z.array(Item).max(2048)]).optional(),
    instructions: Text.nullable().optional(),
    stream: z.boolean().nullable().optional(),
    /** OpenAI's default is true: the response is kept by the provider, for previous_response_id and retrieval. */
    store: z.boolean().nullable().optional(),
    previous_response_id: z.string().min(1).max(256).nullable().optional(),
    conversation: z
      .union([z.string().min(1).max(256), z.looseObject({ id: z.string().min(1).max(256) })])
      .nullable()
      .optional(),
    background: z.boolean().nullable().optional(),
    /** OpenAI's end-user id; it narrows the cache scope to that user (an empty string names none). */
    user: EndUserSchema.optional(),
  })
  .refine((r) => r.input !== undefined || (r.prompt !== undefined && r.prompt !== null), {
    message: "input is required unless a stored prompt template (prompt) is given",
    path: ["input"],
  });

export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;
export type ResponsesItem = Exclude<ResponsesRequest["input"], string | undefined>[number];
export type ResponsesMessage = z.infer<typeof MessageItem>;

export const isMessageItem = (item: ResponsesItem): item is ResponsesMessage =>
  (item.type === undefined || item.type === "message") && "role" in item;

/**
 * Stateless: nothing about the request is kept by the provider, nor refers to something it kept — the only
 * requests whose answer can be cached. OpenAI keeps a response unless told `store: false`.
 */
export function isStateless(req: ResponsesRequest): boolean {
  return (
    req.store === false &&
    (req.previous_response_id ?? null) === null &&
    (req.conversation ?? null) === null &&
    req.background !== true
  );
}

/** The part of a provider's Response object that Cordon reads; every other field passes through untouched. */
export const ResponseObjectSchema = z.looseObject({
  id: z.string(),
  object: z.literal("response"),
  created_at: z.number(),
  status: z.string().nullable().optional(),
  model: z.string().optional(),
  output: z.array(z.looseObject({ type: z.string(), id: z.string().optional() })),
  usage: z
    .looseObject({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() })
    .nullable()
    .optional(),
});
export type ResponseObject = z.infer<typeof ResponseObjectSchema>;

/** The ids of a response's output items (those that carry one): what a later request may refer to. */
export const outputItemIds = (response: ResponseObject): string[] =>
  response.output.flatMap((item) => (typeof item.id === "string" && item.id !== "" ? [item.id] : []));

/** What DELETE /v1/responses/{id} answers, as OpenAI does. */
export const DeletedResponseSchema = z.strictObject({
  id: z.string(),
  object: z.literal("response"),
  deleted: z.literal(true),
});

/**
 * What GET /v1/responses/{id}/input_items answers, as OpenAI does: a page of the response's input items (each
 * item passes through untouched).
 */
export const InputItemListSchema = z.looseObject({
  object: z.literal("list"),
  data: z.array(z.looseObject({ type: z.string(), id: z.string().optional() })),
  first_id: z.string().nullable().optional(),
  last_id: z.string().nullable().optional(),
  has_more: z.boolean(),
});
type OutputItem = ResponseObject["output"][number];

/** The answer text, as the SDKs' `output_text` computes it: every output_text part of every message item. */
export function outputText(r: ResponseObject): string {
  return r.output
    .filter((item) => item.type === "message")
    .flatMap((item) =>
      Array.isArray(item.content) ? (item.content as ({ type?: unknown; text?: unknown } | null)[]) : [],
    )
    .flatMap((part) => (part?.type === "output_text" && typeof part.text === "string" ? [part.text] : []))
    .join("");
}

/**
 * Whether a provider's Response may be stored: completed, with text messages only (output_text parts), and
 * reasoning items only when they carry no encrypted reasoning (which a later request could send back, and which
 * belongs to the response that produced it). Function calls, refusals and other tools' items are never stored.
 */
export function isStorableResponse(r: ResponseObject): boolean {
  if (r.status !== "completed" || outputText(r) === "") return false;
  return r.output.every((item) => storableItem(item));
}

function storableItem(item: OutputItem): boolean {
  if (item.type === "reasoning") return item.encrypted_content === undefined || item.encrypted_content === null;
  if (item.type !== "message" || !Array.isArray(item.content)) return false;
  return (item.content as ({ type?: unknown; text?: unknown } | null)[]).every(
    (p) => p?.type === "output_text" && typeof p.text === "string",
  );
}
