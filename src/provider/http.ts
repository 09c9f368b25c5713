// HTTP plumbing of the local provider: OpenAI-style errors (`{"error":{"message","type","param","code"}}`),
// reading a JSON body within the size limit, and turning a schema failure into the 400 OpenAI would send
// (`Missing required parameter: 'messages'.`, `Invalid type for 'messages[0].role': …`, with `param`).
import type * as z from "zod";

/** Larger bodies are refused before they are read (the gateway's own limit is far below this). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ErrorInit {
  status: number;
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

/** An expected failure, answered with OpenAI's error shape; thrown anywhere below the router. */
export class ProviderError extends Error {
  constructor(readonly init: ErrorInit) {
    super(init.message);
  }
}

export function errorResponse(init: ErrorInit): Response {
  const { status, message, type, param = null, code = null, headers = {} } = init;
  return Response.json({ error: { message, type, param, code } }, { status, headers });
}

/** A 400 `invalid_request_error`, the status of every malformed request. */
export const invalidRequest = (message: string, param: string | null, code: string | null = null): ProviderError =>
  new ProviderError({ status: 400, message, type: "invalid_request_error", param, code });

export const notFound = (message: string, param: string | null = null, code: string | null = null): ProviderError =>
  new ProviderError({ status: 404, message, type: "invalid_request_error", param, code });

export function methodNotAllowed(allow: string): Response {
  return errorResponse({
    status: 405,
    message: `Use ${allow}.`,
    type: "invalid_request_error",
    code: "method_not_allowed",
    headers: { allow },
  });
}

/** The body as a JSON object, or a ProviderError (413 over the limit, 400 otherwise). */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const tooLarge = new ProviderError({
    status: 413,
    message: `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
    type: "invalid_request_error",
    code: "request_too_large",
  });
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) throw tooLarge;
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw tooLarge;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidRequest(
      "We could not parse the JSON body of your request. The body must be valid JSON (Content-Type: application/json).",
      null,
      "invalid_json",
    );
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_json");
  }
  return body as Record<string, unknown>;
}

/** Validates `body` against `schema`; the first problem becomes an OpenAI-style 400 naming its parameter. */
export function parseWith<T extends z.ZodType>(schema: T, body: Record<string, unknown>): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { issue, path } = deepest(result.error.issues[0]!, []);
  const param = paramOf(path);
  if (valueAt(body, path) === undefined) {
    throw invalidRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
  }
  if (issue.code === "invalid_type") {
    throw invalidRequest(`Invalid type for '${param}': expected ${issue.expected}.`, param, "invalid_type");
  }
  if (issue.code === "too_small" && issue.origin === "array" && issue.minimum === 1) {
    throw invalidRequest(
      `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      param,
      "empty_array",
    );
  }
  throw invalidRequest(`Invalid value for '${param}': ${issue.message}`, param, "invalid_value");
}

/**
 * The issue to report: for a union that matched no option, the problem of the option that got furthest into
 * the value (so a bad role in `input[0]` is reported as `input[0].role`, not as "not a string"). Paths inside
 * a union's options are relative to the union.
 */
function deepest(issue: z.core.$ZodIssue, base: PropertyKey[]): { issue: z.core.$ZodIssue; path: PropertyKey[] } {
  const path = [...base, ...issue.path];
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return { issue, path };
  let best: { issue: z.core.$ZodIssue; path: PropertyKey[] } | null = null;
  for (const option of issue.errors) {
    if (!option[0]) continue;
    const candidate = deepest(option[0], path);
    if (!best || candidate.path.length > best.path.length) best = candidate;
  }
  return best ?? { issue, path };
}

/** `["messages", 0, "role"]` → `messages[0].role`, as OpenAI names parameters. */
export function paramOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
