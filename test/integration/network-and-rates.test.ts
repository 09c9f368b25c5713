// IP allowlists (tenant and key, IPv4 and IPv6 CIDR, IPv4-mapped IPv6) and rate limits (tenant and key, the
// stricter applies), through the Worker. The client address is CF-Connecting-IP, which the edge sets and the
// test configuration trusts as production does; every header a client could set to claim another address is
// tried and must never widen access. Rate-limit clocks are frozen with a fake Date, so counts are exact.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  accessTokenFor,
  type CallInit,
  call,
  createTenant,
  expectError,
  expectOAuthError,
  hostOf,
  keyViewOf,
  newKey,
  requestToken,
  setPolicy,
  tenantObjectOf,
  uniqueTenant,
} from "../helpers";

async function tenant(policy: Record<string, unknown> = {}) {
  const id = uniqueTenant("nr");
  await createTenant(id);
  if (Object.keys(policy).length > 0) await setPolicy(id, policy);
  return id;
}

/** An admin key (its requests need no provider: GET /v1/admin/policy). */
const adminKey = (t: string, body: Record<string, unknown> = {}) =>
  newKey(t, { name: "admin", role: "admin", ...body });

const get = (t: string, token: string, init: CallInit = {}) => call(hostOf(t), "/v1/admin/policy", { token, ...init });

