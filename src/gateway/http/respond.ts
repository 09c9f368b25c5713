// Response helpers, security headers and bounded request-body reading.
import * as z from "zod";
import { readAtMost } from "./bounded-read";
import { ERROR_CODES } from "./error-catalog";
import { type ApiError, type ErrorType, fail, helpLink } from "./errors";

const ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "rate_limit_error",
  "upstream_error",
  "internal_error",
] as const satisfies readonly ErrorType[];

/** Every code of the error catalogue (http/error-catalog.ts). */
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** The contract's error body (SPEC §2): exactly these four keys. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    type: z.enum(ERROR_TYPES),
    code: ErrorCodeSchema,
    /** What went wrong, what to do next, and the link to the code's catalogue entry. */
    message: z.string(),
    /** Also in the x-request-id header; give it to the operator when asking about an error. */
    request_id: z.string(),
  }),
});

/** A model provider's own error, passed on as the provider said it (OpenAI's shape), with the request id. */
export const ProviderErrorBodySchema = z.strictObject({
  error: z.strictObject({
    message: z.string(),
    type: z.string(),
    code: z.string().nullable(),
    param: z.string().nullable(),
    request_id: z.string(),
  }),
});

/** The token endpoint's error body (RFC 6749 §5.2), with the request id. */
export const OAuthErrorBodySchema = z.strictObject({
  error: ErrorCodeSchema,
  error_description: z.string(),
  /** The code's entry in the error catalogue. */
  error_uri: z.string(),
  request_id: z.string(),
});

const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
  // Answers, keys and audit data must never sit in a shared or browser cache.
  "cache-control": "no-store",
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * The contract's error shape; `docsUrl` is where the error catalogue is served, linked from the message and
 * from the Link header (rel="help") of every error response.
 */
export function errorResponse(err: ApiError, requestId: string, docsUrl: string): Response {
  const headers = { ...err.headers, link: helpLink(err.code, docsUrl) };
  if (err.upstream) {
    // The provider's own words (type, code, param, message), with its status, so that SDKs act on them.
    const { status, ...error } = err.upstream;
    const body: z.infer<typeof ProviderErrorBodySchema> = { error: { ...error, request_id: requestId } };
    return json(body, status, headers);
  }
  const body: z.infer<typeof ErrorBodySchema> = {
    error: { type: err.type, code: err.code, message: err.publicMessage(docsUrl), request_id: requestId },
  };
  return json(body, err.status, headers);
}

/**
 * The OAuth 2.0 error shape (RFC 6749 §5.2) for the token endpoint: `{"error","error_description"}`, with
 * `error_uri` pointing at the catalogue entry and the request id for support.
 */
export function oauthErrorResponse(err: ApiError, requestId: string, docsUrl: string): Response {
  return json(
    {
      error: err.code,
      error_description: err.publicMessage(docsUrl),
      error_uri: `${docsUrl}#${err.code}`,
      request_id: requestId,
    } satisfies z.infer<typeof OAuthErrorBodySchema>,
    err.status,
    { pragma: "no-cache", ...err.headers, link: helpLink(err.code, docsUrl) },
  );
}

/**
 * The same error as a small HTML page, for routes a browser navigates to (the dashboard's single sign-on): the
 * message (what went wrong, what to do, the catalogue link), the code and request id, and the way back.
 */
export function pageErrorResponse(err: ApiError, requestId: string, docsUrl: string): Response {
  const html = [
    '<!doctype html><html lang="en"><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>Cordon: sign-in failed</title>",
    "<h1>Sign-in failed</h1>",
    `<p>${escapeHtml(err.publicMessage(docsUrl))}</p>`,
    `<p>Error <code>${err.code}</code>, request <code>${escapeHtml(requestId)}</code>.</p>`,
    '<p><a href="/dashboard">Back to the dashboard</a></p>',
  ].join("\n");
  return new Response(html, {
    status: err.status,
    headers: { "content-type": "text/html; charset=utf-8", ...err.headers },
  });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * Adds the request id and security headers; returns a response whose headers can be changed. A response that
 * sets its own Content-Security-Policy keeps it (the dashboard's page, which must load its own script and style).
 */
export function finalizeResponse(res: Response, requestId: string): Response {
  const out = new Response(res.body, res);
  const ownPolicy = res.headers.get("content-security-policy");
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) out.headers.set(k, v);
  if (ownPolicy !== null) out.headers.set("content-security-policy", ownPolicy);
  out.headers.set("x-request-id", requestId);
  return out;
}

/**
 * The answer to a HEAD request: the GET answer's status and headers without its body (RFC 9110 §9.3.2). The body
 * is read to its end, as a GET's client reads it, so that a streamed answer finishes as it would (with what it
 * records), and its length is the Content-Length a GET would carry. A body that fails part-way has no length.
 */
export async function withoutBody(res: Response): Promise<Response> {
  const headers = new Headers(res.headers);
  if (res.body !== null) {
    const reader = res.body.getReader();
    let length = 0;
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) length += chunk.value.byteLength;
      headers.set("content-length", String(length));
    } catch {
      headers.delete("content-length");
    }
  }
  return new Response(null, { status: res.status, statusText: res.statusText, headers });
}

