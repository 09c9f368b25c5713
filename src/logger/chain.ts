// The per-tenant hash chain: hash = SHA-256(prev_hash + "\n" + canonical JSON of the event).
import { canonicalJson } from "../shared/canonical-json";

export const GENESIS = "0".repeat(64);

export async function chainHash(prevHash: string, canonicalEvent: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${prevHash}\n${canonicalEvent}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export { canonicalJson };
