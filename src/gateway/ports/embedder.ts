// Embedder port: turns texts into unit-length vectors of a fixed dimension. Two adapters, chosen by
// configuration: the Workers AI model (production) and the in-Worker lexical embedder (local dev, tests).

export interface Embedder {
  /** Identifies the model, so that vectors from different embedders are never compared (vectorSpaceOf). */
  readonly id: string;
  readonly dimensions: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[]): Promise<number[][]>;
}

/**
 * The embedding space a vector belongs to: 8 hex digits of FNV-1a over the embedder's id and dimension. Vectors of
 * two embedders are never compared: after a change of model, even one of the same dimension, the semantic tier
 * starts afresh instead of scoring prompts against another model's vectors. (Short, so that a vector's partition
 * stays within the 64 bytes Vectorize's metadata index reads.)
 */
export function vectorSpaceOf(embedder: { readonly id: string; readonly dimensions: number }): string {
  let h = 0x811c9dc5;
  for (const c of `${embedder.id}\n${embedder.dimensions}`) {
    h ^= c.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
