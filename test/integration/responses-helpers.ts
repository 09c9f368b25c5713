// Requests to POST /v1/responses through the gateway, and readers for what comes back: the response object,
// its output text, and streams as OpenAI names and numbers their events.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { call, settle } from "../helpers";

export interface ResponseObject {
  id: string;
  object: string;
  created_at: number;
  status: string;
  model: string;
  store: boolean;
  metadata: Record<string, string>;
  user: string | null;
  previous_response_id: string | null;
  output: { id: string; type: string; role?: string; content?: { type: string; text?: string }[] }[];
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
}

export interface StreamEvent {
  type: string;
  sequence_number: number;
  response?: ResponseObject;
  delta?: string;
  [key: string]: unknown;
}

export const stateless = (input: unknown, extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o-mini",
  input,
  store: false,
  ...extra,
});

/** One request; the body read and everything deferred (stores, audit) settled. */
export async function respond(t: { host: string; key: string }, body: unknown, headers: Record<string, string> = {}) {
  const res = await call(t.host, "/v1/responses", { token: t.key, body, headers });
  const text = await res.text();
  await settle();
  return {
    res,
    status: res.status,
    cache: res.headers.get("x-cache"),
    reason: res.headers.get("x-cache-reason"),
    entryId: res.headers.get("x-cache-entry-id"),
    text,
    json: () => JSON.parse(text) as ResponseObject,
  };
}

/** The answer text, as the SDKs compute `output_text`. */
export const outputText = (r: ResponseObject) =>
  r.output
    .filter((i) => i.type === "message")
    .flatMap((i) => i.content ?? [])
    .filter((c) => c.type === "output_text")
    .map((c) => c.text ?? "")
    .join("");

/** The events of a Responses stream, each checked to be named (`event:`) as its `type` says. */
export function eventsOf(text: string): StreamEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":"))
    .map((block) => {
      const lines = block.split("\n");
      const name = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
      expect(data, block).toBeDefined();
      const event = JSON.parse(data!) as StreamEvent;
      expect(name, "event line names the type").toBe(event.type);
      return event;
    });
}

/** Sequence numbers run 0, 1, 2… without gap. */
export function expectNumbered(events: StreamEvent[]): void {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
}

export const catalogCount = (tenant: string): Promise<number> =>
  env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant)).catalogCount();
