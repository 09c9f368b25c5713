// Semantic tier: the semantic-normalised prompt is embedded and searched in the tenant's vector namespace,
// filtered to the same partition and scope; a match must clear the threshold and then pass verification on the
// two original prompts. The embedding is returned so that a miss can store it without embedding twice.
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import type { CacheAddress } from "./address";
import { answerOf, type CacheHit, readEntry } from "./entries";
import { type VerifyResult, verifyMatch } from "./verify";

const CANDIDATES = 5;

export interface SemanticLookup {
  readonly hit: CacheHit | null;
  readonly embedding: number[];
  /** Why the best candidate above the threshold was refused, when one was. */
  readonly refused: Extract<VerifyResult, { ok: false }>["reason"] | "rerank" | null;
}

/**
 * The prompt's embedding as the vector index sees it: embedded, then mapped by the tenant's secret orthogonal
 * transform (cosine is unchanged, so hits are too; a leaked index cannot be fed to an inversion model).
 */
export async function embedPrompt(rt: Runtime, addr: CacheAddress): Promise<number[]> {
  const [vector] = await rt.embedder.embed([addr.semantic]);
  if (!vector) throw new Error("embedder returned no vector");
  return addr.transform.apply(vector);
}

export async function lookupSemantic(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  now: number,
): Promise<SemanticLookup> {
  const embedding = await embedPrompt(rt, addr);
  const matches = await rt.vectors.query(addr.tenant, {
    vector: embedding,
    topK: CANDIDATES,
    partition: addr.vectorPartition,
    scope: addr.scopeHash,
    now,
  });
  let refused: SemanticLookup["refused"] = null;
  for (const m of matches) {
    // Metadata is re-checked here: an adapter bug must not become a cross-partition or cross-user hit.
    if (m.score < addr.threshold) break;
    if (m.metadata.partition !== addr.vectorPartition || m.metadata.scope !== addr.scopeHash) continue;
    const body = await readEntry(rt, addr, sealer, m.id, now);
    if (!body) continue;
    const verdict = verifyMatch(addr.prompt, body.prompt);
    if (!verdict.ok) {
      refused ??= verdict.reason;
      continue;
    }
    // The production option: a cross-encoder reads both prompts together; below its bar, no hit.
    if (rt.reranker && (await rt.reranker.model.score(addr.prompt, body.prompt)) < rt.reranker.minScore) {
      refused ??= "rerank";
      continue;
    }
    const hit: CacheHit = {
      tier: "semantic",
      entryId: m.id,
      similarity: Math.min(1, m.score),
      answer: answerOf(body),
    };
    return { hit, embedding, refused: null };
  }
  return { hit: null, embedding, refused };
}
