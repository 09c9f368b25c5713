// Production reranker: a Workers AI cross-encoder (default `@cf/baai/bge-reranker-base`), optionally through AI
// Gateway. The documented contract (Workers AI model page "bge-reranker-base"): input `{ query, contexts, top_k? }`
// with `query` a string of at least 1 character, `contexts` an array of `{ text }` (each text at least 1
// character), `top_k` an integer of at least 1 ("number of returned results starting with the best score");
// output `{ response: [{ id, score }] }` where `id` is the index of the context in the request. AI Gateway is
// selected with the third argument `{ gateway: { id } }`, as for the embedder (its cache and its log turned off).
//
// Scores: the model card says the raw relevance score "can be mapped to a float value in [0,1] by sigmoid
// function"; the Workers AI page does not say whether the platform has done so. This adapter takes the answer
// as a probability by default and refuses a score outside [0, 1] as a bad response (a miss, never a hit), so a
// platform that answers raw logits shows up at once instead of being misread; `scores: "logit"` applies the
// sigmoid here instead. Check one live call before choosing a threshold.
import { logText } from "../../shared/log-text";
import type { Reranker } from "../ports/reranker";
import { type AiGatewayOption, throughAiGateway } from "./embedder-workers-ai";

export const BGE_RERANKER = "@cf/baai/bge-reranker-base";

export type RerankerErrorCode = "empty_text" | "upstream" | "bad_response";

/** A typed reranking failure. The message is for logs; callers treat any reranker failure as a cache miss. */
export class RerankerError extends Error {
  override name = "RerankerError";
  constructor(
    readonly code: RerankerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RerankerInput {
  query: string;
  contexts: { text: string }[];
  top_k?: number;
}

/** The slice of the `Ai` binding this adapter uses (the fake in tests implements the same). */
export interface RerankerAiRunner {
  run(model: string, input: RerankerInput, options?: AiGatewayOption): Promise<unknown>;
}

export interface WorkersAiRerankerOptions {
  ai: Ai | RerankerAiRunner;
  /** Default `@cf/baai/bge-reranker-base`. */
  model?: string;
  /** AI Gateway id; when set, every call goes through that gateway. */
  gatewayId?: string;
  /** How the platform answers: probabilities in [0, 1] (default) or raw logits, mapped here by a sigmoid. */
  scores?: "probability" | "logit";
}

export class WorkersAiReranker implements Reranker {
  readonly id: string;
  private readonly ai: RerankerAiRunner;
  private readonly model: string;
  private readonly gatewayId: string | undefined;
  private readonly scores: "probability" | "logit";

  constructor(opts: WorkersAiRerankerOptions) {
    this.model = opts.model ?? BGE_RERANKER;
    if (!this.model) throw new RangeError("Workers AI reranker needs a model");
    this.ai = opts.ai as RerankerAiRunner;
    this.gatewayId = opts.gatewayId || undefined;
    this.scores = opts.scores ?? "probability";
    this.id = `workers-ai:${this.model}${this.scores === "logit" ? ":sigmoid" : ""}`;
  }

  async score(query: string, candidate: string): Promise<number> {
    const [score] = await this.scoreAll(query, [candidate]);
    return score!;
  }

  /** One score per candidate, in the candidates' order, from one call. */
  async scoreAll(query: string, candidates: readonly string[]): Promise<number[]> {
    if (!isText(query) || !candidates.every(isText)) {
      throw new RerankerError("empty_text", "Workers AI reranks only non-empty texts");
    }
    if (candidates.length === 0) return [];
    const input: RerankerInput = { query, contexts: candidates.map((text) => ({ text })) };
    let result: unknown;
    try {
      result = await this.ai.run(this.model, input, throughAiGateway(this.gatewayId));
    } catch (err) {
      throw new RerankerError("upstream", `${this.model} failed: ${logText(err)}`, {
        cause: err,
      });
    }
    return this.read(result, candidates.length);
  }

  /** Scores by context index; every context answered exactly once with a finite score in range. */
  private read(result: unknown, count: number): number[] {
    const response = (result as { response?: unknown } | null)?.response;
    if (!Array.isArray(response) || response.length !== count) {
      const got = Array.isArray(response) ? response.length : "no";
      throw new RerankerError("bad_response", `${this.model} returned ${got} scores for ${count} contexts`);
    }
    const out = new Array<number>(count).fill(Number.NaN);
    for (const item of response) {
      const { id, score } = (item ?? {}) as { id?: unknown; score?: unknown };
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= count || !Number.isNaN(out[id]!)) {
        throw new RerankerError("bad_response", `${this.model} returned an unknown or repeated context id`);
      }
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw new RerankerError("bad_response", `${this.model} returned a non-finite score`);
      }
      if (this.scores === "probability" && (score < 0 || score > 1)) {
        throw new RerankerError("bad_response", `${this.model} returned ${score}, outside [0, 1]: raw logits?`);
      }
      out[id] = this.scores === "logit" ? 1 / (1 + Math.exp(-score)) : score;
    }
    return out;
  }
}

const isText = (t: unknown): t is string => typeof t === "string" && t.length > 0;
