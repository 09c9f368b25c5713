// Which key seals an entry: the tenant's cache-body key for tenant-wide entries, or the user's own key for a
// user's entries (derived with the user's salt from the tenant's object; crypto-shredding on erasure).

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
  const salt = await rt.tenantObject(addr.tenant).userSalt(addr.userHash);
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
  return {
    sealer: state.salt === null ? null : await addr.keyring.userSealer(fromBase64Url(state.salt)),
    userErasures: state.erasures,
  };
}

/**
 * The key to seal a new entry with (a user's salt is created on first use), or null when an erasure ran since
 * the request was asked (`ticket`): the answer is then not stored.
 */
export async function writeSealer(rt: Runtime, addr: SealerOwner, ticket: StoreTicket): Promise<EntrySealer | null> {
  if (addr.userHash === null) return addr.keyring;
  const salt = await rt.tenantObject(addr.tenant).writeSalt(addr.userHash, ticket);
  return salt === null ? null : addr.keyring.userSealer(fromBase64Url(salt));
}
