// Which key seals an entry: the tenant's cache-body key for tenant-wide entries, or the user's own key for a
// user's entries (derived with the user's salt from the tenant's object; crypto-shredding on erasure).

import { fromBase64Url } from "../crypto/encoding";
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import type { CacheAddress } from "./address";

/** Whose cache a sealed value belongs to: the tenant's, or one of its users'. */
export type SealerOwner = Pick<CacheAddress, "tenant" | "keyring" | "userHash">;

/** The key to open entries with; null when the user has no salt — no entries to find (or erased). */
export async function readSealer(rt: Runtime, addr: SealerOwner): Promise<EntrySealer | null> {
  if (addr.userHash === null) return addr.keyring;
  const salt = await rt.tenantObject(addr.tenant).userSalt(addr.userHash, false);
  return salt === null ? null : addr.keyring.userSealer(fromBase64Url(salt));
}

/** The key to seal a new entry with (a user's salt is created on first use). */
export async function writeSealer(rt: Runtime, addr: SealerOwner): Promise<EntrySealer> {
  if (addr.userHash === null) return addr.keyring;
  const salt = await rt.tenantObject(addr.tenant).userSalt(addr.userHash, true);
  if (salt === null) throw new Error("user salt not created");
  return addr.keyring.userSealer(fromBase64Url(salt));
}
