// A fake Workers AI binding for the bge reranker, following its documented contract (Workers AI model page
// "bge-reranker-base"): input `{ query, contexts, top_k? }` — `query` and `contexts` required, `query` a string of
// at least 1 character, each context `{ text }` with a text of at least 1 character, `top_k` an integer of at
// least 1; output `{ response: [{ id, score }] }`, best score first, at most `top_k` entries, `id` the index of the
// context in the request; the third argument may name an AI Gateway. Unknown models are refused as the platform
// does. Scores are deterministic: the overlap of lower-case words (Dice coefficient) mapped to a logit from -6 to
// +6, answered as that logit (`scores = "logit"`) or through a sigmoid (`"probability"`, the default) — the model
// card leaves open which the platform returns. A test can make calls fail and read every call back.

export interface FakeRerankCall {
  model: string;
  query: string;
  texts: string[];
  topK: number | undefined;
  options: unknown;
}

const MODELS = new Set(["@cf/baai/bge-reranker-base"]);

export class FakeWorkersAiReranker {
  readonly calls: FakeRerankCall[] = [];
  /** The next `failures.length` calls throw these errors, in order (after being counted). */
  readonly failures: Error[] = [];
  scores: "probability" | "logit" = "probability";

  failWith(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  get callCount(): number {
    return this.calls.length;
  }

  async run(
    model: string,
    input: { query?: unknown; contexts?: unknown; top_k?: unknown },
    options?: unknown,
  ): Promise<{ response: { id: number; score: number }[] }> {
    if (!MODELS.has(model)) throw new Error(`AiError: 5007: No such model ${model} or task`);
    const { query, contexts, top_k: topK } = input ?? {};
    if (typeof query !== "string" || query.length === 0) {
      throw new Error("AiError: 5006: Input validation failed: query must be a string of at least 1 character");
    }
    if (!Array.isArray(contexts)) throw new Error("AiError: 5006: Input validation failed: contexts is required");
    const texts = contexts.map((c: unknown) => (c as { text?: unknown } | null)?.text);
    if (!texts.every((t): t is string => typeof t === "string" && t.length > 0)) {
      throw new Error("AiError: 5006: Input validation failed: each context text must have at least 1 character");
    }
    if (topK !== undefined && !(typeof topK === "number" && Number.isInteger(topK) && topK >= 1)) {
      throw new Error("AiError: 5006: Input validation failed: top_k must be an integer of at least 1");
    }
    this.calls.push({ model, query, texts, topK, options });
    const failure = this.failures.shift();
    if (failure) throw failure;
    const response = texts
      .map((text, id) => {
        const logit = 12 * overlap(query, text) - 6;
        return { id, score: this.scores === "logit" ? logit : 1 / (1 + Math.exp(-logit)) };
      })
      .sort((a, b) => b.score - a.score || a.id - b.id);
    return { response: response.slice(0, topK ?? response.length) };
  }
}

/** Dice coefficient of the two texts' sets of lower-case words. */
function overlap(a: string, b: string): number {
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean),
    );
  const x = words(a);
  const y = words(b);
  if (x.size + y.size === 0) return 0;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return (2 * shared) / (x.size + y.size);
}
