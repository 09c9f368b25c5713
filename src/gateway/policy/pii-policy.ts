// The tenant's PII mode applied to a chat request, as a pure function (SPEC §3):
//   skip    (default) answer, but nothing about the request touches the cache: no lookup (the prompt is not
//           embedded), no store;
//   redact  every finding in every message is replaced by a typed placeholder before the provider and the cache
//           see it; the answer is not un-redacted;
//   block   refused with 422 `pii_detected`, naming the kinds found, never the values.
// Every string a message carries is scanned: content strings and text parts of every role, its `name`, and the
// arguments of the tool and function calls an assistant message made (redacted inside their JSON, so they stay
// valid JSON), then every other string of the message (mapMessageRest: a refusal, a custom tool call's input, a
// field Cordon does not know) but image, audio and file parts; a value split across two strings is not found
// (pii/index.ts). So is every string of the request's other fields (mapOtherFields), but for the caller's
// identifiers (`user` and its kin).

import { PII_KINDS, type PiiKind, piiKindsIn, redactPii } from "../pii/index";
import type { ChatMessage, ChatRequest } from "../protocol/chat";
import { type EmbeddingInput, type EmbeddingsRequest, inputsOf } from "../protocol/embeddings";

export type PiiMode = "skip" | "redact" | "block";

/** What the tenant's mode makes of a request (chat's here; the Responses API's in pii-responses.ts). */
export type PiiOutcome<R = ChatRequest> =
  | { readonly action: "clean"; readonly request: R }
  | { readonly action: "bypass"; readonly request: R; readonly kinds: PiiKind[] }
  | { readonly action: "redacted"; readonly request: R; readonly kinds: PiiKind[] }
  | { readonly action: "refuse"; readonly kinds: PiiKind[] };

/** The chat request's fields scanned on their own; every other field is scanned by mapOtherFields. */
const CHAT_CONTENT_FIELDS: ReadonlySet<string> = new Set(["messages"]);

export function applyPiiPolicy(req: ChatRequest, mode: PiiMode): PiiOutcome {
  return piiOutcome(
    req,
    mode,
    (scan) => {
      for (const m of req.messages) {
        for (const text of [...textsOf(m), ...callStringsOf(m)]) scan(text);
        mapMessageRest(m, scan);
      }
      mapOtherFields(req, CHAT_CONTENT_FIELDS, scan);
    },
    () => ({
      ...mapOtherFields(req, CHAT_CONTENT_FIELDS, redactText),
      messages: req.messages.map((m) => redactMessage(mapMessageRest(m, redactText))),
    }),
  );
}

/**
 * The mode's outcome for a request, chat's or the Responses API's: `scanAll` passes every string the request
 * carries to `scan`, and `redacted` makes the request with every finding replaced (called for `redact` only).
 */
export function piiOutcome<R>(
  req: R,
  mode: PiiMode,
  scanAll: (scan: (text: string) => string) => void,
  redacted: () => R,
): PiiOutcome<R> {
  const kinds = new Set<PiiKind>();
  scanAll(scanInto(kinds));
  if (kinds.size === 0) return { action: "clean", request: req };
  const found = [...kinds];
  switch (mode) {
    case "block":
      return { action: "refuse", kinds: found };
    case "skip":
      return { action: "bypass", request: req, kinds: found };
    case "redact":
      return { action: "redacted", request: redacted(), kinds: found };
  }
}

/** A text function that adds the kinds found to `kinds` and changes nothing. */
export function scanInto(kinds: Set<PiiKind>): (text: string) => string {
  return (text) => {
    for (const k of piiKindsIn(text)) kinds.add(k);
    return text;
  };
}

export const redactText = (text: string): string => redactPii(text).text;

/**
 * Fields that name the caller or the request's state, never content, and that Cordon reads: not scanned and
 * never redacted (a redacted `user` would put two users' answers in one cache). Only their keyed hashes are
 * stored.
 */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "user",
  "safety_identifier",
  "prompt_cache_key",
  "previous_response_id",
  "conversation",
]);

/**
 * The request with `f` applied to every string of its other fields — all but `own` (scanned on their own) and
 * the identity fields: the provider sees them all (a prediction, tool and schema descriptions, metadata, stop
 * sequences, prompt variables, fields Cordon does not know) and the Responses API echoes them into the answer
 * that is stored. Keys are texts too; only base64 data URLs (encoded files, as a message's image parts) are left
 * as they are.
 */
export function mapOtherFields<R extends object>(req: R, own: ReadonlySet<string>, f: (text: string) => string): R {
  return Object.fromEntries(
    Object.entries(req).map(([k, v]) => [k, own.has(k) || IDENTITY_FIELDS.has(k) ? v : mapStrings(v, f)]),
  ) as R;
}

