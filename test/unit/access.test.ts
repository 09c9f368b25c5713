// Authorization decisions (policy/access.ts) as pure functions: route access, the cache rule, user binding and
// key minting, each over every kind of principal.
import { describe, expect, it } from "vitest";
import {
  authorizeRoute,
  cacheAccess,
  decideCacheScope,
  decideKeyGrant,
  decideKeyRotation,
  decideOwnerFieldsChange,
  type KeyGrant,
  MAX_KEY_LIFETIME_MS,
  OWNER_POLICY_FIELDS,
  ownerFieldsChanged,
} from "../../src/gateway/policy/access";
import type { Principal } from "../../src/gateway/policy/principal";
import { ROLE_SCOPES, type Role, type Scope } from "../../src/gateway/policy/scopes";
import { DEFAULT_POLICY } from "../../src/gateway/policy/tenant-policy";

const NOW = 1_800_000_000_000;
const key = (scopes: readonly Scope[], extra: Partial<Extract<Principal, { kind: "api_key" }>> = {}): Principal => ({
  kind: "api_key",
  keyId: "key_x",
  generation: "g1",
  tenant: "acme",
  role: "admin",
  scopes: new Set(scopes),
  cacheScope: "tenant",
  expiresAt: null,
  ipAllowlist: [],
  rateLimit: null,
  secretIssuedAt: NOW - 86_400_000,
  secretHash: null,
  ...extra,
});
const operator: Principal = { kind: "operator" };

describe("authorizeRoute", () => {
  it.each([
    ["public", { access: "public" } as const, key([]), true],
    ["operator route, operator", { access: "operator" } as const, operator, true],
    ["operator route, key", { access: "operator" } as const, key(ROLE_SCOPES.owner), false],
    ["tenant route, scope held", { access: "tenant", scope: "completions" } as const, key(["completions"]), true],
    ["tenant route, scope missing", { access: "tenant", scope: "completions" } as const, key(["cache:read"]), false],
    ["tenant route, operator not allowed", { access: "tenant", scope: "completions" } as const, operator, false],
    [
      "tenant route, operator allowed",
      { access: "tenant", scope: "keys:manage", operator: true } as const,
      operator,
      true,
    ],
  ])("%s", (_, route, principal, allowed) => {
    expect(authorizeRoute(route, principal).allow).toBe(allowed);
  });

  it("names the missing scope in the reason", () => {
    expect(authorizeRoute({ access: "tenant", scope: "audit:read" }, key([]))).toMatchObject({
      allow: false,
      code: "insufficient_scope",
      reason: "scope_missing:audit:read",
    });
  });
});

describe("cacheAccess: one rule for every route", () => {
  it.each(Object.keys(ROLE_SCOPES) as Role[])("role %s", (role) => {
    const s = ROLE_SCOPES[role];
    expect(cacheAccess(key(s))).toEqual({
      read: s.includes("cache:read"),
      write: s.includes("cache:write"),
      callProvider: s.includes("completions"),
    });
  });
  it("the operator never touches the cache", () => {
    expect(cacheAccess(operator)).toEqual({ read: false, write: false, callProvider: false });
  });
});

describe("decideCacheScope", () => {
  it("a request may narrow to a user, never widen a user-bound key or tenant", () => {
    expect(decideCacheScope("tenant", key([]), null)).toEqual({ ok: true, scope: "tenant", user: null });
    expect(decideCacheScope("tenant", key([]), "u1")).toEqual({ ok: true, scope: "user:u1", user: "u1" });
    expect(decideCacheScope("user", key([]), null)).toMatchObject({ ok: false });
    expect(decideCacheScope("tenant", key([], { cacheScope: "user" }), null)).toMatchObject({
      ok: false,
      decision: { code: "cache_user_required" },
    });
    expect(decideCacheScope("tenant", key([], { cacheScope: "user" }), "u2")).toMatchObject({
      ok: true,
      scope: "user:u2",
    });
  });
});

