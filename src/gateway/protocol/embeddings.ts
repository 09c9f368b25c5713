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
