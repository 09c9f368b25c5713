// Which key seals an entry: the tenant's cache-body key for tenant-wide entries, or the user's own key for a
// user's entries (derived with the user's salt from the tenant's object; crypto-shredding on erasure).

import { logText } from "../../shared/log-text";
import { fromBase64Url } from "../crypto/encoding";
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import type { StoreTicket } from "../storage/tenant-object/index";
import type { CacheAddress } from "./address";

/** Whose cache a sealed value belongs to: the tenant's, or one of its users'. */
export type SealerOwner = Pick<CacheAddress, "tenant" | "keyring" | "userHash">;

/** The key to open entries with; null when the user has no salt — no entries to find (or erased). */
export async function readSealer(rt: Runtime, addr: SealerOwner): Promise<EntrySealer | null> {
  if (addr.userHash === null) return addr.keyring;
  return userSealerOf(addr, await rt.tenantObject(addr.tenant).userSalt(addr.userHash));
}

/** The user's key from its salt (base64url, as the tenant's object keeps it); null without one. */
function userSealerOf(addr: SealerOwner, salt: string | null): Promise<EntrySealer> | null {
  return salt === null ? null : addr.keyring.userSealer(fromBase64Url(salt));
}

/**
 * The key to open a lookup's entries with (null: the user has no salt, so no entries), and how many times the
 * user was erased (null for the tenant's shared cache): the user's part of the request's store ticket.
 */
export async function readUserState(
  rt: Runtime,
  addr: SealerOwner,
): Promise<{ sealer: EntrySealer | null; userErasures: number | null }> {
  if (addr.userHash === null) return { sealer: addr.keyring, userErasures: null };
  const state = await rt.tenantObject(addr.tenant).userState(addr.userHash);
  return { sealer: await userSealerOf(addr, state.salt), userErasures: state.erasures };
}

/**
 * The key to seal a new entry with (a user's salt is created on first use), or null when an erasure ran since
 * the request was asked (`ticket`): the answer is then not stored.
 */
export async function writeSealer(rt: Runtime, addr: SealerOwner, ticket: StoreTicket): Promise<EntrySealer | null> {
  if (addr.userHash === null) return addr.keyring;
  return userSealerOf(addr, await rt.tenantObject(addr.tenant).writeSalt(addr.userHash, ticket));
}

/**
 * A request's store ticket, taken before the provider is called: the erasure watermark of the tenant record it
 * read and, for a user's cache, how many times the user was erased — as the request's read of the cache saw it
 * (`read`), or read now when there was no read. Null for the count when it could not be read: the store is then
 * refused.
 */
export async function storeTicket(
  rt: Runtime,
  owner: SealerOwner & { readonly erasedBefore: number },
  read: { readonly userErasures: number | null } | null,
): Promise<StoreTicket> {
  if (owner.userHash === null) return { erasedBefore: owner.erasedBefore, userErasures: null };
  let userErasures = read?.userErasures ?? null;
  if (read === null) {
    try {
      userErasures = (await rt.tenantObject(owner.tenant).userState(owner.userHash)).erasures;
    } catch (err) {
      console.warn(`user state not read; the answer will not be stored: ${logText(err)}`);
    }
  }
  return { erasedBefore: owner.erasedBefore, userErasures };
}
