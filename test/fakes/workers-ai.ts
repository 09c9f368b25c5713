// A fake Workers AI binding for the bge text-embedding models, following their documented contract (Workers AI
// model page "bge-base-en-v1.5"): input `{ text: string | string[], pooling?: "mean" | "cls" }`, every text at
// least 1 character, at most 100 texts per request; output `{ shape: [n, dims], data, pooling }`; the third
// argument may name an AI Gateway (`{ gateway: { id } }`). Vectors are deterministic (same model, pooling and text
// → same vector) and of unit length. A test can make calls fail and read every call back.

const MODELS: Record<string, number> = {
  "@cf/baai/bge-small-en-v1.5": 384,
  "@cf/baai/bge-base-en-v1.5": 768,
  "@cf/baai/bge-large-en-v1.5": 1024,
  "@cf/baai/bge-m3": 1024,
};

export interface FakeAiCall {
  model: string;
  texts: string[];
  options: unknown;
}

export class FakeWorkersAi {
  readonly calls: FakeAiCall[] = [];
  /** The next `failures.length` calls throw these errors, in order (after being counted). */
  readonly failures: Error[] = [];
  /** Shorthand: the next call throws this error. */
  failNext: Error | null = null;
  /** Answer with vectors of this many dimensions instead of the model's (to test mismatch handling). */
  wrongDimensions: number | null = null;

  /** Makes the next `times` calls fail with `error`. */
  failWith(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  get callCount(): number {
    return this.calls.length;
  }

  async run(
    model: string,
    input: { text?: string | string[]; pooling?: string },
    options?: unknown,
  ): Promise<{ shape: [number, number]; data: number[][]; pooling: "mean" | "cls" }> {
    const dims = MODELS[model];
    if (dims === undefined) throw new Error(`AiError: 5007: No such model ${model} or task`);
    const texts = typeof input?.text === "string" ? [input.text] : input?.text;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== "string" || t.length === 0)) {
      throw new Error("AiError: 5006: Input validation failed: text must be a non-empty string or an array of them");
    }
    if (texts.length > 100) throw new Error("AiError: 5006: Input validation failed: at most 100 texts per request");
    const pooling = input.pooling ?? "mean";
    if (pooling !== "mean" && pooling !== "cls")
      throw new Error("AiError: 5006: Input validation failed: pooling must be mean or cls");
    this.calls.push({ model, texts: [...texts], options });
    const failure = this.failNext ?? this.failures.shift();
    this.failNext = null;
    if (failure) throw failure;
    const d = this.wrongDimensions ?? dims;
    return { shape: [texts.length, d], data: texts.map((t) => vectorFor(`${model}\n${pooling}\n${t}`, d)), pooling };
  }
}

/** A deterministic pseudo-random unit vector seeded by the text (FNV-1a, then a linear congruential stream). */
function vectorFor(seedText: string, dims: number): number[] {
  let seed = 2166136261;
  for (let i = 0; i < seedText.length; i++) seed = Math.imul(seed ^ seedText.charCodeAt(i), 16777619) >>> 0;
  const v = Array.from({ length: dims }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
