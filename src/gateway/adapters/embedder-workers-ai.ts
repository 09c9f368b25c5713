// Production embedder: a Workers AI text-embedding model (default `@cf/baai/bge-base-en-v1.5`, 768 dimensions),
// optionally through AI Gateway. The documented contract of the bge models (Workers AI model page
// "bge-base-en-v1.5"): input `{ text: string | string[] }`, each text at least 1 character, at most 100 texts per
// request; output `{ shape: [n, dims], data: number[][] }`; optional `pooling` "mean" (default) | "cls", whose
// vectors are not comparable with each other — this adapter leaves the default (mean), so its `id` names the
// model alone. AI Gateway is selected with the third argument `{ gateway: { id } }` (AI Gateway, "Workers
// Bindings"), with its cache and its log turned off (throughAiGateway). Texts are sent in batches of at most 100,
// in order; every answer is checked for count and dimension and the vectors are L2-normalised again (cheap, and
// the port promises unit vectors).
import { logText } from "../../shared/log-text";
import type { Embedder } from "../ports/embedder";

export const WORKERS_AI_MAX_BATCH = 100;

export type EmbedderErrorCode = "empty_text" | "upstream" | "bad_response" | "dimension_mismatch" | "no_direction";

/** A typed embedding failure. The message is for logs; callers treat any embedder failure as a cache miss. */
export class EmbedderError extends Error {
  override name = "EmbedderError";
  constructor(
    readonly code: EmbedderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The `Ai` binding's third argument, as the Workers AI adapters send it (throughAiGateway). */
export interface AiGatewayOption {
  gateway: { id: string; skipCache: boolean; collectLog: boolean };
}

/**
 * Through AI Gateway `gatewayId` (none: straight to Workers AI), neither answered from its cache (shared by every
 * tenant) nor logged there (the texts are prompts, kept in clear whatever the tenant's consent or erasures).
 */
export const throughAiGateway = (gatewayId: string | undefined): AiGatewayOption | undefined =>
  gatewayId ? { gateway: { id: gatewayId, skipCache: true, collectLog: false } } : undefined;

/** The slice of the `Ai` binding this adapter uses (the fake in tests implements the same). */
export interface AiRunner {
  run(model: string, input: { text: string[] }, options?: AiGatewayOption): Promise<unknown>;
}

export interface WorkersAiEmbedderOptions {
  ai: Ai | AiRunner;
  model: string;
  dimensions: number;
  /** AI Gateway id; when set, every call goes through that gateway. */
  gatewayId?: string;
}

export class WorkersAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly ai: AiRunner;
  private readonly model: string;
  private readonly gatewayId: string | undefined;

  constructor(opts: WorkersAiEmbedderOptions) {
    if (!opts.model) throw new RangeError("Workers AI embedder needs a model");
    if (!Number.isInteger(opts.dimensions) || opts.dimensions < 1)
      throw new RangeError("dimensions must be a positive integer");
    this.ai = opts.ai as AiRunner;
    this.model = opts.model;
    this.dimensions = opts.dimensions;
    this.gatewayId = opts.gatewayId || undefined;
    this.id = `workers-ai:${opts.model}`;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.some((t) => typeof t !== "string" || t.length === 0)) {
      throw new EmbedderError("empty_text", "Workers AI embeds only non-empty texts");
    }
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += WORKERS_AI_MAX_BATCH) {
      out.push(...(await this.embedBatch(texts.slice(i, i + WORKERS_AI_MAX_BATCH))));
    }
    return out;
  }

  private async embedBatch(batch: string[]): Promise<number[][]> {
    let result: unknown;
    try {
      result = await this.ai.run(this.model, { text: batch }, throughAiGateway(this.gatewayId));
    } catch (err) {
      throw new EmbedderError("upstream", `${this.model} failed: ${logText(err)}`, {
        cause: err,
      });
    }
    const { shape, data } = (result ?? {}) as { shape?: unknown; data?: unknown };
    if (!Array.isArray(data) || data.length !== batch.length) {
      const got = Array.isArray(data) ? data.length : "no";
      throw new EmbedderError("bad_response", `${this.model} returned ${got} vectors for ${batch.length} texts`);
    }
    if (
      shape !== undefined &&
      !(Array.isArray(shape) && shape.length === 2 && shape[0] === batch.length && shape[1] === this.dimensions)
    ) {
      throw new EmbedderError(
        "dimension_mismatch",
        `${this.model} answered shape ${JSON.stringify(shape)}; expected [${batch.length},${this.dimensions}]`,
      );
    }
    return data.map((v: unknown) => {
      if (!Array.isArray(v) || v.length !== this.dimensions) {
        const got = Array.isArray(v) ? v.length : "non-array";
        throw new EmbedderError(
          "dimension_mismatch",
          `${this.model} returned a ${got}-dimension vector; configured ${this.dimensions}`,
        );
      }
      return normalise(v as unknown[]);
    });
  }
}

function normalise(v: unknown[]): number[] {
  let sum = 0;
  for (const x of v) {
    if (typeof x !== "number" || !Number.isFinite(x))
      throw new EmbedderError("bad_response", "embedding holds a non-finite value");
    sum += x * x;
  }
  if (sum === 0) throw new EmbedderError("no_direction", "embedding is the zero vector");
  const norm = Math.sqrt(sum);
  return (v as number[]).map((x) => x / norm);
}
