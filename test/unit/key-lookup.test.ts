// The caches behind the README's revocation bound ("Revocation: how fast a key stops working"): a revoked key's
// record is trusted in an isolate for at most KEY_CACHE_TTL_MS (10 s) after it was read, and read through KV's
// edge cache for at most KV_CACHE_TTL_SECONDS (30 s). The worst case the documentation states is these two plus
// KV's propagation; a change to either constant must change the documentation with it.
import { describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS, KeyLookup } from "../../src/gateway/storage/key-lookup";
import type { KeyAuthRecord } from "../../src/gateway/storage/records";
import { KV_CACHE_TTL_SECONDS, TenantDirectory } from "../../src/gateway/storage/tenant-directory";

const record: KeyAuthRecord = {
  v: 2,
  id: "key_0123456789abcdef",
  tenant: "acme",
  tenant_generation: "g1",
  role: "developer",
  scopes: ["completions"],
  env: "test",
  cache_scope: "tenant",
  ip_allowlist: [],
  rate_limit: null,
  created_at: 0,
  expires_at: null,
  secret_expires_at: null,
};

/** A KV namespace holding one key record, counting reads and keeping the options each read asked for. */
function fakeKv() {
  const values = new Map<string, string>([["_key:h1", JSON.stringify(record)]]);
  const reads: { key: string; options: unknown }[] = [];
  const kv = {
    async get(key: string, options?: { type?: string }) {
      reads.push({ key, options });
      const v = values.get(key);
      return v === undefined ? null : options?.type === "json" ? JSON.parse(v) : v;
    },
  } as unknown as KVNamespace;
  return { kv, values, reads };
}

describe("the revocation bound's caches", () => {
  it("states 10 s in the isolate and 30 s at KV's edge, as the README does", () => {
    expect(KEY_CACHE_TTL_MS).toBe(10_000);
    expect(KV_CACHE_TTL_SECONDS).toBe(30);
  });

  it("reads a key record through KV's edge cache for at most 30 s", async () => {
    const { kv, reads } = fakeKv();
    expect(await new TenantDirectory(kv).keyByHash("h1")).toEqual(record);
    expect(reads).toEqual([{ key: "_key:h1", options: { type: "json", cacheTtl: KV_CACHE_TTL_SECONDS } }]);
  });

  it("trusts a record read in this isolate for less than 10 s, then reads KV again and sees the revocation", async () => {
    const { kv, values, reads } = fakeKv();
    const lookup = new KeyLookup(new TenantDirectory(kv));
    const t0 = 1_000_000;
    expect(await lookup.lookup("h1", t0)).toEqual(record);
    values.delete("_key:h1"); // revoked: the tenant's object deleted the record
    expect(await lookup.lookup("h1", t0 + KEY_CACHE_TTL_MS - 1)).toEqual(record);
    expect(reads).toHaveLength(1);
    expect(await lookup.lookup("h1", t0 + KEY_CACHE_TTL_MS)).toBeNull();
    expect(reads).toHaveLength(2);
    // A clock that went back is no reason to keep trusting the copy.
    values.set("_key:h1", JSON.stringify(record));
    expect(await lookup.lookup("h1", t0 + 2 * KEY_CACHE_TTL_MS)).toEqual(record);
    values.delete("_key:h1");
    expect(await lookup.lookup("h1", t0)).toBeNull();
  });

  it("forgets a record at once in the isolate that revoked it", async () => {
    const { kv, values } = fakeKv();
    const lookup = new KeyLookup(new TenantDirectory(kv));
    expect(await lookup.lookup("h1", 0)).toEqual(record);
    values.delete("_key:h1");
    lookup.evict(["h1"]);
    expect(await lookup.lookup("h1", 1)).toBeNull();
  });
});
