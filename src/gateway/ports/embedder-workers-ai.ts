// Production embedder: a Workers AI embedding model (default `@cf/baai/bge-base-en-v1.5`, 768 dimensions),
// optionally through AI Gateway. The binding takes `{ text: string[] }` and answers `{ shape, data }`; texts
// are sent in batches of at most 100, and every vector is checked for the configured dimension.
import type { Embedder } from "./embedder";

export const WORKERS_AI_MAX_BATCH = 100;

export class EmbedderError extends Error {
  override name = "EmbedderError";
}

interface EmbeddingOutput {
  shape?: number[];
  data?: number[][];
}

/** The slice of the `Ai` binding this adapter uses (the fake in tests implements the same). */
export interface AiRunner {
  run(model: string, input: { text: string[] }, options?: { gateway?: { id: string } }): Promise<unknown>;
}

export class WorkersAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly ai: AiRunner;
  private readonly model: string;
  private readonly gatewayId: string | undefined;

  constructor(opts: { ai: Ai | AiRunner; model: string; dimensions: number; gatewayId?: string }) {
    this.ai = opts.ai as AiRunner;
    this.model = opts.model;
    this.dimensions = opts.dimensions;
    this.gatewayId = opts.gatewayId;
    this.id = `workers-ai:${opts.model}`;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += WORKERS_AI_MAX_BATCH) {
      const batch = texts.slice(i, i + WORKERS_AI_MAX_BATCH);
      const options = this.gatewayId ? { gateway: { id: this.gatewayId } } : undefined;
      const result = (await this.ai.run(this.model, { text: batch }, options)) as EmbeddingOutput;
      const data = result?.data;
      if (!Array.isArray(data) || data.length !== batch.length) {
        throw new EmbedderError(`${this.model} returned ${Array.isArray(data) ? data.length : "no"} vectors for ${batch.length} texts`);
      }
      for (const v of data) {
        if (!Array.isArray(v) || v.length !== this.dimensions) {
          throw new EmbedderError(`${this.model} returned a ${Array.isArray(v) ? v.length : "non-array"}-dimension vector; configured ${this.dimensions}`);
        }
        out.push(normalise(v));
      }
    }
    return out;
  }
}

function normalise(v: number[]): number[] {
  const norm = Math.hypot(...v);
  if (!Number.isFinite(norm) || norm === 0) throw new EmbedderError("embedding has no direction");
  return v.map((x) => x / norm);
}
