// Log probabilities shaped like OpenAI's `logprobs.content`: one entry per token of the answer (tokens are
// four-character pieces, see determinism.ts), each with its UTF-8 bytes, a deterministic negative logprob
// and, when asked, `top_logprobs` alternatives: the token itself first, then others, each less likely.
import { Rng, seedOf, tokenize } from "../determinism";

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}
export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

/** Alternatives offered in top_logprobs, in order. */
const ALTERNATIVES = [" the", " a", ",", ".", " and", " of", " to", " in", " is", " it", "\n", " that"];

const bytesOf = (token: string) => Array.from(new TextEncoder().encode(token));
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Logprobs of `text`, deterministic for (text, seed). */
export async function logprobsOf(text: string, top: number, seed: string): Promise<TokenLogprob[]> {
  const rng = new Rng(await seedOf("logprobs", seed, text));
  return tokenize(text).map((token) => {
    const logprob = round(-rng.next() * 0.5);
    const others = ALTERNATIVES.filter((t) => t !== token).slice(0, Math.max(0, top - 1));
    let below = logprob;
    const alternatives = others.map((t) => {
      below = round(below - 0.5 - rng.next() * 2);
      return { token: t, logprob: below, bytes: bytesOf(t) };
    });
    const first = top > 0 ? [{ token, logprob, bytes: bytesOf(token) }] : [];
    return { token, logprob, bytes: bytesOf(token), top_logprobs: [...first, ...alternatives] };
  });
}