/**
 * `v` with `f` applied to every string and object key in it, but data URLs (encoded files) and a reasoning item's
 * `encrypted_content` (opaque bytes the provider must get back unchanged).
 */
export function mapStrings(v: unknown, f: (text: string) => string): unknown {
  if (typeof v === "string") return isEncodedFile(v) ? v : f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [f(k), k === "encrypted_content" ? x : mapStrings(x, f)]),
    );
  }
  return v;
}

/** The head of a base64 data URL: `data:`, an optional media type and parameters, `;base64,`. */
const BASE64_DATA_URL_HEAD =
  /^data:(?:[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127})?(?:;[a-z0-9!#$&^_.+-]{1,127}=[^;,\s]{1,256}){0,8};base64,/i;
const BASE64_BODY = /^[A-Za-z0-9+/=_-]*$/;

/**
 * Whether `v` is an encoded file: a base64 data URL, all of it. Text that only starts with "data:" (a line of
 * server-sent events, a description) is text, and is scanned.
 */
export function isEncodedFile(v: string): boolean {
  const head = BASE64_DATA_URL_HEAD.exec(v);
  return head !== null && BASE64_BODY.test(v.slice(head[0].length));
}

/** Content parts that carry an encoded file, image or sound, or a link to one: neither scanned nor redacted. */
export const MEDIA_PARTS: ReadonlySet<string> = new Set([
  "image_url",
  "input_audio",
  "file",
  "input_image",
  "input_file",
]);

/**
 * A content part with `f` applied to every string in it but its text (which the caller scans on its own, for
 * parts of `textType`); image, audio and file parts are left as they are.
 */
export function mapPartRest(p: unknown, textType: string, f: (text: string) => string): unknown {
  if (p === null || typeof p !== "object") return p;
  const { type, text } = p as { type?: unknown; text?: unknown };
  if (typeof type === "string" && MEDIA_PARTS.has(type)) return p;
  if (type !== textType || typeof text !== "string") return mapStrings(p, f);
  const { text: _text, ...rest } = p as Record<string, unknown>;
  return { ...(mapStrings(rest, f) as object), text };
}

/** A call (`{name, arguments}`) with `f` applied to every string but its arguments, which are redacted as JSON. */
export function mapCallRest(call: unknown, f: (text: string) => string): unknown {
  if (call === null || typeof call !== "object" || Array.isArray(call)) return mapStrings(call, f);
  const { arguments: args, ...rest } = call as Record<string, unknown>;
  return { ...(mapStrings(rest, f) as object), ...(args === undefined ? {} : { arguments: args }) };
}

/**
 * The message with `f` applied to every string that textsOf and callStringsOf do not read: its other fields (an
 * assistant's `refusal`, `audio`, fields Cordon does not know), content parts other than text (a refusal part)
 * and the fields of its calls but their arguments (a custom tool call's `input`, a function's name). Image, audio
 * and file parts are left as sent. Only the message's own strings are mapped; `role` and `name` are kept.
 */
function mapMessageRest(m: ChatMessage, f: (text: string) => string): ChatMessage {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === "role" || k === "name") out[k] = v;
    else if (k === "content") out[k] = Array.isArray(v) ? v.map((p) => mapPartRest(p, "text", f)) : v;
    else if (k === "tool_calls" && Array.isArray(v)) {
      out[k] = v.map((c: unknown) => {
        if (c === null || typeof c !== "object" || !("function" in c)) return mapStrings(c, f);
        const { function: fn, ...rest } = c as Record<string, unknown>;
        return { ...(mapStrings(rest, f) as object), function: mapCallRest(fn, f) };
      });
    } else if (k === "function_call") out[k] = mapCallRest(v, f);
    else out[f(k)] = mapStrings(v, f);
  }
  return out as ChatMessage;
}

/**
 * The kinds of personal data anywhere in a provider's answer (an answer holding any is never stored): every string
 * of `answer` — a chat completion's choices (the content, and the reasoning, refusal and annotations a message may
 * carry beside it) or a Response's output items (reasoning summaries included).
 */
export function piiInAnswer(answer: unknown): PiiKind[] {
  const kinds = new Set<PiiKind>();
  mapStrings(answer, scanInto(kinds));
  return PII_KINDS.filter((k) => kinds.has(k));
}

function textsOf(m: ChatMessage): string[] {
  if (typeof m.content === "string") return [m.content];
  if (!Array.isArray(m.content)) return [];
  return m.content.flatMap((p) => (p.type === "text" && typeof p.text === "string" ? [p.text] : []));
}

interface Call {
  function?: { arguments?: unknown };
  arguments?: unknown;
}