/**
 * Reads a JSON body of at most `maxBytes`: 415 unless the content type is JSON, 413 when larger (checked on
 * the declared length first, then while reading, so a lying or absent length cannot get past), 400 when the
 * bytes are not UTF-8 JSON or stop short (the client went away while sending them).
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw fail("unsupported_media_type");
  }
  const bytes = await readBody(request, maxBytes);
  if (bytes === null) throw fail("invalid_json", { message: "The request body is empty." });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw fail("invalid_json", { message: "The request body is not valid UTF-8." });
  }
  if (text.trim() === "") throw fail("invalid_json", { message: "The request body is empty." });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail("invalid_json");
  }
  const shape = shapeOf(value);
  if (shape.depth > MAX_JSON_DEPTH) {
    throw fail("invalid_json", { message: `The request body nests deeper than ${MAX_JSON_DEPTH} levels.` });
  }
  if (shape.inexact) {
    throw fail("invalid_json", {
      message: `The request body has a number JSON cannot carry exactly: integers must be within ±${Number.MAX_SAFE_INTEGER}, and numbers finite.`,
    });
  }
  if (shape.loneSurrogate) {
    // A lone surrogate (\ud800) has no UTF-8 form: every hash of the text maps it to U+FFFD, so two different
    // prompts or users would share one cache key while the provider read each as sent. I-JSON (RFC 7493 §2.1)
    // forbids them; no text needs one.
    throw fail("invalid_json", {
      message: "The request body has a string with an unpaired surrogate escape (such as \\ud800), which is not text.",
    });
  }
  if (shape.protoKey) {
    // JSON.parse keeps "__proto__" as an ordinary key, but most code that copies objects would turn it into a
    // prototype and lose it (from the cache partition, among others): no OpenAI field has this name; refuse it.
    throw fail("invalid_json", { message: 'The request body has a "__proto__" key, which no API field uses.' });
  }
  return value;
}

/**
 * The body's bytes, at most `maxBytes` (413 past it: on the declared length first, then while reading, so a
 * lying or absent length cannot get past); null when there is no body; 400 when the body stops short; 415 when
 * it is compressed.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  // The runtime passes a compressed body on as it came: read as the body itself, gzip bytes would be refused as
  // text that is not UTF-8, and plain bytes labelled gzip would be served as if the label were not there.
  const encoding = (request.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity") throw fail("unsupported_content_encoding");
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return null;
  let bytes: Uint8Array | null;
  try {
    bytes = await readAtMost(request.body, maxBytes);
  } catch {
    // The body stream breaks when the client closes or loses its connection before sending all of it (fewer bytes
    // than its Content-Length): the request is incomplete, not a failure of the gateway.
    throw fail("invalid_request", {
      message: "The request body ended before it was complete.",
      reason: "body_incomplete",
    });
  }
  if (bytes === null) throw tooLarge(maxBytes);
  return bytes;
}

/** Deepest nesting accepted in a JSON body (tool schemas nest a dozen levels; nothing legitimate nears this). */
export const MAX_JSON_DEPTH = 64;

interface JsonShape {
  depth: number;
  protoKey: boolean;
  inexact: boolean;
  loneSurrogate: boolean;
}

/**
 * Nesting depth of parsed JSON, whether any object has an own "__proto__" key, a number it cannot carry exactly,
 * or a string (value or key) holding a lone surrogate; iterative, bounded.
 */
function shapeOf(root: unknown): JsonShape {
  const shape: JsonShape = { depth: 0, protoKey: false, inexact: false, loneSurrogate: false };
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v === "number" && !exactNumber(v)) return { ...shape, inexact: true };
    if (typeof v === "string" && LONE_SURROGATE.test(v)) return { ...shape, loneSurrogate: true };
    if (v === null || typeof v !== "object") continue;
    if (d > shape.depth) shape.depth = d;
    if (d > MAX_JSON_DEPTH) return shape;
    if (!Array.isArray(v) && Object.hasOwn(v, "__proto__")) return { ...shape, protoKey: true };
    if (!Array.isArray(v) && Object.keys(v).some((k) => LONE_SURROGATE.test(k)))
      return { ...shape, loneSurrogate: true };
    for (const child of Object.values(v)) if (child !== null && typeof child !== "boolean") stack.push([child, d + 1]);
  }
  return shape;
}

/** A UTF-16 surrogate not part of a pair: with the u flag, a pair is one code point and never matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether a number JSON gave is what was written: finite, and an integer no larger than 2^53 in magnitude. Past
 * that, two different integers (two 64-bit seeds) parse to the same double — the same cache partition, and not the
 * value sent on — and past the double range a number parses to Infinity, which JSON writes as null.
 */
function exactNumber(n: number): boolean {
  return Number.isFinite(n) && (!Number.isInteger(n) || Math.abs(n) <= Number.MAX_SAFE_INTEGER);
}
function tooLarge(maxBytes: number): ApiError {
  return fail("payload_too_large", { message: `The request body exceeds ${maxBytes} bytes.` });
}

/**
 * Ends a streamed body when its client goes away, where the runtime says so only through the request's `signal`
 * (neither reading the body further nor cancelling it): `gone` is called once when the signal aborts (at once if
 * it has), and the body is closed unless `gone` answers false (the stream had ended already). Whoever waits for
 * the stream's end — its audit event — so learns it.
 */
export function closeWhenClientGoes(
  signal: AbortSignal | undefined,
  controller: ReadableStreamDefaultController<Uint8Array>,
  gone: () => boolean,
): void {
  const goneAway = () => {
    if (!gone()) return;
    try {
      controller.close();
    } catch {
      // already closed or errored
    }
  };
  if (signal?.aborted) goneAway();
  else signal?.addEventListener("abort", goneAway, { once: true });
}
