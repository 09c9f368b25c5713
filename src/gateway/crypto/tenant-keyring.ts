// A tenant's keys, from its data key (32 random bytes, stored only wrapped under the master key). HKDF derives:
//   - the AES-256-GCM key that seals cached bodies (AAD = the storage key of the sealed value);
//   - the HMAC key for everything hashed on the tenant's behalf (cache keys, partitions, prompt hashes, users);
//   - the AES-256-GCM key that seals the tenant's virtual keys (provider credentials);
//   - per user, the AES-256-GCM key that seals that user's entries (HKDF with the user's erasable salt);
//   - the seed of the tenant's secret embedding transform.
// Deleting a tenant's wrapped data key makes everything sealed or hashed under it unreadable (crypto-shred).
import { deriveAes, deriveHmac, hkdfBase, hmac, open, seal } from "./aead";
import { toBase64Url, utf8 } from "./encoding";

/** Seals and opens cached entry bodies under one key (the tenant's, or one user's). */
export interface EntrySealer {
  seal(plaintext: string, aad: string): Promise<string>;
  open(sealed: string, aad: string): Promise<string>;
}

export class TenantKeyring implements EntrySealer {
  private constructor(
    private readonly base: CryptoKey,
    private readonly sealKey: CryptoKey,
    private readonly hashKey: CryptoKey,
    private readonly secretKey: CryptoKey,
  ) {}

  static async fromDataKey(raw: Uint8Array): Promise<TenantKeyring> {
    const base = await hkdfBase(raw);
    return new TenantKeyring(
      base,
      await deriveAes(base, "cordon/cache-body/v1"),
      await deriveHmac(base, "cordon/tenant-hash/v1"),
      await deriveAes(base, "cordon/virtual-key/v1"),
    );
  }

  /** Seals a provider credential (AAD names the tenant and the virtual key). */
  sealSecret(plaintext: string, aad: string): Promise<string> {
    return seal(this.secretKey, utf8(plaintext), aad);
  }

  async openSecret(sealed: string, aad: string): Promise<string> {
    return new TextDecoder().decode(await open(this.secretKey, sealed, aad));
  }

  /**
   * The sealing key of one user's entries: HKDF of the tenant data key with the user's salt, a random value the
   * tenant's object keeps per user. Erasing the user deletes the salt, so every copy of the user's entries,
   * wherever it lingers (a KV edge cache, a backup), can no longer be opened.
   */
  async userSealer(salt: Uint8Array): Promise<EntrySealer> {
    if (salt.length < 16) throw new RangeError("a user salt has at least 16 bytes");
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: utf8("cordon/user-body/v1") },
      this.base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return {
      seal: (plaintext, aad) => seal(key, utf8(plaintext), aad),
      open: async (sealed, aad) => new TextDecoder().decode(await open(key, sealed, aad)),
    };
  }

  /** 32 secret bytes seeding the tenant's embedding transform (crypto/orthogonal-transform.ts). */
  async embeddingSeed(): Promise<Uint8Array> {
    const bits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8("cordon/embedding-transform-seed/v1") },
      this.base,
      256,
    );
    return new Uint8Array(bits);
  }

  /** Keyed, domain-separated hash (base64url, 43 chars). */
  async hash(domain: string, data: string): Promise<string> {
    return toBase64Url(await hmac(this.hashKey, `${domain}\n${data}`));
  }

  seal(plaintext: string, aad: string): Promise<string> {
    return seal(this.sealKey, utf8(plaintext), aad);
  }

  async open(sealed: string, aad: string): Promise<string> {
    return new TextDecoder().decode(await open(this.sealKey, sealed, aad));
  }
}
