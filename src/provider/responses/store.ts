// Responses kept for `previous_response_id`, GET /v1/responses/{id}, its cancel and its input items: in memory,
// for this isolate only (a reload or another isolate forgets them), the newest STORE_LIMIT of them. A response is
// kept unless the request said `store: false`, as OpenAI does; a stream that a fault breaks is never kept.
import type { Turn } from "../reply";
import type { SseEvent } from "../sse";

export interface StoredResponse {
  /** The response object as GET returns it once it is done. */
  response: Record<string, unknown>;
  /** The conversation up to and including this response's output, without its instructions. */
  turns: Turn[];
  /** Tool names by call id, for function_call_output items of a follow-up. */
  callNames: Map<string, string>;
  /** This request's input items, each with its id, in the order sent (GET …/input_items). */
  inputItems: Record<string, unknown>[];
  /**
   * Its stream's events made again (GET …?stream=true), with or without obfuscation, and the model and fingerprint
   * that made them.
   */
  replay: { model: string; fingerprint: string; events: (includeObfuscation: boolean) => Promise<SseEvent[]> };
  /**
   * A background response still being generated: the object GET returns until `until` (ms since the epoch), and
   * the conversation without its output, which is all a cancelled response keeps.
   */
  pending?: { response: Record<string, unknown>; until: number; turns: Turn[] };
}

export const STORE_LIMIT = 1000;

const responses = new Map<string, StoredResponse>();

export function keepResponse(id: string, stored: StoredResponse): void {
  responses.set(id, stored);
  // Maps iterate in insertion order: the first key is the oldest.
  while (responses.size > STORE_LIMIT) responses.delete(responses.keys().next().value!);
}

export const storedResponse = (id: string): StoredResponse | undefined => responses.get(id);

/** Forgets a stored response; whether there was one. */
export const forgetResponse = (id: string): boolean => responses.delete(id);

/** The object GET returns now: a background response's in-progress object until it is done. */
export const currentResponse = (stored: StoredResponse, now: number): Record<string, unknown> =>
  stored.pending && now < stored.pending.until ? stored.pending.response : stored.response;
