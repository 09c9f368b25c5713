// The tenant's PII mode applied to a Responses API request, with chat's rules (pii-policy.ts): skip answers but
// keeps the request away from the cache, redact replaces every finding before the provider and the cache see
// it, block refuses with 422. Scanned: the instructions, the string input, and in input items every message's
// text (string content, text parts), every function_call's arguments (redacted inside their JSON, as chat's tool
// calls) and every function_call_output's output (as chat scans tool messages), then every other string of every
// item of any type (a custom tool call's input and output, a reasoning summary, an MCP call, a refusal part…) but
// image, audio and file parts and encrypted reasoning; then every string of the other fields but the caller's
// identifiers (pii-policy.ts, mapOtherFields), which the provider echoes into the answer.

import type { ResponsesItem, ResponsesRequest } from "../protocol/responses";
import {
  mapCallRest,
  mapOtherFields,
  mapPartRest,
  mapStrings,
  type PiiMode,
  type PiiOutcome,
  piiOutcome,
  redactArguments,
  redactText,
} from "./pii-policy";

/** The request's fields scanned on their own (mapTexts); every other one by mapOtherFields. */
const RESPONSES_CONTENT_FIELDS: ReadonlySet<string> = new Set(["instructions", "input"]);

export type ResponsesPiiOutcome = PiiOutcome<ResponsesRequest>;

export function applyResponsesPiiPolicy(req: ResponsesRequest, mode: PiiMode): ResponsesPiiOutcome {
  return piiOutcome(
    req,
    mode,
    (scan) => {
      mapTexts(req, scan);
      mapOtherFields(req, RESPONSES_CONTENT_FIELDS, scan);
    },
    () => mapTexts(mapOtherFields(req, RESPONSES_CONTENT_FIELDS, redactText), redactText, redactArguments),
  );
}

/**
 * The request with `f` applied to every text it scans, and `args` to every function call's arguments (a copy;
 * the request itself is not changed).
 */
function mapTexts(
  req: ResponsesRequest,
  f: (text: string) => string,
  args: (json: string) => string = f,
): ResponsesRequest {
  const instructions = typeof req.instructions === "string" ? { instructions: f(req.instructions) } : {};
  if (req.input === undefined) return { ...req, ...instructions };
  const input = typeof req.input === "string" ? f(req.input) : req.input.map((item) => mapItem(item, f, args));
  return { ...req, ...instructions, input };
}

function mapItem(item: ResponsesItem, f: (text: string) => string, args: (json: string) => string): ResponsesItem {
  if (item.type === "function_call") {
    const a = (item as { arguments?: unknown }).arguments;
    const rest = mapCallRest(item, f) as ResponsesItem;
    return typeof a === "string" ? ({ ...rest, arguments: args(a) } as ResponsesItem) : rest;
  }
  const isMessage = item.type === undefined || item.type === "message";
  const field = isMessage ? "content" : item.type === "function_call_output" ? "output" : null;
  // Any other item (custom tool calls and their outputs, reasoning, MCP and shell calls…): every string in it.
  if (field === null) return mapStrings(item, f) as ResponsesItem;
  const { [field]: value, ...others } = item as Record<string, unknown>;
  const rest = mapStrings(others, f) as Record<string, unknown>;
  if (typeof value === "string") return { ...rest, [field]: f(value) } as ResponsesItem;
  if (!Array.isArray(value)) return { ...rest, [field]: mapStrings(value, f) } as ResponsesItem;
  const parts = value.map((p: unknown) =>
    p !== null && typeof p === "object" && typeof (p as { text?: unknown }).text === "string"
      ? mapPartRest({ ...p, text: f((p as { text: string }).text) }, (p as { type?: unknown }).type as string, f)
      : mapPartRest(p, "", f),
  );
  return { ...rest, [field]: parts } as ResponsesItem;
}
