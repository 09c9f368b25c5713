// The cache read's order of I/O (cache/lookup.ts): for a user's entries the key that opens them comes from the
// tenant's Durable Object, the exact tier's value from KV. Neither depends on the other, so both are asked at once —
// a user's lookup waits for the slower of two round trips, not for both in turn — and a user without a salt still
// finds nothing, whatever KV holds.
import { describe, expect, it, vi } from "vitest";
import type { CacheAddress } from "../../src/gateway/cache/address";
import { lookup } from "../../src/gateway/cache/lookup";
import type { Runtime } from "../../src/gateway/runtime";
import { cacheKv } from "../../src/gateway/storage/kv-keys";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A runtime holding only what a lookup reads: KV's CACHE and the tenant object's user state (salt, erasures). */
function fakeRuntime(kvValue: string | null) {
  const salt = deferred<{ salt: string | null; erasures: number }>();
  const order: string[] = [];
  const get = vi.fn(async (key: string) => {
    order.push(`kv:${key}`);
    return kvValue;
  });
  const userState = vi.fn((userHash: string) => {
    order.push(`salt:${userHash}`);
    return salt.promise;
  });
  const embed = vi.fn(async () => [[1]]);
  const rt = {
    env: { CACHE: { get } },
    tenantObject: () => ({ userState }),
    embedder: { embed },
  } as unknown as Runtime;
  return { rt, salt, order, get, userState, embed };
}

const address = {
  tenant: "acme",
  userHash: "u1",
  exactHash: "e1",
  semantic: "",
  // Never used to open anything below: there is no value in KV, or no salt to open it with.
  keyring: { userSealer: async () => ({}) },
} as unknown as CacheAddress;

describe("a user's cache lookup", () => {
  it("asks KV for the exact tier's value without waiting for the user's key", async () => {
    const { rt, salt, order } = fakeRuntime(null);
    const result = lookup(rt, address, Date.now());
    // Both requests are out before the Durable Object has answered.
    await Promise.resolve();
    expect(order).toEqual(["salt:u1", `kv:${cacheKv.exact("acme", "e1")}`]);
    salt.resolve({ salt: "c2FsdA", erasures: 2 });
    // Nothing in KV: no hit; the user's erasure count goes on into the request's store ticket.
    expect(await result).toEqual({ hit: null, embedding: null, refused: null, userErasures: 2 });
  });

  it("finds nothing for a user without a salt, even when KV still holds a value under the address", async () => {
    const { rt, salt, get, userState, embed } = fakeRuntime("entry-1.sealed-copy");
    const result = lookup(rt, { ...address, semantic: "capital of france" } as CacheAddress, Date.now());
    salt.resolve({ salt: null, erasures: 1 });
    expect(await result).toEqual({ hit: null, embedding: null, refused: null, userErasures: 1 });
    expect(userState).toHaveBeenCalledWith("u1");
    expect(get).toHaveBeenCalledTimes(1);
    // Nothing is opened and the semantic tier is not asked: there is no key to open what it would find.
    expect(embed).not.toHaveBeenCalled();
  });
});
