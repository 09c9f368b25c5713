// List prices (US dollars per million tokens) used to report what a cache hit saved. A model not listed saves
// nothing on paper: the number is an estimate and never guessed upward.

const PER_MILLION: Record<string, { input: number; output: number }> = {
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "claude-3-5-sonnet": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
};

/** `openai/gpt-4o-mini-2024-07-18` → the `gpt-4o-mini` price, by longest listed prefix. */
export function costOf(model: string, promptTokens: number, completionTokens: number): number {
  const name = (model.includes("/") ? model.slice(model.indexOf("/") + 1) : model).toLowerCase();
  let best: string | null = null;
  for (const key of Object.keys(PER_MILLION)) {
    if ((name === key || name.startsWith(`${key}-`)) && (best === null || key.length > best.length)) best = key;
  }
  if (best === null) return 0;
  const price = PER_MILLION[best]!;
  return Math.round(((promptTokens * price.input + completionTokens * price.output) / 1e6) * 1e8) / 1e8;
}
