// The embeddings cache: exact, per input. Each vector the provider returned is kept in the CACHE namespace
// under the keyed hash of (scope, partition, input), sealed like an entry body (AES-256-GCM under the tenant's
// key or the user's, the storage key as AAD) with the input's token count and its creation and expiry times.
// Embeddings are deterministic, so an exact match is the same answer; there is no semantic tier here.
// Erasure works as for entries: a user's vectors die with the user's salt, the tenant's with its data key, and
// vectors created before the tenant's erasure watermark are never served. KV's own TTL removes them later.
import * as z from "zod";
import { logText } from "../../shared/log-text";
import { type EmbeddingVector, float32Base64, fromFloat32Base64 } from "../crypto/encoding";
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { StoreTicket } from "../storage/tenant-object/index";
import { KV_MIN_TTL_SECONDS } from "./entries";
import { readUserState, type SealerOwner, writeSealer } from "./sealers";

/** KV's bulk read takes at most this many keys (one operation of the invocation's 1,000). */
const KV_BULK_GET = 100;
/** New vectors stored per request at most (one KV write each; the invocation's limit is 1,000 operations). */
export const MAX_STORED_PER_REQUEST = 256;

const Stored = {
  created_at: z.number(),
  expires_at: z.number(),
  model: z.string(),
  tokens: z.int().nonnegative(),
};
/** v2: the vector as base64 float32 (a quarter of v1's numbers' bytes); v1, numbers, is still read. */
const StoredSchema = z.discriminatedUnion("v", [
  z.object({ v: z.literal(2), ...Stored, embedding: z.string().min(1) }),
  z.object({ v: z.literal(1), ...Stored, embedding: z.array(z.number()).min(1) }),
]);

/** A stored vector as a lookup serves it. */
export interface StoredEmbedding {
  readonly tokens: number;
  readonly embedding: EmbeddingVector;
}

export interface EmbeddingAddress extends SealerOwner {
  readonly model: string;
  /** One keyed hash per input, in the request's order. */
  readonly inputHashes: readonly string[];
  readonly ttlSeconds: number;
  readonly erasedBefore: number;
}

/**
 * The stored vector of each input (null where there is none to serve), and how many times the user was erased
 * as read with the user's key (null for the shared cache, or when it could not be read): the user's part of the
 * request's store ticket. Best effort: a failure is all misses.
 */
export async function readEmbeddings(
  rt: Runtime,
  addr: EmbeddingAddress,
  now: number,
): Promise<{ stored: (StoredEmbedding | null)[]; userErasures: number | null }> {
  const none = addr.inputHashes.map(() => null);
  let userErasures: number | null = null;
  try {
    const user = await readUserState(rt, addr);
    userErasures = user.userErasures;
    const sealer = user.sealer;
    if (sealer === null) return { stored: none, userErasures };
    const keys = addr.inputHashes.map((h) => cacheKv.embedding(addr.tenant, h));
    // A page at a time, each value opened and decoded before the next page is read: a batch of 2,048 sealed
    // vectors is never all in memory as text at once.
    const opened = new Map<string, StoredEmbedding | null>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += KV_BULK_GET) {
      const page = await rt.env.CACHE.get(unique.slice(i, i + KV_BULK_GET), "text");
      await Promise.all(
        [...page].map(async ([key, value]) =>
          opened.set(key, value === null ? null : await openStored(addr, sealer, key, value, now)),
        ),
      );
    }
    const stored = keys.map((key) => opened.get(key) ?? null);
    return { stored, userErasures };
  } catch (err) {
    console.warn(`embedding lookup failed; treated as misses: ${logText(err)}`);
    return { stored: none, userErasures };
  }
}

/** One sealed vector, opened: null when it does not open, is not this model's, has expired or was erased. */
async function openStored(
  addr: EmbeddingAddress,
  sealer: EntrySealer,
  key: string,
  value: string,
  now: number,
): Promise<StoredEmbedding | null> {
  try {
    const parsed = StoredSchema.safeParse(JSON.parse(await sealer.open(value, key)));
    if (!parsed.success) return null;
    const e = parsed.data;
    if (!(e.expires_at > now && e.created_at >= addr.erasedBefore && e.model === addr.model)) return null;
    const embedding = e.v === 2 ? fromFloat32Base64(e.embedding) : Float32Array.from(e.embedding);
    return embedding === null ? null : { tokens: e.tokens, embedding };
  } catch {
    console.warn(`cached embedding of tenant ${addr.tenant} does not open; ignored`);
    return null;
  }
}

/** Seals and writes new vectors (index into inputHashes → vector and tokens). Never throws. */
export async function writeEmbeddings(
  rt: Runtime,
  addr: EmbeddingAddress,
  ticket: StoreTicket,
  fresh: ReadonlyMap<number, { embedding: EmbeddingVector; tokens: number }>,
): Promise<void> {
  try {
    // A user's salt is refused when the user was erased since the request was asked (its `ticket`); the shared
    // cache asks the tenant's object the same of the tenant's erasures. Either way nothing is then stored.
    const sealer = await writeSealer(rt, addr, ticket);
    if (sealer === null) return;
    if (addr.userHash === null && !(await rt.tenantObject(addr.tenant).storeAllowed(null, ticket))) return;
    const now = Date.now();
    const expiresAt = now + addr.ttlSeconds * 1000;
    const kvTtl = Math.max(KV_MIN_TTL_SECONDS, addr.ttlSeconds);
    const written = new Set<string>();
    const writes: Promise<void>[] = [];
    for (const [index, { embedding, tokens }] of fresh) {
      const key = cacheKv.embedding(addr.tenant, addr.inputHashes[index]!);
      if (written.has(key) || written.size >= MAX_STORED_PER_REQUEST) continue;
      written.add(key);
      const body: z.infer<typeof StoredSchema> = {
        v: 2,
        created_at: now,
        expires_at: expiresAt,
        model: addr.model,
        tokens,
        embedding: float32Base64(embedding),
      };
      writes.push(
        sealer.seal(JSON.stringify(body), key).then((s) => rt.env.CACHE.put(key, s, { expirationTtl: kvTtl })),
      );
    }
    await Promise.all(writes);
  } catch (err) {
    console.error(`embedding store failed for tenant ${addr.tenant}: ${logText(err)}`);
  }
}
