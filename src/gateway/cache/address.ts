// Where a request's answer lives in the cache: every keyed hash the two tiers and the catalog use, computed
// once per request under the tenant's hashing key. Hashes are domain-separated (`prompt`, `partition`,
// `scope`, `user`, `exact`), so no two kinds of value can collide.

import type { OrthogonalTransform } from "../crypto/orthogonal-transform";
import type { TenantKeyring } from "../crypto/tenant-keyring";
import { semanticText } from "../text/semantic-text";
import type { CacheControls } from "./controls";
import { exactText } from "./plan";

/** Which API an answer is for: chat completions (and cache queries), or the Responses API. */
export type AnswerKind = "chat" | "responses";

export interface CacheAddress {
  readonly tenant: string;
  readonly keyring: TenantKeyring;
  readonly model: string;
  /** The API whose answers live here (chat, or the Responses API); an entry of the other is never read. */
  readonly kind: AnswerKind;
  /** Original text of the last user message (kept, sealed, for verifying later semantic matches). */
  readonly prompt: string;
  /** The prose of the prompt as the semantic tier embeds it; empty when the prompt is only code (then only the
   * exact tier applies). */
  readonly semantic: string;
  /** The semantic tier is searched (there is prose, and the threshold is below 1). */
  readonly searchByMeaning: boolean;
  /** A stored answer is indexed by meaning (there is prose, and the tenant's semantic tier is on). */
  readonly indexByMeaning: boolean;
  readonly promptHash: string;
  readonly partitionHash: string;
  /** The partition as the vector index files it: the partition's hash and the embedding space (Runtime.vectorSpace). */
  readonly vectorPartition: string;
  readonly scopeHash: string;
  readonly userHash: string | null;
  readonly exactHash: string;
  readonly threshold: number;
  readonly ttlSeconds: number;
  /** Entries created before this time (the tenant's erasure watermark) are never served. */
  readonly erasedBefore: number;
  /** How long past its TTL an entry is kept, to be served only when every upstream target fails. */
  readonly staleSeconds: number;
  /** The tenant's secret orthogonal map, applied to every embedding before it reaches the vector index. */
  readonly transform: OrthogonalTransform;
}

export async function cacheAddress(args: {
  tenant: string;
  keyring: TenantKeyring;
  model: string;
  /** Chat unless said otherwise. */
  kind?: AnswerKind;
  prompt: string;
  /** The prose of the prompt (code blocks removed). */
  prose: string;
  partition: string;
  controls: CacheControls;
  erasedBefore: number;
  staleSeconds: number;
  transform: OrthogonalTransform;
  /** The embedder's space (Runtime.vectorSpace). */
  vectorSpace: string;
}): Promise<CacheAddress> {
  const { keyring, controls } = args;
  const exact = exactText(args.prompt);
  const semantic = semanticText(args.prose);
  const [promptHash, partitionHash, scopeHash, userHash] = await Promise.all([
    keyring.hash("prompt", exact),
    keyring.hash("partition", args.partition),
    keyring.hash("scope", controls.scope),
    controls.user === null ? null : keyring.hash("user", controls.user),
  ]);
  return {
    tenant: args.tenant,
    keyring,
    model: args.model,
    kind: args.kind ?? "chat",
    prompt: args.prompt,
    semantic,
    searchByMeaning: semantic !== "" && controls.searchByMeaning,
    indexByMeaning: semantic !== "" && controls.indexByMeaning,
    promptHash,
    partitionHash,
    vectorPartition: `${partitionHash}.${args.vectorSpace}`,
    scopeHash,
    userHash,
    exactHash: await keyring.hash("exact", `${scopeHash}\n${partitionHash}\n${exact}`),
    threshold: controls.threshold,
    ttlSeconds: controls.ttlSeconds,
    erasedBefore: args.erasedBefore,
    staleSeconds: args.staleSeconds,
    transform: args.transform,
  };
}
