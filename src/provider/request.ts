// Parsing and validating the OpenAI chat body the local provider receives, and its OpenAI-style error
// responses. Validation is deliberately loose about fields it does not use (clients send many), strict about
// the ones it reads: a malformed request gets a 400 with a message, never an exception.

export interface ChatMessage {
  role: string;
  content?: unknown;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  /** max_completion_tokens, else max_tokens, else null. */
  maxTokens: number | null;
  /** The whole body as received, for the answer's fingerprint. */
  body: Record<string, unknown>;
}

export type Parsed = { ok: true; request: ChatRequest } | { ok: false; response: Response };

/** Larger bodies are refused before they are read (the gateway's own limit is far below this). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An OpenAI-style error: `{"error":{"message","type","param","code"}}`. */
export function errorResponse(
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: HeadersInit = {},
): Response {
  return Response.json({ error: { message, type, param: null, code } }, { status, headers });
}

const invalid = (message: string, code: string): Parsed => ({
  ok: false,
  response: errorResponse(400, message, "invalid_request_error", code),
});
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;

export async function parseChatRequest(request: Request): Promise<Parsed> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: errorResponse(413, "The request body is too large.", "invalid_request_error", "body_too_large"),
    };
  }
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: errorResponse(413, "The request body is too large.", "invalid_request_error", "body_too_large"),
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid("The body is not valid JSON.", "invalid_json");
  }
  if (!isObject(body)) return invalid("The body must be a JSON object.", "invalid_body");
  if (typeof body.model !== "string" || body.model.trim() === "")
    return invalid("`model` is required and must be a string.", "missing_model");
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return invalid("`messages` is required and must be a non-empty array.", "missing_messages");
  for (const [i, message] of body.messages.entries()) {
    const problem = messageProblem(message);
    if (problem) return invalid(`messages[${i}]: ${problem}`, "invalid_message");
  }
  if (body.stream != null && typeof body.stream !== "boolean")
    return invalid("`stream` must be a boolean.", "invalid_stream");
  const options = body.stream_options;
  if (
    options != null &&
    (!isObject(options) || (options.include_usage != null && typeof options.include_usage !== "boolean"))
  ) {
    return invalid("`stream_options` must be an object with a boolean `include_usage`.", "invalid_stream_options");
  }
  for (const field of ["max_tokens", "max_completion_tokens"] as const) {
    if (body[field] != null && !isPositiveInt(body[field]))
      return invalid(`\`${field}\` must be a positive integer.`, "invalid_max_tokens");
  }

  const maxTokens = [body.max_completion_tokens, body.max_tokens].find(isPositiveInt) ?? null;
  return {
    ok: true,
    request: {
      model: body.model,
      messages: body.messages as ChatMessage[],
      stream: body.stream === true,
      includeUsage: isObject(options) && options.include_usage === true,
      maxTokens,
      body,
    },
  };
}

function messageProblem(message: unknown): string | null {
  if (!isObject(message)) return "must be an object.";
  if (typeof message.role !== "string" || message.role === "") return "`role` must be a non-empty string.";
  const content = message.content;
  if (content == null || typeof content === "string") return null;
  if (!Array.isArray(content)) return "`content` must be a string or an array of content parts.";
  for (const part of content) {
    if (!isObject(part) || typeof part.type !== "string") return "each content part must be an object with a `type`.";
    if (part.type === "text" && typeof part.text !== "string") return "a text part needs a string `text`.";
  }
  return null;
}

/** The text of a message's content: the string itself, or its text parts joined by newlines. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p): p is { type: "text"; text: string } => isObject(p) && p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
}