describe("decideKeyGrant", () => {
  const admin = key(ROLE_SCOPES.admin);
  it("the operator may grant any role's scopes within the maximum life", () => {
    expect(decideKeyGrant(operator, { role: "owner" }, NOW)).toMatchObject({ ok: true, grant: { expiresAt: null } });
    expect(decideKeyGrant(operator, { role: "viewer", expiresAt: NOW + MAX_KEY_LIFETIME_MS + 1 }, NOW)).toMatchObject({
      ok: false,
      decision: { code: "invalid_expiry" },
    });
    expect(decideKeyGrant(operator, { role: "viewer", expiresAt: NOW }, NOW)).toMatchObject({ ok: false });
  });
  it("scopes outside the role are invalid; scopes the minter lacks are escalation", () => {
    expect(decideKeyGrant(admin, { role: "viewer", scopes: ["completions"] }, NOW)).toMatchObject({
      ok: false,
      decision: { code: "invalid_scopes" },
    });
    expect(decideKeyGrant(key(["keys:manage"]), { role: "developer" }, NOW)).toMatchObject({
      ok: false,
      decision: { code: "scope_escalation", reason: "escalation:scopes" },
    });
  });
  it("only an owner's key grants the owner role (an owner can lock the tenant down; no scope grants that)", () => {
    expect(decideKeyGrant(admin, { role: "owner" }, NOW)).toMatchObject({
      ok: false,
      decision: { code: "scope_escalation", reason: "escalation:role" },
    });
    expect(decideKeyGrant(key(ROLE_SCOPES.owner, { role: "owner" }), { role: "owner" }, NOW)).toMatchObject({
      ok: true,
      grant: { role: "owner" },
    });
    // An owner key's access token holds its scopes but no role.
    const token: Principal = {
      kind: "access_token",
      keyId: "key_x",
      jti: "j",
      tenant: "acme",
      scopes: new Set(ROLE_SCOPES.owner),
      cacheScope: "tenant",
      expiresAt: NOW + 900_000,
      ipAllowlist: [],
      rateLimit: null,
    };
    expect(decideKeyGrant(token, { role: "owner" }, NOW)).toMatchObject({
      ok: false,
      decision: { reason: "escalation:role" },
    });
    expect(decideKeyGrant(admin, { role: "admin" }, NOW)).toMatchObject({ ok: true });
  });
  it("a user-bound minter makes user-bound keys only", () => {
    const minter = key(ROLE_SCOPES.admin, { cacheScope: "user" });
    expect(decideKeyGrant(minter, { role: "developer", cacheScope: "tenant" }, NOW)).toMatchObject({
      ok: false,
      decision: { reason: "escalation:cache_scope" },
    });
    expect(decideKeyGrant(minter, { role: "developer" }, NOW)).toMatchObject({
      ok: true,
      grant: { cacheScope: "user" },
    });
  });
  it("a minted key never outlives its minter", () => {
    const minter = key(ROLE_SCOPES.admin, { expiresAt: NOW + 1000 });
    expect(decideKeyGrant(minter, { role: "developer", expiresAt: NOW + 2000 }, NOW)).toMatchObject({
      ok: false,
      decision: { reason: "escalation:lifetime" },
    });
    expect(decideKeyGrant(minter, { role: "developer" }, NOW)).toMatchObject({
      ok: true,
      grant: { expiresAt: NOW + 1000 },
    });
    expect(decideKeyGrant(minter, { role: "developer", expiresAt: NOW + 500 }, NOW)).toMatchObject({
      ok: true,
      grant: { expiresAt: NOW + 500 },
    });
  });
});

describe("keys made by a person signed in with single sign-on", () => {
  const sso = (role: Role, expiresAt: number): Principal => ({
    kind: "sso",
    subject: "pseudonym",
    issuedAt: NOW,
    grant: { issuer: "https://idp.example", audience: "cordon", roleClaim: "groups", claimValues: [role] },
    tenant: "acme",
    role,
    scopes: new Set(ROLE_SCOPES[role]),
    cacheScope: "tenant",
    ipAllowlist: [],
    rateLimit: null,
    expiresAt,
  });

  it("outlive the sign-in's ID token: a service key made from the dashboard is not an hour's key", () => {
    const admin = sso("admin", NOW + 3_600_000);
    expect(decideKeyGrant(admin, { role: "service" }, NOW)).toMatchObject({ ok: true, grant: { expiresAt: null } });
    const later = NOW + 90 * 86_400_000;
    expect(decideKeyGrant(admin, { role: "developer", expiresAt: later }, NOW)).toMatchObject({
      ok: true,
      grant: { expiresAt: later },
    });
    const standing = { role: "developer" as const, scopes: [...ROLE_SCOPES.developer], cacheScope: "tenant" as const };
    expect(decideKeyRotation(admin, { ...standing, expiresAt: null, ipAllowlist: [], rateLimit: null })).toEqual({
      allow: true,
    });
  });

  it("are still held to the person's role", () => {
    expect(decideKeyGrant(sso("admin", NOW + 3_600_000), { role: "owner" }, NOW)).toMatchObject({
      ok: false,
      decision: { reason: "escalation:role" },
    });
    expect(decideKeyGrant(sso("developer", NOW + 3_600_000), { role: "admin" }, NOW)).toMatchObject({
      ok: false,
      decision: { reason: "escalation:scopes" },
    });
  });
});