/** The message's `name` and the arguments of the calls it made (`tool_calls`, the older `function_call`). */
function callStringsOf(m: ChatMessage): string[] {
  const out: string[] = typeof m.name === "string" ? [m.name] : [];
  const { tool_calls: calls, function_call: fn } = m as { tool_calls?: unknown; function_call?: unknown };
  if (Array.isArray(calls)) {
    for (const c of calls as Call[]) if (typeof c?.function?.arguments === "string") out.push(c.function.arguments);
  }
  if (typeof (fn as Call | undefined)?.arguments === "string") out.push((fn as Call).arguments as string);
  return out;
}

function redactMessage(m: ChatMessage): ChatMessage {
  let out = m;
  if (typeof m.content === "string") out = { ...out, content: redactPii(m.content).text };
  else if (Array.isArray(m.content)) {
    out = {
      ...out,
      content: m.content.map((p) =>
        p.type === "text" && typeof p.text === "string" ? { ...p, text: redactPii(p.text).text } : p,
      ),
    } as ChatMessage;
  }
  if (typeof m.name === "string") out = { ...out, name: redactPii(m.name).text };
  const { tool_calls: calls, function_call: fn } = m as { tool_calls?: unknown; function_call?: unknown };
  if (Array.isArray(calls)) {
    const redacted = (calls as Call[]).map((c) =>
      typeof c?.function?.arguments === "string"
        ? { ...c, function: { ...c.function, arguments: redactArguments(c.function.arguments) } }
        : c,
    );
    out = { ...out, tool_calls: redacted } as ChatMessage;
  }
  if (typeof (fn as Call | undefined)?.arguments === "string") {
    out = { ...out, function_call: { ...(fn as Call), arguments: redactArguments((fn as Call).arguments as string) } };
  }
  return out;
}

/**
 * A call's arguments with every finding replaced, kept valid JSON: strings are redacted where they stand, and a
 * number holding personal data (a card or phone number sent as a number) becomes its placeholder string.
 * Arguments that are not JSON, or whose findings the JSON walk misses, are redacted as text.
 */
export function redactArguments(args: string): string {
  if (piiKindsIn(args).length === 0) return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return redactPii(args).text;
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactPii(v).text;
    if (typeof v === "number") {
      const text = String(v);
      return piiKindsIn(text).length ? redactPii(text).text : v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactPii(k).text, walk(x)]));
    }
    return v;
  };
  const redacted = JSON.stringify(walk(parsed));
  // A finding the JSON hides (a number beyond double precision, a value spread over keys): redacted as text.
  return piiKindsIn(redacted).length === 0 ? redacted : redactPii(args).text;
}

export type InputsPiiOutcome =
  | { readonly action: "clean"; readonly request: EmbeddingsRequest; readonly inputs: readonly EmbeddingInput[] }
  | {
      readonly action: "bypass";
      readonly request: EmbeddingsRequest;
      readonly inputs: readonly EmbeddingInput[];
      readonly kinds: PiiKind[];
    }
  | {
      readonly action: "redacted";
      readonly request: EmbeddingsRequest;
      readonly inputs: readonly EmbeddingInput[];
      readonly kinds: PiiKind[];
    }
  | { readonly action: "refuse"; readonly kinds: PiiKind[] }
  /** Token arrays cannot be scanned: refused where the tenant needs inputs scanned (redact, block). */
  | { readonly action: "unscannable" };

/** The embeddings request's field scanned on its own; every other field is scanned by mapOtherFields. */
const EMBEDDINGS_CONTENT_FIELDS: ReadonlySet<string> = new Set(["input"]);

/**
 * The same modes for an embeddings request. Text inputs are scanned one by one; token arrays cannot be (they
 * would need the model's tokenizer), so in `skip` they are answered but never cached, and in `redact` and
 * `block`, which promise that personal data never reaches the provider unexamined, they are refused. The
 * request's other fields, which the provider receives too, are scanned as a chat request's are (mapOtherFields).
 */
export function applyPiiPolicyToInputs(req: EmbeddingsRequest, mode: PiiMode): InputsPiiOutcome {
  const inputs = inputsOf(req);
  const tokenArrays = inputs.some((i) => typeof i !== "string");
  if (tokenArrays && mode !== "skip") return { action: "unscannable" };
  const kinds = new Set<PiiKind>();
  for (const i of inputs) if (typeof i === "string") for (const k of piiKindsIn(i)) kinds.add(k);
  mapOtherFields(req, EMBEDDINGS_CONTENT_FIELDS, scanInto(kinds));
  if (kinds.size === 0 && !tokenArrays) return { action: "clean", request: req, inputs };
  const found = [...kinds];
  switch (mode) {
    case "block":
      return { action: "refuse", kinds: found };
    case "skip":
      return { action: "bypass", request: req, inputs, kinds: found };
    case "redact":
      return {
        action: "redacted",
        request: mapOtherFields(req, EMBEDDINGS_CONTENT_FIELDS, redactText),
        inputs: inputs.map((i) => (typeof i === "string" ? redactText(i) : i)),
        kinds: found,
      };
  }
}
