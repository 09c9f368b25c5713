// The models Cordon knows: their list prices (US dollars per million tokens), used to report what a cache hit
// saved, and the catalogue GET /v1/models serves. A model not listed saves nothing on paper (the number is an
// estimate and never guessed upward) and can still be called: the provider decides what it serves.

export interface KnownModel {
  /** OpenAI-style id, without the provider prefix AI Gateway needs (`openai/`). */
  readonly id: string;
  readonly provider: "openai" | "anthropic";
  /** When the provider released it (Unix seconds), as OpenAI's model objects state it. */
  readonly created: number;
  readonly input: number;
  readonly output: number;
}

const model = (id: string, provider: KnownModel["provider"], created: number, input: number, output = 0) =>
  ({ id, provider, created, input, output }) as const;

export const KNOWN_MODELS: readonly KnownModel[] = [
  model("gpt-4o", "openai", 1_715_367_049, 2.5, 10),
  model("gpt-4o-mini", "openai", 1_721_172_741, 0.15, 0.6),
  model("gpt-4.1", "openai", 1_744_316_542, 2, 8),
  model("gpt-4.1-mini", "openai", 1_744_318_173, 0.4, 1.6),
  model("gpt-4.1-nano", "openai", 1_744_321_707, 0.1, 0.4),
  model("o3-mini", "openai", 1_737_146_383, 1.1, 4.4),
  model("text-embedding-3-small", "openai", 1_705_948_997, 0.02),
  model("text-embedding-3-large", "openai", 1_705_953_180, 0.13),
  model("text-embedding-ada-002", "openai", 1_671_217_299, 0.1),
  model("claude-3-5-haiku", "anthropic", 1_729_555_200, 0.8, 4),
  model("claude-3-5-sonnet", "anthropic", 1_729_555_200, 3, 15),
  model("claude-sonnet-4", "anthropic", 1_747_180_800, 3, 15),
];

/** `openai/gpt-4o-mini-2024-07-18` → the `gpt-4o-mini` entry, by longest listed prefix. */
export function knownModel(model: string): KnownModel | null {
  const name = (model.includes("/") ? model.slice(model.indexOf("/") + 1) : model).toLowerCase();
  let best: KnownModel | null = null;
  for (const m of KNOWN_MODELS) {
    if ((name === m.id || name.startsWith(`${m.id}-`)) && (best === null || m.id.length > best.id.length)) best = m;
  }
  return best;
}

/** What a call of these token counts costs at list price (0 for a model not listed). */
export function costOf(model: string, promptTokens: number, completionTokens: number): number {
  const price = knownModel(model);
  if (price === null) return 0;
  return Math.round(((promptTokens * price.input + completionTokens * price.output) / 1e6) * 1e8) / 1e8;
}
