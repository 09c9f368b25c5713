// A response's input items, as GET /v1/responses/{id}/input_items lists them: every item of the request's
// `input` (a string input is one user message), each with an id — its own when it had one, else a new one —
// messages with their content as a list of parts and `status: "completed"`. Paged as OpenAI pages lists:
// `limit` (1–100, default 20), `order` (`desc`, the default, newest first; or `asc`) and `after` (an item id);
// `include` is accepted and changes nothing here.
import { randomId } from "../determinism";
import { invalidRequest } from "../http";
import type { ResponsesBody } from "./request";

type Item = Record<string, unknown>;

const HEX = "0123456789abcdef";
const PREFIXES: Record<string, string> = { message: "msg_", function_call: "fc_", function_call_output: "fco_" };
const newItemId = (type: string): string => randomId(PREFIXES[type] ?? "item_", 48, HEX);

/** The request's input as stored items, in the order sent. */
export function inputItemsOf(input: ResponsesBody["input"]): Item[] {
  const items: Item[] = typeof input === "string" ? [{ role: "user", content: input }] : input;
  return items.map((item) => {
    const type = typeof item.type === "string" ? item.type : "message";
    const id = typeof item.id === "string" ? item.id : newItemId(type);
    if (type !== "message") return { ...item, id };
    const textType = item.role === "assistant" ? "output_text" : "input_text";
    const content = typeof item.content === "string" ? [{ type: textType, text: item.content }] : item.content;
    return { id, type, role: item.role, status: "completed", content };
  });
}

/** One page of `items` under the query's `limit`, `order` and `after`; a bad value is OpenAI's 400 naming it. */
export function inputItemPage(items: readonly Item[], query: URLSearchParams) {
  const limitText = query.get("limit") ?? "20";
  const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= 100)) {
    throw invalidRequest(`Invalid 'limit': integer below minimum value or above maximum value (1–100).`, "limit");
  }
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw invalidRequest(`Invalid value for 'order': expected one of 'asc' or 'desc'.`, "order");
  }
  const ordered = order === "asc" ? [...items] : [...items].reverse();
  const after = query.get("after");
  const start = after === null ? 0 : ordered.findIndex((item) => item.id === after) + 1;
  if (start === 0 && after !== null) {
    throw invalidRequest(`Invalid 'after': no input item with id '${after.slice(0, 100)}'.`, "after");
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: "list",
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: start + limit < ordered.length,
  };
}
