// POST /v1/embeddings, shaped like OpenAI's: `input` a string, an array of strings, a token array or an array
// of token arrays; one deterministic unit vector per input, drawn from a generator seeded by (model, input).
// Vectors have the model's native length (3072 for text-embedding-3-large, 1536 otherwise); `dimensions`
// shortens them the way text-embedding-3 models do — the first d values, renormalised — so a short vector is
// the normalised prefix of the long one. Values are float32 numbers, so `encoding_format: "base64"` (the
// little-endian float32 bytes, base64-encoded) decodes to exactly the floats of the JSON form.
import * as z from "zod";
import { beforeAnswer, type Call, clientClosed, jsonAnswer } from "./call";
import { countTokens, fingerprintOf, Rng, seedOf } from "./determinism";
import { modelName } from "./faults";
import { invalidRequest, parseWith } from "./http";

const LARGE_DIMENSIONS = 3072;
const DEFAULT_DIMENSIONS = 1536;
/** Inputs per request and tokens per input, OpenAI's limits. */
const MAX_INPUTS = 2048;
const MAX_INPUT_TOKENS = 8192;

const Token = z.int().min(0);
const EmbeddingsBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()), z.array(Token), z.array(z.array(Token))]),
  dimensions: z.int().min(1).optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
});

/** The native vector length of a model (a `provider/` prefix is ignored). */
export function nativeDimensions(model: string): number {
  return modelName(model) === "text-embedding-3-large" ? LARGE_DIMENSIONS : DEFAULT_DIMENSIONS;
}

export async function embeddings(call: Call, body: Record<string, unknown>): Promise<Response> {
  const b = parseWith(EmbeddingsBody, body);
  const inputs = inputsOf(b.input);
  const native = nativeDimensions(b.model);
  if (b.dimensions !== undefined) {
    if (modelName(b.model) === "text-embedding-ada-002") {
      throw invalidRequest("This model does not support specifying dimensions.", "dimensions");
    }
    if (b.dimensions > native) {
      throw invalidRequest(`Invalid value for 'dimensions': at most ${native} for this model.`, "dimensions");
    }
  }
  const gen = { model: b.model, stream: false, fingerprint: await fingerprintOf(body), param400: "input" };
  const fault = await beforeAnswer(call, gen);
  if (fault === null) return clientClosed();

  const dimensions = b.dimensions ?? native;
  const base64 = b.encoding_format === "base64";
  const data = [];
  for (const [index, input] of inputs.entries()) {
    const vector = await embeddingOf(b.model, input.key, native, dimensions);
    data.push({ object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector });
  }
  const tokens = inputs.reduce((n, i) => n + i.tokens, 0);
  return jsonAnswer(
    { object: "list", data, model: b.model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
    fault,
  );
}

interface Input {
  /** What the vector is derived from. */
  key: string;
  tokens: number;
}

function inputsOf(input: z.infer<typeof EmbeddingsBody>["input"]): Input[] {
  const invalid = () => invalidRequest("'$.input' is invalid: give a non-empty string or array.", "input");
  if (typeof input === "string") input = [input];
  if (input.length === 0 || input.length > MAX_INPUTS) throw invalid();
  // A flat array of numbers is one token array.
  const list: (string | number[])[] =
    typeof input[0] === "number" ? [input as number[]] : (input as (string | number[])[]);
  return list.map((item) => {
    if (item.length === 0) throw invalid();
    const entry =
      typeof item === "string"
        ? { key: `text:${item}`, tokens: countTokens(item) }
        : { key: `tokens:${item.join(",")}`, tokens: item.length };
    if (entry.tokens > MAX_INPUT_TOKENS) {
      throw invalidRequest(
        `This model's maximum context length is ${MAX_INPUT_TOKENS} tokens, however you requested ${entry.tokens} tokens in one input.`,
        "input",
      );
    }
    return entry;
  });
}

/** The unit vector of (model, input): `native` values from a seeded generator, cut to `dimensions`, normalised. */
export async function embeddingOf(model: string, key: string, native: number, dimensions: number): Promise<number[]> {
  const rng = new Rng(await seedOf("embedding", model, key));
  const full = Array.from({ length: native }, () => rng.next() * 2 - 1);
  const kept = full.slice(0, dimensions);
  const norm = Math.sqrt(kept.reduce((s, v) => s + v * v, 0)) || 1;
  return kept.map((v) => Math.fround(v / norm));
}

/** The vector as little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`. */
export function float32Base64(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (const [i, v] of vector.entries()) view.setFloat32(i * 4, v, true);
  const bytes = new Uint8Array(view.buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
