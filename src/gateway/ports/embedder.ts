// Embedder port: turns texts into unit-length vectors of a fixed dimension. Two adapters, chosen by
// configuration: the Workers AI model (production) and the in-Worker lexical embedder (local dev, tests).

export interface Embedder {
  /** Identifies the model, so that vectors from different embedders are never compared (Runtime.vectorSpace). */
  readonly id: string;
  readonly dimensions: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[]): Promise<number[][]>;
}
