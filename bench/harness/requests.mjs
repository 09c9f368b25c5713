// What the benchmark asks Cordon: one prompt the exact tier answers, paraphrases of the seeded filler entries
// that only the semantic tier finds, and prompts no one asked before.
import { randomBytes } from "node:crypto";
import { expect } from "./http.mjs";

export const EXACT_PROMPT = "What is the capital of France?";

export const chatBody = (model, content) => JSON.stringify({ model, messages: [{ role: "user", content }] });

/** A prompt no one asked before: eight made-up words, so that it is far from every stored prompt. */
export function freshPrompt() {
  const b = randomBytes(48);
  const syllable = (k) => "bcdfghjklmnprstvwz"[b[k] % 18] + "aeiou"[b[k + 24] % 5];
  const word = (w) => syllable(3 * w) + syllable(3 * w + 1) + syllable(3 * w + 2);
  return `${Array.from({ length: 8 }, (_, w) => word(w)).join(" ")}?`;
}

/** A request for a filler entry that the exact tier misses and the semantic tier finds: same words, other case. */
export const paraphrase = (prompt) => prompt.toLowerCase().replace(/\.$/, "");

/**
 * Seeds `entries` filler entries through bench/seed/worker.ts (running as the gateway on `port`); returns 200
 * of their prompts, spread over the range, and the seconds it took.
 */
export async function seedEntries(port, rootToken, { tenant, model, entries }) {
  const started = Date.now();
  const sampleIds = Array.from({ length: 200 }, (_, k) => Math.floor((k * entries) / 200));
  const res = await expect(200, {
    port,
    method: "POST",
    path: "/bench/seed",
    headers: { authorization: `Bearer ${rootToken}` },
    body: { tenant, model, from: 0, count: entries, samples: sampleIds },
    timeoutMs: 600_000,
  });
  const { stored, samples } = res.json();
  return { stored, samples: Object.values(samples), seconds: (Date.now() - started) / 1000 };
}
