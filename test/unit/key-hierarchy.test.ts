// The key hierarchy: master keys with versions that wrap tenant data keys and the platform key, re-wrapping
// without touching data; tenant keys sealing bound to their storage key; per-user keys; API-key hashing.
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/gateway/auth/api-key-secret";
import { fromBase64Url } from "../../src/gateway/crypto/encoding";
import { dataKeyLabel, MasterKeyring } from "../../src/gateway/crypto/master-keyring";
import { PlatformKeyring } from "../../src/gateway/crypto/platform-keyring";
import { TenantKeyring } from "../../src/gateway/crypto/tenant-keyring";

const secret = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const tenantKeys = async (m: MasterKeyring, tenant: string, wrapped: string) =>
  TenantKeyring.fromDataKey((await m.unwrap(dataKeyLabel(tenant), wrapped)).raw);

describe("master keys", () => {
  it("wrap under the current master, naming it by fingerprint, and refuse another tenant's label", async () => {
    const m = await MasterKeyring.fromSecrets(secret());
    const wrapped = await m.newWrappedDataKey("acme");
    expect(wrapped).toMatch(new RegExp(`^k2\\.${m.currentId}\\.[A-Za-z0-9_-]+$`));
    expect((await m.unwrap(dataKeyLabel("acme"), wrapped)).current).toBe(true);
    await expect(m.unwrap(dataKeyLabel("other"), wrapped)).rejects.toThrow();
  });

  it("rotate: a previous master still unwraps, rewrap moves the key under the new one, data opens unchanged", async () => {
    const oldSecret = secret();
    const before = await MasterKeyring.fromSecrets(oldSecret);
    const wrapped = await before.newWrappedDataKey("acme");
    const sealed = await (await tenantKeys(before, "acme", wrapped)).seal("hello", "acme:e:1");

    const during = await MasterKeyring.fromSecrets(secret(), oldSecret);
    expect((await during.unwrap(dataKeyLabel("acme"), wrapped)).current).toBe(false);
    const rewrapped = await during.rewrap(dataKeyLabel("acme"), wrapped);
    expect(rewrapped).not.toBeNull();
    expect(await during.rewrap(dataKeyLabel("acme"), rewrapped!)).toBeNull();
    expect(await (await tenantKeys(during, "acme", rewrapped!)).open(sealed, "acme:e:1")).toBe("hello");

    // Once every key is re-wrapped, the old master can go.
    const after = await MasterKeyring.fromSecrets(secretOf(during));
    expect(await (await tenantKeys(after, "acme", rewrapped!)).open(sealed, "acme:e:1")).toBe("hello");
    await expect(after.unwrap(dataKeyLabel("acme"), wrapped)).rejects.toThrow(/not configured/);
  });

  it("refuse a malformed or tampered wrapping", async () => {
    const m = await MasterKeyring.fromSecrets(secret());
    const wrapped = await m.newWrappedDataKey("acme");
    await expect(m.unwrap(dataKeyLabel("acme"), "nonsense")).rejects.toThrow();
    const tampered = `${wrapped.slice(0, -2)}${wrapped.endsWith("A") ? "B" : "A"}A`;
    await expect(m.unwrap(dataKeyLabel("acme"), tampered)).rejects.toThrow();
    await expect(MasterKeyring.fromSecrets("too-short")).rejects.toThrow(/32 bytes|base64/);
  });
});

/** The current secret of a ring built in this test (kept beside it). */
const secrets = new WeakMap<MasterKeyring, string>();
function secretOf(m: MasterKeyring): string {
  return secrets.get(m) ?? "";
}
const originalFromSecrets = MasterKeyring.fromSecrets.bind(MasterKeyring);
MasterKeyring.fromSecrets = async (current: string, previous?: string) => {
  const ring = await originalFromSecrets(current, previous);
  secrets.set(ring, current);
  return ring;
};

describe("tenant keys", () => {
  it("seal under the tenant's data key, bound to the storage key (AAD)", async () => {
    const m = await MasterKeyring.fromSecrets(secret());
    const keys = await tenantKeys(m, "acme", await m.newWrappedDataKey("acme"));
    const sealed = await keys.seal("hello", "acme:e:1");
    expect(sealed).not.toContain("hello");
    expect(await keys.open(sealed, "acme:e:1")).toBe("hello");
    await expect(keys.open(sealed, "acme:e:2")).rejects.toThrow();
  });

  it("give each tenant its own hashes, domain-separated", async () => {
    const m = await MasterKeyring.fromSecrets(secret());
    const a = await tenantKeys(m, "a", await m.newWrappedDataKey("a"));
    const b = await tenantKeys(m, "b", await m.newWrappedDataKey("b"));
    expect(await a.hash("prompt", "x")).not.toBe(await b.hash("prompt", "x"));
    expect(await a.hash("prompt", "x")).not.toBe(await a.hash("scope", "x"));
  });

  it("derive one key per user salt: another salt or the tenant key does not open a user's entry", async () => {
    const m = await MasterKeyring.fromSecrets(secret());
    const keys = await tenantKeys(m, "acme", await m.newWrappedDataKey("acme"));
    const salt = crypto.getRandomValues(new Uint8Array(32));
    const user = await keys.userSealer(salt);
    const sealed = await user.seal("alice's answer", "acme:e:9");
    expect(await (await keys.userSealer(salt)).open(sealed, "acme:e:9")).toBe("alice's answer");
    await expect(
      (await keys.userSealer(crypto.getRandomValues(new Uint8Array(32)))).open(sealed, "acme:e:9"),
    ).rejects.toThrow();
    await expect(keys.open(sealed, "acme:e:9")).rejects.toThrow();
    expect(fromBase64Url(await keys.sealSecret("sk-x", "acme:vk:1")).length).toBeGreaterThan(12);
  });
});

describe("platform keys", () => {
  it("hash API keys deterministically under one platform key and differently under another", async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => PlatformKeyring.fromRaw(crypto.getRandomValues(new Uint8Array(32)))),
    );
    const key = generateApiKey("test");
    expect(await a!.hashApiKey(key)).toBe(await a!.hashApiKey(key));
    expect(await a!.hashApiKey(key)).not.toBe(await b!.hashApiKey(key));
    expect(await a!.hashApiKey(key)).not.toContain(key);
  });
});
