// The two cache tiers. Exact: a keyed hash of scope + partition + exact-normalised prompt, looked up in KV.
// Semantic: the semantic-normalised prompt is embedded and searched in the tenant's vector namespace,
// filtered to the same partition and scope; a match must clear the threshold and then pass verification.
// The cache is best effort: a failing or slow read is a miss, a failing write never fails the request.
import * as z from "zod";
import type { TenantKeyring } from "../crypto/key-hierarchy";
import { type ChatCompletion, ChatCompletionSchema } from "../protocol/chat";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheControls } from "./controls";
import { exactText } from "./plan";
import { semanticText } from "./semantic-text";
import { verifyMatch } from "./verify";

const READ_BUDGET_MS = 2000;
const CANDIDATES = 5;
/** KV's minimum expiration TTL; shorter entries are also checked against their own expires_at on read. */
const KV_MIN_TTL_SECONDS = 60;

const EntryBodySchema = z.object({
  v: z.literal(1),
  id: z.string(),
  created_at: z.number(),
  expires_at: z.number(),
  model: z.string(),
  prompt: z.string(),
  completion: ChatCompletionSchema,
});
type EntryBody = z.infer<typeof EntryBodySchema>;

export interface Lookup {
  readonly tenant: string;
  readonly keys: TenantKeyring;
  readonly model: string;
  /** Original text of the last user message (kept, sealed, for verifying later semantic matches). */
  readonly prompt: string;
  readonly semantic: string;
  readonly promptHash: string;
  readonly partitionHash: string;
  readonly scopeHash: string;
  readonly userHash: string | null;
  readonly exactHash: string;
  readonly threshold: number;
  readonly ttlSeconds: number;
  /** Filled by the semantic lookup, reused when storing. */
  embedding?: number[];
}

export interface CacheHit {
  tier: "exact" | "semantic";
  entryId: string;
  similarity: number;
  completion: ChatCompletion;
}

export async function prepareLookup(args: {
  tenant: string;
  keys: TenantKeyring;
  model: string;
  prompt: string;
  partition: string;
  controls: CacheControls;
}): Promise<Lookup> {
  const { keys, controls } = args;
  const exact = exactText(args.prompt);
  const [promptHash, partitionHash, scopeHash, userHash] = await Promise.all([
    keys.hash("prompt", exact),
    keys.hash("partition", args.partition),
    keys.hash("scope", controls.scope),
    controls.user === null ? null : keys.hash("user", controls.user),
  ]);
  return {
    tenant: args.tenant,
    keys,
    model: args.model,
    prompt: args.prompt,
    semantic: semanticText(args.prompt),
    promptHash,
    partitionHash,
    scopeHash,
    userHash,
    exactHash: await keys.hash("exact", `${scopeHash}\n${partitionHash}\n${exact}`),
    threshold: controls.threshold,
    ttlSeconds: controls.ttlSeconds,
  };
}

export async function lookup(rt: Runtime, l: Lookup): Promise<CacheHit | null> {
  const exact = await bestEffort("exact lookup", lookupExact(rt, l));
  if (exact) return exact;
  return bestEffort("semantic lookup", lookupSemantic(rt, l));
}

async function lookupExact(rt: Runtime, l: Lookup): Promise<CacheHit | null> {
  const entryId = await rt.env.CACHE.get(cacheKv.exact(l.tenant, l.exactHash));
  if (entryId === null) return null;
  const body = await readEntry(rt, l, entryId);
  if (!body) return null;
  return { tier: "exact", entryId, similarity: 1, completion: body.completion };
}

async function lookupSemantic(rt: Runtime, l: Lookup): Promise<CacheHit | null> {
  l.embedding = await embed(rt, l);
  const matches = await rt.vectors.query(l.tenant, {
    vector: l.embedding,
    topK: CANDIDATES,
    partition: l.partitionHash,
    scope: l.scopeHash,
    now: Date.now(),
  });
  for (const m of matches) {
    // Metadata is re-checked here: an adapter bug must not become a cross-partition or cross-user hit.
    if (m.score < l.threshold) break;
    if (m.metadata.partition !== l.partitionHash || m.metadata.scope !== l.scopeHash) continue;
    const body = await readEntry(rt, l, m.id);
    if (!body || !verifyMatch(l.prompt, body.prompt).ok) continue;
    return { tier: "semantic", entryId: m.id, similarity: Math.min(1, m.score), completion: body.completion };
  }
  return null;
}

/** The entry's body if it exists, opens under this tenant's key, is unexpired and is for this model. */
async function readEntry(rt: Runtime, l: Lookup, entryId: string): Promise<EntryBody | null> {
  const key = cacheKv.entry(l.tenant, entryId);
  const sealed = await rt.env.CACHE.get(key);
  if (sealed === null) return null;
  let body: ReturnType<typeof EntryBodySchema.safeParse>;
  try {
    body = EntryBodySchema.safeParse(JSON.parse(await l.keys.open(sealed, key)));
  } catch {
    console.warn(`cache entry ${entryId} of tenant ${l.tenant} does not open; ignored`);
    return null;
  }
  if (!body.success || body.data.expires_at <= Date.now() || body.data.model !== l.model) return null;
  return body.data;
}

async function embed(rt: Runtime, l: Lookup): Promise<number[]> {
  const [vector] = await rt.embedder.embed([l.semantic]);
  if (!vector) throw new Error("embedder returned no vector");
  return vector;
}

/** Writes the entry everywhere it lives: sealed body, catalog, exact pointer, vector. Never throws. */
export async function store(rt: Runtime, l: Lookup, entryId: string, completion: ChatCompletion): Promise<void> {
  try {
    const now = Date.now();
    const expiresAt = now + l.ttlSeconds * 1000;
    const kvTtl = Math.max(KV_MIN_TTL_SECONDS, l.ttlSeconds);
    const entryKey = cacheKv.entry(l.tenant, entryId);
    const exactKey = cacheKv.exact(l.tenant, l.exactHash);
    const body: EntryBody = {
      v: 1,
      id: entryId,
      created_at: now,
      expires_at: expiresAt,
      model: l.model,
      prompt: l.prompt,
      completion,
    };
    const embedding = l.embedding ?? (await embed(rt, l));
    // The body and the catalog row first, so that no pointer ever names an entry that was not recorded.
    await rt.env.CACHE.put(entryKey, await l.keys.seal(JSON.stringify(body), entryKey), { expirationTtl: kvTtl });
    await rt.tenantObject(l.tenant).catalogPut({
      id: entryId,
      scope: l.scopeHash,
      user_hash: l.userHash,
      partition: l.partitionHash,
      prompt_hash: l.promptHash,
      model: l.model,
      exact_key: exactKey,
      created_at: now,
      expires_at: expiresAt,
    });
    await Promise.all([
      rt.env.CACHE.put(exactKey, entryId, { expirationTtl: kvTtl }),
      rt.vectors.upsert(l.tenant, [
        {
          id: entryId,
          values: embedding,
          metadata: { partition: l.partitionHash, scope: l.scopeHash, expires_at: expiresAt },
        },
      ]),
    ]);
  } catch (err) {
    console.error(`cache store failed for tenant ${l.tenant}: ${String(err)}`);
  }
}

async function bestEffort<T>(what: string, work: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`${what} exceeded ${READ_BUDGET_MS} ms; treated as a miss`);
      resolve(null);
    }, READ_BUDGET_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    console.warn(`${what} failed; treated as a miss: ${String(err)}`);
    return null;
  } finally {
    clearTimeout(timer);
  }
}
