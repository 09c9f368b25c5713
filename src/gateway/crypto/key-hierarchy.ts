// Key hierarchy. MASTER_KEY (a Worker secret, 32 bytes) is the root; HKDF derives from it, under fixed labels:
//   - the key-encryption key that wraps each tenant's data key (AES-256-GCM, AAD = tenant id);
//   - the HMAC key under which API-key secrets are hashed before they are stored or looked up;
//   - the HMAC key for pseudonyms of identifiers the audit trail must not name (SSO subjects).
// Each tenant's data key (32 random bytes, stored only wrapped) in turn derives, by HKDF:
//   - the AES-256-GCM key that seals cached bodies (AAD = the storage key of the sealed value);
//   - the HMAC key for everything hashed on the tenant's behalf (cache keys, partitions, prompt hashes);
//   - per user, the AES-256-GCM key that seals that user's entries (HKDF with the user's erasable salt);
//   - the seed of the tenant's secret embedding transform.
// Deleting a tenant's wrapped data key makes everything sealed or hashed under it unreadable (crypto-shred).
import { fromBase64, fromBase64Url, randomBytes, toBase64Url, toHex, utf8 } from "./encoding";

const IV_BYTES = 12;
const WRAP_VERSION = "k1";

async function hkdfBase(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey", "deriveBits"]);
}

function deriveAes(base: CryptoKey, label: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8(label) },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function deriveHmac(base: CryptoKey, label: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("cordon"), info: utf8(label) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

async function hmac(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(data)));
}

async function seal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, key, plaintext),
  );
  const out = new Uint8Array(IV_BYTES + ct.length);
  out.set(iv);
  out.set(ct, IV_BYTES);
  return toBase64Url(out);
}

/** Throws when the ciphertext was altered, moved to another AAD, or sealed under another key. */
async function open(key: CryptoKey, sealed: string, aad: string): Promise<Uint8Array> {
  const bytes = fromBase64Url(sealed);
  const iv = bytes.subarray(0, IV_BYTES);
  const ct = bytes.subarray(IV_BYTES);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, key, ct));
}

export class MasterKeyring {
  private constructor(
    private readonly kek: CryptoKey,
    private readonly apiKeyHmac: CryptoKey,
    private readonly pseudonymHmac: CryptoKey,
  ) {}

  static async fromSecret(masterKeyBase64: string): Promise<MasterKeyring> {
    const base = await hkdfBase(fromBase64(masterKeyBase64));
    return new MasterKeyring(
      await deriveAes(base, "cordon/tenant-data-key-wrap/v1"),
      await deriveHmac(base, "cordon/api-key-hash/v1"),
      await deriveHmac(base, "cordon/pseudonym/v1"),
    );
  }

  /**
   * A stable pseudonym (128 bits, base64url) for an identifier that must appear in the audit trail without
   * being named there, such as an SSO subject; domain-separated.
   */
  async pseudonym(domain: string, data: string): Promise<string> {
    return toBase64Url((await hmac(this.pseudonymHmac, `${domain}\n${data}`)).subarray(0, 16));
  }

  /** Keyed hash of an API-key secret: what KV stores and looks keys up by. */
  async hashApiKey(secret: string): Promise<string> {
    return toHex(await hmac(this.apiKeyHmac, secret));
  }

  /** A fresh tenant data key, returned wrapped (the only form in which it is stored). */
  async newWrappedDataKey(tenantId: string): Promise<string> {
    return `${WRAP_VERSION}.${await seal(this.kek, randomBytes(32), `tenant:${tenantId}`)}`;
  }

  async unwrapDataKey(tenantId: string, wrapped: string): Promise<TenantKeyring> {
    const [version, sealed] = wrapped.split(".", 2);
    if (version !== WRAP_VERSION || !sealed) throw new Error("unknown data key wrapping");
    const raw = await open(this.kek, sealed, `tenant:${tenantId}`);
    const base = await hkdfBase(raw);
    return new TenantKeyring(
      base,
      await deriveAes(base, "cordon/cache-body/v1"),
      await deriveHmac(base, "cordon/tenant-hash/v1"),
    );
  }
}

/** Seals and opens cached entry bodies under one key (the tenant's, or one user's). */
export interface EntrySealer {
  seal(plaintext: string, aad: string): Promise<string>;
  open(sealed: string, aad: string): Promise<string>;
}

export class TenantKeyring implements EntrySealer {
  constructor(
    private readonly base: CryptoKey,
    private readonly sealKey: CryptoKey,
    private readonly hashKey: CryptoKey,
  ) {}

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

/** Constant-time string comparison: both sides are hashed first, so length differences do not leak either. */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const ka = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(a)));
  const kb = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(b)));
  return crypto.subtle.timingSafeEqual(ka, kb);
}