async function statusFrom(t: string, token: string, ip: string | undefined, headers: Record<string, string> = {}) {
  const res = await get(t, token, { ...(ip === undefined ? {} : { ip }), headers });
  await res.text();
  return res.status;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("IP allowlists", () => {
  it("the tenant's IPv4 allowlist admits its CIDR blocks and refuses every other address", async () => {
    const t = await tenant({ ip_allowlist: ["198.51.100.0/24"] });
    const k = await adminKey(t);
    expect(await statusFrom(t, k.key, "198.51.100.0")).toBe(200);
    expect(await statusFrom(t, k.key, "198.51.100.255")).toBe(200);
    for (const ip of ["198.51.101.0", "198.51.99.255", "203.0.113.1", "10.0.0.1", "2001:db8::1"]) {
      await expectError(await get(t, k.key, { ip }), 403, "ip_not_allowed", "permission_error");
    }
  });

  it("a key's own allowlist restricts that key only", async () => {
    const t = await tenant();
    const pinned = await adminKey(t, { ip_allowlist: ["203.0.113.0/28"] });
    const free = await adminKey(t);
    expect(await statusFrom(t, pinned.key, "203.0.113.15")).toBe(200);
    await expectError(await get(t, pinned.key, { ip: "203.0.113.16" }), 403, "ip_not_allowed", "permission_error");
    await expectError(await get(t, pinned.key), 403, "ip_not_allowed", "permission_error");
    expect(await statusFrom(t, free.key, "203.0.113.16")).toBe(200);
    expect(await statusFrom(t, free.key, undefined)).toBe(200);
  });

  it("with both a tenant and a key allowlist, the address must be in both", async () => {
    const t = await tenant({ ip_allowlist: ["10.0.0.0/8"] });
    const k = await adminKey(t, { ip_allowlist: ["10.1.0.0/16", "192.0.2.0/24"] });
    expect(await statusFrom(t, k.key, "10.1.2.3")).toBe(200);
    await expectError(await get(t, k.key, { ip: "10.2.0.1" }), 403, "ip_not_allowed", "permission_error");
    await expectError(await get(t, k.key, { ip: "192.0.2.1" }), 403, "ip_not_allowed", "permission_error");
  });

  it("IPv6 blocks match IPv6 clients in any notation, and never an IPv4 client", async () => {
    const t = await tenant({ ip_allowlist: ["2001:db8:abcd::/48"] });
    const k = await adminKey(t);
    for (const ip of ["2001:db8:abcd:12::1", "2001:DB8:ABCD:0:0:0:0:7", "2001:0db8:abcd:ffff:ffff:ffff:ffff:ffff"]) {
      expect(await statusFrom(t, k.key, ip), ip).toBe(200);
    }
    for (const ip of ["2001:db8:abce::1", "2001:db8::1", "198.51.100.7", "::1"]) {
      await expectError(await get(t, k.key, { ip }), 403, "ip_not_allowed", "permission_error");
    }

    const anyV6 = await tenant({ ip_allowlist: ["::/0"] });
    const k6 = await adminKey(anyV6);
    expect(await statusFrom(anyV6, k6.key, "2606:4700::1111")).toBe(200);
    await expectError(await get(anyV6, k6.key, { ip: "1.1.1.1" }), 403, "ip_not_allowed", "permission_error");
  });

  it("an IPv4-mapped IPv6 address is its IPv4 address, on either side", async () => {
    const t = await tenant();
    const k = await adminKey(t, { ip_allowlist: ["::ffff:198.51.100.0/120"] });
    expect((await keyViewOf(t, k.id)).ip_allowlist).toEqual(["198.51.100.0/24"]);
    expect(await statusFrom(t, k.key, "198.51.100.9")).toBe(200);
    expect(await statusFrom(t, k.key, "::ffff:198.51.100.9")).toBe(200);
    expect(await statusFrom(t, k.key, "::ffff:c633:6409")).toBe(200); // 198.51.100.9 in hex
    await expectError(await get(t, k.key, { ip: "::ffff:198.51.101.9" }), 403, "ip_not_allowed", "permission_error");
    // The IPv6 address whose low bits look alike is another address.
    await expectError(await get(t, k.key, { ip: "::c633:6409" }), 403, "ip_not_allowed", "permission_error");
  });

  const SPOOFS: Record<string, string>[] = [
    { "x-forwarded-for": "198.51.100.1" },
    { "x-forwarded-for": "198.51.100.1, 198.51.100.2" },
    { "x-real-ip": "198.51.100.1" },
    { forwarded: "for=198.51.100.1;proto=https" },
    { forwarded: 'for="[2001:db8::1]"' },
    { "true-client-ip": "198.51.100.1" },
    { "x-client-ip": "198.51.100.1" },
    { "x-cluster-client-ip": "198.51.100.1" },
    { "x-original-forwarded-for": "198.51.100.1" },
    {
      "x-forwarded-for": "198.51.100.1",
      "x-real-ip": "198.51.100.1",
      forwarded: "for=198.51.100.1",
      "true-client-ip": "198.51.100.1",
      "x-client-ip": "198.51.100.1",
    },
  ];

  it.each(SPOOFS)("client-set address headers never widen access: %j", async (spoof) => {
    const t = await tenant({ ip_allowlist: ["198.51.100.0/24"] });
    const pinned = await adminKey(t, { ip_allowlist: ["198.51.100.0/24"] });
    for (const ip of ["203.0.113.9", undefined]) {
      const res = await get(t, pinned.key, { ...(ip === undefined ? {} : { ip }), headers: spoof });
      await expectError(res, 403, "ip_not_allowed", "permission_error");
    }
    // …nor narrow it: the real address still decides.
    expect(await statusFrom(t, pinned.key, "198.51.100.50", { "x-forwarded-for": "203.0.113.9" })).toBe(200);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["a list of two addresses", "198.51.100.1, 203.0.113.9"],
    ["an address with a port", "198.51.100.1:443"],
    ["a bracketed IPv6 address", "[2001:db8::1]"],
    ["an octal-looking IPv4 address", "198.051.100.1"],
    ["not an address", "localhost"],
  ])("an unusable CF-Connecting-IP (%s) is refused wherever an allowlist is set", async (_name, ip) => {
    const t = await tenant({ ip_allowlist: ["198.51.100.0/24"] });
    const k = await adminKey(t);
    await expectError(await get(t, k.key, ip === undefined ? {} : { ip }), 403, "ip_not_allowed", "permission_error");
  });

  it("access tokens carry their key's allowlist: minted and used only from inside it", async () => {
    const t = await tenant();
    const k = await adminKey(t, { ip_allowlist: ["198.51.100.0/24"] });
    await expectOAuthError(await requestToken(hostOf(t), k.id, k.key, { ip: "203.0.113.9" }), 403, "ip_not_allowed");
    const token = await accessTokenFor(hostOf(t), k.id, k.key, { ip: "198.51.100.7" });
    expect(await statusFrom(t, token, "198.51.100.8")).toBe(200);
    await expectError(await get(t, token, { ip: "203.0.113.9" }), 403, "ip_not_allowed", "permission_error");
    await expectError(
      await get(t, token, { ip: "203.0.113.9", headers: { "x-forwarded-for": "198.51.100.7" } }),
      403,
      "ip_not_allowed",
      "permission_error",
    );
  });
});

/** Freezes the clock (Date only) so that bucket arithmetic is exact. */
function freeze(at = Date.now()): number {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
  return at;
}

/** The rate buckets the tenant's object holds (the count lives there, not in an isolate). */
const bucketNames = (t: string) =>
  runInDurableObject(tenantObjectOf(t), (_o, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM rate_buckets ORDER BY name")
      .toArray()
      .map((r) => r.name),
  );

function rateHeaders(res: Response) {
  return {
    limit: res.headers.get("x-ratelimit-limit-requests"),
    remaining: res.headers.get("x-ratelimit-remaining-requests"),
    reset: res.headers.get("x-ratelimit-reset-requests"),
  };
}

async function send(t: string, token: string) {
  const res = await get(t, token);
  const body = await res.text();
  return { res, status: res.status, body, rate: rateHeaders(res) };
}

describe("rate limits", () => {
  it("a key's limit: x-ratelimit-* on every allowed response, then 429 rate_limit_error with Retry-After", async () => {
    const t = await tenant();
    const k = await adminKey(t, { rate_limit: { requests: 3, window_seconds: 60 } });
    const t0 = freeze();
    const seen = [await send(t, k.key), await send(t, k.key), await send(t, k.key)];
    expect(seen.map((s) => [s.status, s.rate])).toEqual([
      [200, { limit: "3", remaining: "2", reset: "20s" }],
      [200, { limit: "3", remaining: "1", reset: "40s" }],
      [200, { limit: "3", remaining: "0", reset: "1m0s" }],
    ]);
    const refused = await get(t, k.key);
    expect(rateHeaders(refused)).toEqual({ limit: "3", remaining: "0", reset: "1m0s" });
    expect(refused.headers.get("retry-after")).toBe("20");
    await expectError(refused, 429, "rate_limited", "rate_limit_error");

    // One request's worth refills after the emission interval (60 s / 3), not before.
    freeze(t0 + 19_999);
    expect((await send(t, k.key)).status).toBe(429);
    freeze(t0 + 20_000);
    expect((await send(t, k.key)).status).toBe(200);
    expect((await send(t, k.key)).status).toBe(429);
  });

  it("the tenant's limit is one bucket in the tenant's object, shared by all its keys", async () => {
    const t = await tenant({ rate_limit: { requests: 3, window_seconds: 60 } });
    const [a, b] = [await adminKey(t), await adminKey(t)];
    freeze();
    expect((await send(t, a.key)).status).toBe(200);
    expect((await send(t, b.key)).status).toBe(200);
    expect((await send(t, a.key)).rate).toEqual({ limit: "3", remaining: "0", reset: "1m0s" });
    const refused = await send(t, b.key);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error.code).toBe("rate_limited");

    // Where the count lives: the tenant object's rate_buckets table, not the isolate.
    expect(await bucketNames(t)).toEqual(["tenant"]);
  });

  it("a request counted by another isolate (straight at the tenant object) uses up the same bucket", async () => {
    const t = await tenant({ rate_limit: { requests: 2, window_seconds: 60 } });
    const k = await adminKey(t);
    const now = freeze();
    const elsewhere = await tenantObjectOf(t).admit(
      [{ name: "tenant", limit: { requests: 2, windowSeconds: 60 } }],
      now,
      null,
    );
    expect(elsewhere).toMatchObject({ allowed: true, remaining: 1 });
    expect((await send(t, k.key)).rate.remaining).toBe("0");
    expect((await send(t, k.key)).status).toBe(429);
  });

  it("the stricter of the key's and the tenant's limits applies, and a refused request consumes neither", async () => {
    const t = await tenant({ rate_limit: { requests: 3, window_seconds: 60 } });
    const slow = await adminKey(t, { rate_limit: { requests: 1, window_seconds: 60 } });
    const other = await adminKey(t);
    freeze();
    expect((await send(t, slow.key)).rate).toEqual({ limit: "1", remaining: "0", reset: "1m0s" });
    const byKey = await send(t, slow.key);
    expect(byKey.status).toBe(429);
    expect(byKey.rate.limit).toBe("1");
    expect((await send(t, slow.key)).status).toBe(429);
    // The two refusals above took nothing from the tenant: two requests of the other key still pass.
    expect((await send(t, other.key)).status).toBe(200);
    expect((await send(t, other.key)).status).toBe(200);
    const byTenant = await send(t, other.key);
    expect(byTenant.status).toBe(429);
    expect(byTenant.rate.limit).toBe("3");

    expect(await bucketNames(t)).toEqual([`key:${slow.id}`, "tenant"]);
  });

  // Regression: the headers described the bucket with the lowest rate, not the one that refused: a tenant bucket
  // of 3 a minute refusing a key of 100 an hour answered "100 requests per 3600 s".
  it("a refusal names the bucket that refused, even when another has the lower rate", async () => {
    const t = await tenant({ rate_limit: { requests: 3, window_seconds: 60 } });
    const k = await adminKey(t, { rate_limit: { requests: 100, window_seconds: 3600 } });
    freeze();
    for (let i = 0; i < 3; i++) expect((await send(t, k.key)).status).toBe(200);
    const refused = await send(t, k.key);
    expect(refused.status).toBe(429);
    expect(refused.rate.limit).toBe("3");
    expect(JSON.parse(refused.body).error.message).toContain("3 requests per 60 s");
  });

  // Regression: x-ratelimit-reset-requests was the latest reset of all buckets: a key of 3 a minute under a tenant
  // of 1000 a day answered "limit 3, remaining 2, reset 1m26.4s" (the tenant's), where its own bucket refills in 20 s.
  it("the x-ratelimit-* headers describe one bucket: the reset is that of the limit they name", async () => {
    const t = await tenant({ rate_limit: { requests: 1000, window_seconds: 86_400 } });
    const k = await adminKey(t, { rate_limit: { requests: 3, window_seconds: 60 } });
    freeze();
    const seen = [await send(t, k.key), await send(t, k.key), await send(t, k.key)];
    expect(seen.map((s) => s.rate)).toEqual([
      { limit: "3", remaining: "2", reset: "20s" },
      { limit: "3", remaining: "1", reset: "40s" },
      { limit: "3", remaining: "0", reset: "1m0s" },
    ]);
    const refused = await get(t, k.key);
    expect(rateHeaders(refused)).toEqual({ limit: "3", remaining: "0", reset: "1m0s" });
    expect(refused.headers.get("retry-after")).toBe("20");
    await expectError(refused, 429, "rate_limited", "rate_limit_error");
  });

  // Regression: a bucket left more than the new window ahead (by a longer window before a policy change, or a
  // clock that ran ahead) was clamped in each answer but never stored: the caller, told to retry in 1 s, stayed
  // refused for the old window's whole day.
  it("after a policy change to a shorter window, a caller waits no longer than the retry-after it is told", async () => {
    const t = await tenant({ rate_limit: { requests: 1, window_seconds: 86_400 } });
    const k = await adminKey(t);
    const t0 = freeze();
    expect((await send(t, k.key)).rate).toEqual({ limit: "1", remaining: "0", reset: "24h0m0s" });
    await setPolicy(t, { rate_limit: { requests: 100, window_seconds: 60 } });
    const refused = await get(t, k.key);
    expect(refused.headers.get("retry-after")).toBe("1");
    await expectError(refused, 429, "rate_limited", "rate_limit_error");
    freeze(t0 + 1_000);
    expect((await send(t, k.key)).status).toBe(200);
  });

  it("a state left a day ahead by a skewed clock blocks the tenant for one window at most", async () => {
    const limit = { requests: 10, windowSeconds: 1 };
    const t = await tenant({ rate_limit: { requests: 10, window_seconds: 1 } });
    const k = await adminKey(t);
    const t0 = freeze();
    await tenantObjectOf(t).admit([{ name: "tenant", limit }], t0 + 86_400_000, null);
    expect((await send(t, k.key)).status).toBe(429);
    freeze(t0 + 1_000);
    expect((await send(t, k.key)).status).toBe(200);
  });

  // Regression: minting counted against the key's bucket, but the token response carried no x-ratelimit-* header.
  it("the token endpoint's answer carries the x-ratelimit-* headers of the mint it counted", async () => {
    const t = await tenant();
    const k = await adminKey(t, { rate_limit: { requests: 3, window_seconds: 60 } });
    freeze();
    const res = await requestToken(hostOf(t), k.id, k.key);
    expect(res.status).toBe(200);
    expect(rateHeaders(res)).toEqual({ limit: "3", remaining: "2", reset: "20s" });
  });

  it("a key and its access tokens share one bucket, and minting a token counts", async () => {
    const t = await tenant();
    const k = await adminKey(t, { rate_limit: { requests: 3, window_seconds: 60 } });
    freeze();
    const token = await accessTokenFor(hostOf(t), k.id, k.key);
    expect((await send(t, token)).rate.remaining).toBe("1");
    expect((await send(t, k.key)).rate.remaining).toBe("0");
    const refused = await get(t, token);
    await expectError(refused, 429, "rate_limited", "rate_limit_error");
    await expectOAuthError(await requestToken(hostOf(t), k.id, k.key), 429, "rate_limited");
  });
});
