// The platform master keys: MASTER_KEY (current) and MASTER_KEY_PREVIOUS (earlier ones, comma-separated),
// Worker secrets of 32 random bytes each. They do one thing: wrap the keys stored under them — each tenant's
// data key and the platform key — with AES-256-GCM under a key-encryption key derived from the master
// (AAD names what is wrapped). A wrapped value names the master that wrapped it by fingerprint:
//   k2.{fingerprint}.{iv ‖ ciphertext ‖ tag, base64url}      (k1.{…}: before versions; the current master)
// Rotation: deploy the new key as MASTER_KEY and the old one in MASTER_KEY_PREVIOUS, then re-wrap every stored
// key (POST /v1/admin/master-key/rewrap): data is never re-encrypted, only the wrapped keys change. Once all are
// re-wrapped, the old master can be removed.
import { deriveAes, hkdfBase, open, seal } from "./aead";
import { fromBase64, randomBytes, toHex, utf8 } from "./encoding";

export class MasterKeyError extends Error {
  override name = "MasterKeyError";
}

interface Master {
  readonly id: string;
  readonly kek: CryptoKey;
}

/** A master key's public name: 16 hex digits of a domain-separated SHA-256 of it (reveals nothing of it). */
async function fingerprint(raw: Uint8Array): Promise<string> {
  const label = utf8("cordon/master-key-fingerprint/v1\n");
  const data = new Uint8Array(label.length + raw.length);
  data.set(label);
  data.set(raw, label.length);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data))).slice(0, 16);
}

async function master(base64: string): Promise<Master> {
  let raw: Uint8Array;
  try {
    raw = fromBase64(base64.trim());
  } catch {
    throw new MasterKeyError("a master key is not base64");
  }
  if (raw.length !== 32) throw new MasterKeyError("a master key must be 32 bytes");
  return { id: await fingerprint(raw), kek: await deriveAes(await hkdfBase(raw), "cordon/tenant-data-key-wrap/v1") };
}

export class MasterKeyring {
  private constructor(
    private readonly current: Master,
    private readonly previous: readonly Master[],
  ) {}

  static async fromSecrets(current: string, previous?: string): Promise<MasterKeyring> {
    const earlier = (previous ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    return new MasterKeyring(await master(current), await Promise.all(earlier.map(master)));
  }

  /** The fingerprint of the current master key. */
  get currentId(): string {
    return this.current.id;
  }

  async wrap(label: string, raw: Uint8Array): Promise<string> {
    return `k2.${this.current.id}.${await seal(this.current.kek, raw, label)}`;
  }

  /** The raw key and whether it is wrapped under the current master. Throws for an unknown master or tampering. */
  async unwrap(label: string, wrapped: string): Promise<{ raw: Uint8Array; current: boolean }> {
    const parts = wrapped.split(".");
    if (parts[0] === "k2" && parts.length === 3) {
      const m = [this.current, ...this.previous].find((k) => k.id === parts[1]);
      if (!m) throw new MasterKeyError(`wrapped under master ${parts[1]}, which is not configured`);
      return { raw: await open(m.kek, parts[2]!, label), current: m === this.current };
    }
    if (parts[0] === "k1" && parts.length === 2) {
      for (const m of [this.current, ...this.previous]) {
        try {
          return { raw: await open(m.kek, parts[1]!, label), current: false };
        } catch {}
      }
      throw new MasterKeyError("a k1-wrapped key opens under no configured master");
    }
    throw new MasterKeyError("unknown key wrapping");
  }

  /** The same key wrapped under the current master, or null when it already is. */
  async rewrap(label: string, wrapped: string): Promise<string | null> {
    const { raw, current } = await this.unwrap(label, wrapped);
    return current ? null : this.wrap(label, raw);
  }

  /** A fresh tenant data key, returned wrapped (the only form in which it is stored). */
  newWrappedDataKey(tenantId: string): Promise<string> {
    return this.wrap(dataKeyLabel(tenantId), randomBytes(32));
  }
}

export const dataKeyLabel = (tenantId: string) => `tenant:${tenantId}`;
export const PLATFORM_KEY_LABEL = "platform";
