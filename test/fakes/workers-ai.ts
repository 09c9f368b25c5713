// A fake Workers AI binding for embedding models, following the documented contract of the bge models:
// input `{ text: string | string[] }` with at most 100 texts, output `{ shape: [n, dims], data }`.
// Vectors are deterministic (same text → same vector) and of unit length.

const MODELS: Record<string, number> = {
  "@cf/baai/bge-small-en-v1.5": 384,
  "@cf/baai/bge-base-en-v1.5": 768,
  "@cf/baai/bge-large-en-v1.5": 1024,
};

export class FakeWorkersAi {
  readonly calls: { model: string; texts: string[]; options: unknown }[] = [];
  failNext: Error | null = null;
  /** Answer with vectors of this many dimensions instead of the model's (to test mismatch handling). */
  wrongDimensions: number | null = null;

  async run(model: string, input: { text?: string | string[] }, options?: unknown): Promise<{ shape: number[]; data: number[][] }> {
    const dims = MODELS[model];
    if (dims === undefined) throw new Error(`AiError: No such model ${model} or task`);
    const texts = typeof input?.text === "string" ? [input.text] : input?.text;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== "string")) {
      throw new Error("AiError: Input validation failed: text must be a string or an array of strings");
    }
    if (texts.length > 100) throw new Error("AiError: Input validation failed: at most 100 texts per request");
    this.calls.push({ model, texts, options });
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    const d = this.wrongDimensions ?? dims;
    return { shape: [texts.length, d], data: texts.map((t) => vectorFor(t, d)) };
  }
}

function vectorFor(text: string, dims: number): number[] {
  let seed = 2166136261;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 16777619) >>> 0;
  const v = Array.from({ length: dims }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
