// A Response object as OpenAI shapes it (`object: "response"`), and its stream: the documented SSE event
// sequence, each event named by its `type` and numbered by `sequence_number` from 0:
//   response.created, response.in_progress,
//   per output item: response.output_item.added,
//     a message: response.content_part.added, response.output_text.delta… (response.refusal.delta… for a
//       refusal), response.output_text.done (response.refusal.done), response.content_part.done
//     a function call: response.function_call_arguments.delta…, response.function_call_arguments.done
//   response.output_item.done,
//   response.completed — or response.incomplete when max_output_tokens cut the text.
// `output_text` is not part of the object: it is a convenience the OpenAI SDKs compute from `output`.
import { Rng, randomId, seedOf } from "../determinism";
import { MIDSTREAM_ERROR } from "../faults";
import type { Reply } from "../reply";
import { pieces, type SseEvent } from "../sse";
import type { ResponsesRequest } from "./request";

export interface ResponseParts {
  id: string;
  createdAt: number;
  req: ResponsesRequest;
  reply: Reply;
  inputTokens: number;
  fingerprint: string;
}

type Item = Record<string, unknown> & { id: string; type: string };

/** The output items of a reply, final (status completed or incomplete). */
export function outputItems(p: ResponseParts, rng: Rng): Item[] {
  const { reply } = p;
  if (reply.kind === "tool_calls") {
    return reply.calls.map((c) => ({
      id: `fc_${rng.chars(40, "0123456789abcdef")}`,
      type: "function_call",
      status: "completed",
      arguments: c.arguments,
      call_id: c.id,
      name: c.name,
    }));
  }
  const part =
    reply.kind === "text"
      ? { type: "output_text", annotations: [], logprobs: [], text: reply.text }
      : { type: "refusal", refusal: reply.refusal };
  const status = reply.kind === "text" && reply.finish === "length" ? "incomplete" : "completed";
  return [
    { id: `msg_${rng.chars(40, "0123456789abcdef")}`, type: "message", status, content: [part], role: "assistant" },
  ];
}

/** The response object; `output` empty and `usage` null while it is in progress. */
export function responseObject(p: ResponseParts, output: Item[], done: boolean) {
  const b = p.req.body;
  const incomplete = p.reply.kind === "text" && p.reply.finish === "length";
  const outputTokens = p.reply.tokens;
  return {
    id: p.id,
    object: "response",
    created_at: p.createdAt,
    status: !done ? "in_progress" : incomplete ? "incomplete" : "completed",
    background: p.req.background,
    completed_at: done && !incomplete ? p.createdAt : null,
    error: null,
    incomplete_details: done && incomplete ? { reason: "max_output_tokens" } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: null,
    model: p.req.model,
    output: done ? output : [],
    parallel_tool_calls: p.req.parallelToolCalls,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: "default",
    store: p.req.store,
    temperature: b.temperature ?? 1,
    text: { format: b.text?.format ?? { type: "text" }, verbosity: "medium" },
    tool_choice: b.tool_choice ?? "auto",
    tools: b.tools ?? [],
    top_logprobs: 0,
    top_p: b.top_p ?? 1,
    truncation: "disabled",
    usage: done
      ? {
          input_tokens: p.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: p.inputTokens + outputTokens,
        }
      : null,
    user: null,
    metadata: b.metadata ?? {},
  };
}

/** The stream's events, numbered; deltas carry `obfuscation` unless include_obfuscation is false. */
export async function responseEvents(p: ResponseParts, output: Item[]): Promise<SseEvent[]> {
  const rng = new Rng(await seedOf("obfuscation", p.fingerprint));
  const obfuscation = () => (p.req.includeObfuscation ? { obfuscation: rng.chars(1 + rng.below(16)) } : {});
  const events: SseEvent[] = [];
  const emit = (type: string, fields: object, content = false) =>
    events.push({ event: type, content, data: { type, sequence_number: events.length, ...fields } });

  emit("response.created", { response: responseObject(p, output, false) });
  emit("response.in_progress", { response: responseObject(p, output, false) });
  output.forEach((item, outputIndex) => {
    if (item.type === "function_call") {
      const args = item.arguments as string;
      emit("response.output_item.added", {
        output_index: outputIndex,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      for (const delta of pieces(args)) {
        emit(
          "response.function_call_arguments.delta",
          { item_id: item.id, output_index: outputIndex, delta, ...obfuscation() },
          true,
        );
      }
      emit("response.function_call_arguments.done", {
        item_id: item.id,
        output_index: outputIndex,
        name: item.name,
        arguments: args,
      });
    } else {
      const part = (item.content as Record<string, unknown>[])[0]!;
      const at = { item_id: item.id, output_index: outputIndex, content_index: 0 };
      emit("response.output_item.added", {
        output_index: outputIndex,
        item: { ...item, status: "in_progress", content: [] },
      });
      if (part.type === "refusal") {
        emit("response.content_part.added", { ...at, part: { type: "refusal", refusal: "" } });
        for (const delta of pieces(part.refusal as string)) emit("response.refusal.delta", { ...at, delta }, true);
        emit("response.refusal.done", { ...at, refusal: part.refusal });
      } else {
        emit("response.content_part.added", { ...at, part: { ...part, text: "" } });
        for (const delta of pieces(part.text as string)) {
          emit("response.output_text.delta", { ...at, delta, logprobs: [], ...obfuscation() }, true);
        }
        emit("response.output_text.done", { ...at, text: part.text, logprobs: [] });
      }
      emit("response.content_part.done", { ...at, part });
    }
    emit("response.output_item.done", { output_index: outputIndex, item });
  });
  const final = responseObject(p, output, true);
  emit(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final });
  return events;
}

/** The error event of error-after-<k>, numbered as the event it replaces. */
export const responseErrorEvent = (position: number): SseEvent => ({
  event: "error",
  data: {
    type: "error",
    code: MIDSTREAM_ERROR.code,
    message: MIDSTREAM_ERROR.message,
    param: null,
    sequence_number: position,
  },
});

export const newResponseId = (): string => randomId("resp_", 48, "0123456789abcdef");