describe("decideKeyRotation", () => {
  const grant = (over: Partial<KeyGrant> = {}): KeyGrant => ({
    role: "admin",
    scopes: [...ROLE_SCOPES.admin],
    cacheScope: "tenant",
    expiresAt: null,
    ipAllowlist: [],
    rateLimit: null,
    ...over,
  });
  const restricted = key(["keys:manage", "completions"], {
    expiresAt: NOW + 86_400_000,
    ipAllowlist: ["10.0.0.0/8"],
    rateLimit: { requests: 10, window_seconds: 60 },
  });

  it("lets the operator rotate any key, and a key rotate itself", () => {
    expect(decideKeyRotation(operator, grant({ role: "owner" }))).toEqual({ allow: true });
    const self = grant({
      role: "admin",
      scopes: ["completions", "keys:manage"],
      expiresAt: NOW + 86_400_000,
      ipAllowlist: ["10.0.0.0/8"],
      rateLimit: { requests: 10, window_seconds: 60 },
    });
    expect(decideKeyRotation(restricted, self)).toEqual({ allow: true });
  });

  it.each([
    ["more scopes", grant(), "escalation:scopes"],
    ["the owner role", grant({ role: "owner", scopes: ["completions"] }), "escalation:role"],
    ["no expiry", grant({ scopes: ["completions"], ipAllowlist: ["10.0.0.0/8"] }), "escalation:lifetime"],
    [
      "a wider allowlist",
      grant({ scopes: ["completions"], expiresAt: NOW + 1000, ipAllowlist: [] }),
      "escalation:ip_allowlist",
    ],
    [
      "no rate limit",
      grant({ scopes: ["completions"], expiresAt: NOW + 1000, ipAllowlist: ["10.1.0.0/16"] }),
      "escalation:rate_limit",
    ],
  ])("refuses to rotate a key with %s (rotating would hand over its secret)", (_what, target, reason) => {
    expect(decideKeyRotation(restricted, target)).toMatchObject({ allow: false, code: "scope_escalation", reason });
  });
});

describe("decideOwnerFieldsChange", () => {
  it("lets only an owner or the operator change the fields that decide who reaches the tenant", () => {
    const owner = key(ROLE_SCOPES.owner, { role: "owner" });
    const admin = key(ROLE_SCOPES.admin, { role: "admin" });
    for (const field of OWNER_POLICY_FIELDS) {
      expect(decideOwnerFieldsChange(operator, [field])).toEqual({ allow: true });
      expect(decideOwnerFieldsChange(owner, [field])).toEqual({ allow: true });
      expect(decideOwnerFieldsChange(admin, [field])).toMatchObject({ allow: false, code: "owner_only" });
    }
    expect(decideOwnerFieldsChange(admin, ["oidc"])).toMatchObject({ reason: "sso_change_requires_owner" });
    expect(decideOwnerFieldsChange(admin, ["rate_limit"])).toMatchObject({
      reason: "policy_change_requires_owner:rate_limit",
    });
    // Anyone with policy:manage may send them back as they are.
    expect(decideOwnerFieldsChange(admin, [])).toEqual({ allow: true });
  });

  it("finds the owner's fields two policies differ in, allowlists as stored", () => {
    const base = { ...DEFAULT_POLICY, ip_allowlist: ["10.0.0.0/8"] };
    expect(ownerFieldsChanged({ ...base, ttl_seconds: 60, pii_mode: "block" }, base)).toEqual([]);
    expect(ownerFieldsChanged({ ...base, ip_allowlist: [] }, base)).toEqual(["ip_allowlist"]);
    expect(
      ownerFieldsChanged({ ...base, rate_limit: { requests: 1, window_seconds: 60 }, enforce_max_key_age: true }, base),
    ).toEqual(["rate_limit", "enforce_max_key_age"]);
  });
});
