// A cache read: the exact tier, then the semantic tier. The cache is best effort: a failing or slow read is a
// miss (logged), never a failed request.
import { logText } from "../../shared/log-text";
import type { Runtime } from "../runtime";
import type { CacheAddress } from "./address";
import type { CacheHit } from "./entries";
import { openExact, readExactValue } from "./exact-tier";
import { readUserState } from "./sealers";
import { lookupSemantic, type SemanticLookup } from "./semantic-tier";

const READ_BUDGET_MS = 2000;

export interface LookupResult {
  readonly hit: CacheHit | null;
  /** The prompt's embedding when the semantic tier computed one (reused when the answer is stored). */
  readonly embedding: number[] | null;
  /** Why a semantic candidate was refused by verification, when one was. */
  readonly refused: SemanticLookup["refused"];
  /** How many times the user was erased, as read now (null: the shared cache, or it could not be read). */
  readonly userErasures: number | null;
}

export async function lookup(rt: Runtime, addr: CacheAddress, now: number): Promise<LookupResult> {
  // The user's key and erasure count (a Durable Object read, for a user's entries) and the exact tier's value (a
  // KV read) do not depend on each other: both are read at once, so a user's lookup waits for the slower.
  const [user, value] = await Promise.all([
    bestEffort("user key", readUserState(rt, addr)),
    bestEffort("exact lookup", readExactValue(rt, addr)),
  ]);
  const none: LookupResult = { hit: null, embedding: null, refused: null, userErasures: user?.userErasures ?? null };
  const sealer = user?.sealer;
  // A user without a salt has no entries (none stored yet, or erased): nothing to look up.
  if (!sealer) return none;
  const exact = value === null ? null : await bestEffort("exact lookup", openExact(rt, addr, sealer, value, now));
  if (exact) return { ...none, hit: exact };
  // A prompt that is only code, or a threshold of 1: no embedding, no search.
  if (!addr.searchByMeaning) return none;
  const semantic = await bestEffort("semantic lookup", lookupSemantic(rt, addr, sealer, now));
  return semantic ? { ...semantic, userErasures: none.userErasures } : none;
}

async function bestEffort<T>(what: string, work: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`${what} exceeded ${READ_BUDGET_MS} ms; treated as a miss`);
      resolve(null);
    }, READ_BUDGET_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    console.warn(`${what} failed; treated as a miss: ${logText(err)}`);
    return null;
  } finally {
    clearTimeout(timer);
  }
}
