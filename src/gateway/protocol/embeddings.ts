// POST /v1/embeddings as Cordon reads it: the model, the inputs and how the vectors are to be encoded. Every
// other field passes through to the provider (and into the cache partition). The provider's answer is read for
// one vector per input, in order.
import * as z from "zod";
import { ModelNameSchema } from "../../shared/audit-event";
import { EndUserSchema } from "./chat";

/** OpenAI's limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const Token = z.int().min(0).max(4_294_967_295);
const TokenArray = z.array(Token).min(1).max(65_536);
const Text = z.string().min(1, "must not be empty");

export const EmbeddingsRequestSchema = z.looseObject({
  model: ModelNameSchema,
  input: z.union([
    Text,
    z.array(Text).min(1).max(MAX_EMBEDDING_INPUTS),
    TokenArray,
    z.array(TokenArray).min(1).max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.int().min(1).max(65_536).optional(),
  /** OpenAI's end-user id; it narrows the cache scope to that user (an empty string names none). */
  user: EndUserSchema.optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** One input: text, or a token array. */
export type EmbeddingInput = string | readonly number[];

/** The inputs of a request, one per vector the answer holds. */
export function inputsOf(req: EmbeddingsRequest): EmbeddingInput[] {
  const { input } = req;
  if (typeof input === "string") return [input];
  // A flat array of numbers is one token array.
  if (typeof input[0] === "number") return [input as number[]];
  return input as EmbeddingInput[];
}

/** A vector as the provider sent it: numbers, or base64 of little-endian float32 (read into numbers). */
const Vector = z.union([z.array(z.number()).min(1), z.string().min(1)]);

export const EmbeddingsResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ index: z.int().nonnegative(), embedding: Vector })),
  usage: z.looseObject({ prompt_tokens: z.int().nonnegative() }).nullable().optional(),
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>;

/** A vector as OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64-encoded. */
export function float32Base64(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (const [i, v] of vector.entries()) view.setFloat32(i * 4, v, true);
  const bytes = new Uint8Array(view.buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The numbers of a base64 float32 vector; null when it is not one. */
export function fromFloat32Base64(text: string): number[] | null {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  if (binary.length === 0 || binary.length % 4 !== 0) return null;
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  return Array.from({ length: binary.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
