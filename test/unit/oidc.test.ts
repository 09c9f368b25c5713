import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type FetchLike,
  JWKS_CACHE_DEFAULTS,
  JwksCache,
  jwksUriProblem,
  mapRoles,
  type OidcConfig,
  type OidcResult,
  parseOidcConfig,
  ROLE_PRIVILEGE_ORDER,
  ssoGrantStands,
  verifyOidcToken,
} from "../../src/gateway/auth/oidc";
import { toBase64Url, utf8 } from "../../src/gateway/crypto/encoding";
import { ROLES } from "../../src/gateway/policy/scopes";

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, ms
const JWKS_URI = "https://idp.example.com/.well-known/jwks.json";
const ISSUER = "https://idp.example.com";
const AUDIENCE = "cordon-acme";

const CONFIG: OidcConfig = {
  issuer: ISSUER,
  audience: AUDIENCE,
  jwks_uri: JWKS_URI,
  role_claim: "groups",
  role_map: { "cordon-owners": "owner", "cordon-admins": "admin", engineers: "developer", auditors: "viewer" },
};

type Alg = "RS256" | "PS256" | "ES256" | "EdDSA";

interface IdpKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function idpKey(alg: Alg, kid: string): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, use: "sig" } };
}

/** A fake OpenID Provider's JWKS endpoint: what it serves, and every request it received. */
class FakeIdp {
  calls: string[] = [];
  respond: () => Response | Promise<Response>;

  constructor(public keys: JWK[]) {
    this.respond = () => Response.json({ keys: this.keys });
  }

  readonly fetch: FetchLike = async (url) => {
    this.calls.push(url);
    return this.respond();
  };
}

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: "user-42",
  iat: T0 / 1000,
  exp: T0 / 1000 + 600,
  groups: ["engineers"],
  ...over,
});

function sign(key: IdpKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

const b64json = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)));

async function hs256(secret: Uint8Array, header: object, payload: object): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const input = `${b64json(header)}.${b64json(payload)}`;
  return `${input}.${toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(input))))}`;
}

const verify = (cache: JwksCache, token: string, now = T0 + 1000, config: OidcConfig = CONFIG, insecure = false) =>
  verifyOidcToken(cache, token, config, { now, allowInsecure: insecure });

let rsa: IdpKey;
let ps: IdpKey;
let ec: IdpKey;
let ed: IdpKey;
let ecNext: IdpKey;
let attacker: IdpKey;

beforeAll(async () => {
  [rsa, ps, ec, ed, ecNext, attacker] = await Promise.all([
    idpKey("RS256", "rsa-1"),
    idpKey("PS256", "ps-1"),
    idpKey("ES256", "ec-1"),
    idpKey("EdDSA", "ed-1"),
    idpKey("ES256", "ec-2"),
    idpKey("ES256", "evil"),
  ]);
});

function setup(keys: JWK[] = [rsa.jwk, ps.jwk, ec.jwk, ed.jwk]) {
  const idp = new FakeIdp(keys);
  return { idp, cache: new JwksCache({ fetch: idp.fetch }) };
}

describe("ssoGrantStands", () => {
  const grant = { issuer: ISSUER, audience: CONFIG.audience, roleClaim: "groups", claimValues: ["engineers", "x"] };
  it("holds while the stored settings map the same claim values to the same role", () => {
    expect(ssoGrantStands(CONFIG, grant, "developer")).toBe(true);
    expect(ssoGrantStands({ ...CONFIG, role_map: { ...CONFIG.role_map, x: "owner" } }, grant, "developer")).toBe(true);
  });
  it.each<[string, OidcConfig | null]>([
    ["single sign-on removed", null],
    ["another provider", { ...CONFIG, issuer: "https://other.example" }],
    ["another audience", { ...CONFIG, audience: "other" }],
    ["another claim", { ...CONFIG, role_claim: "roles" }],
    ["a demotion", { ...CONFIG, role_map: { ...CONFIG.role_map, engineers: "viewer" } }],
    ["a less privileged group added", { ...CONFIG, role_map: { ...CONFIG.role_map, x: "viewer" } }],
    ["the group unmapped", { ...CONFIG, role_map: { auditors: "viewer" } }],
  ])("fails once the settings change it: %s", (_name, config) => {
    expect(ssoGrantStands(config, grant, "developer")).toBe(false);
  });
});

describe("verifyOidcToken: happy path", () => {
  it.each(["RS256", "PS256", "ES256", "EdDSA"] as const)("accepts a %s token and maps its role", async (alg) => {
    const key = { RS256: rsa, PS256: ps, ES256: ec, EdDSA: ed }[alg];
    const { idp, cache } = setup();
    expect(await verify(cache, await sign(key))).toEqual({
      ok: true,
      identity: {
        issuer: ISSUER,
        subject: "user-42",
        role: "developer",
        matchedRoles: ["developer"],
        claimValues: ["engineers"],
        issuedAt: T0 / 1000,
        expiresAt: T0 / 1000 + 600,
      },
    });
    expect(idp.calls).toEqual([JWKS_URI]);
  });

  it("fetches the key set once and reuses it within the TTL", async () => {
    const { idp, cache } = setup();
    for (let i = 0; i < 5; i++) expect((await verify(cache, await sign(ec), T0 + i * 60_000)).ok).toBe(true);
    expect(idp.calls).toHaveLength(1);
  });

  it("accepts a token without kid when one key fits", async () => {
    const { cache } = setup([ec.jwk]);
    expect((await verify(cache, await sign(ec, claims(), { kid: undefined }))).ok).toBe(true);
  });

  it("accepts a token without kid when several keys fit, trying each", async () => {
    const { cache } = setup([ecNext.jwk, ec.jwk]);
    expect((await verify(cache, await sign(ec, claims(), { kid: undefined }))).ok).toBe(true);
    expect(await verify(cache, await sign(attacker, claims(), { kid: undefined }))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("accepts an audience array that contains the configured audience", async () => {
    const { cache } = setup();
    expect((await verify(cache, await sign(ec, claims({ aud: ["other", AUDIENCE] })))).ok).toBe(true);
  });
});

describe("verifyOidcToken: key rotation at the provider", () => {
  it("refetches on an unknown kid and accepts the new key", async () => {
    const { idp, cache } = setup([ec.jwk]);
    expect((await verify(cache, await sign(ec), T0)).ok).toBe(true);
    idp.keys = [ec.jwk, ecNext.jwk];
    expect((await verify(cache, await sign(ecNext), T0 + JWKS_CACHE_DEFAULTS.refreshCooldownMs)).ok).toBe(true);
    expect(idp.calls).toHaveLength(2);
  });

  it("accepts a key rotated in just after the set was fetched (the cooldown starts at an unknown kid's refetch)", async () => {
    const { idp, cache } = setup([ec.jwk]);
    await verify(cache, await sign(ec), T0);
    idp.keys = [ec.jwk, ecNext.jwk];
    expect((await verify(cache, await sign(ecNext), T0 + 1_000)).ok).toBe(true);
    expect(idp.calls).toHaveLength(2);
  });

  it("refuses an unknown kid without fetching within the cooldown of the last refetch, and refetches after it", async () => {
    const { idp, cache } = setup([ec.jwk]);
    await verify(cache, await sign(ec), T0);
    const random = await sign({ ...attacker, kid: "random" });
    expect(await verify(cache, random, T0 + 1_000)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(idp.calls).toHaveLength(2);
    idp.keys = [ec.jwk, ecNext.jwk];
    const rotated = await sign(ecNext);
    expect(await verify(cache, rotated, T0 + 10_000)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(idp.calls).toHaveLength(2);
    expect((await verify(cache, rotated, T0 + 31_000)).ok).toBe(true);
    expect(idp.calls).toHaveLength(3);
  });

  it("does not fetch twice for one token whose kid the set fetched for it lacks", async () => {
    const { idp, cache } = setup([ec.jwk]);
    expect(await verify(cache, await sign(ecNext), T0)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(idp.calls).toHaveLength(1);
  });

  it("does not refetch for an unknown kid during the backoff after a failed fetch", async () => {
    const { idp, cache } = setup([ec.jwk]);
    await verify(cache, await sign(ec), T0);
    idp.respond = () => new Response("down", { status: 503 });
    expect(await verify(cache, await sign(ecNext), T0 + 60_000)).toMatchObject({ reason: "jwks_unavailable" });
    idp.respond = () => Response.json({ keys: [ec.jwk, ecNext.jwk] });
    expect(await verify(cache, await sign(ecNext), T0 + 60_000 + 4_999)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(idp.calls).toHaveLength(2);
  });

  it("costs at most one fetch per cooldown however many random kids an attacker sends", async () => {
    const { idp, cache } = setup([ec.jwk]);
    await verify(cache, await sign(ec), T0);
    const results: OidcResult[] = [];
    for (let i = 0; i < 400; i++) {
      const forged = await sign({ ...attacker, kid: `random-${i}` });
      results.push(await verify(cache, forged, T0 + 1 + i * 100)); // 400 tokens over 40 s
    }
    expect(results.every((r) => !r.ok && r.reason === "unknown_kid")).toBe(true);
    expect(idp.calls).toHaveLength(3); // the first fetch, and one refresh at T0 and one at T0 + 30 s
  });

  it("keeps verifying known kids when a refresh for an unknown kid fails", async () => {
    const { idp, cache } = setup([ec.jwk]);
    await verify(cache, await sign(ec), T0);
    idp.respond = () => new Response("down", { status: 503 });
    expect(await verify(cache, await sign(ecNext), T0 + 60_000)).toEqual({
      ok: false,
      reason: "jwks_unavailable",
      detail: "http_503",
    });
    expect((await verify(cache, await sign(ec), T0 + 61_000)).ok).toBe(true);
  });

  it("refuses a token whose key the provider removed, once the set has been refetched", async () => {
    const { idp, cache } = setup([ec.jwk]);
    const old = await sign(ec);
    await verify(cache, old, T0);
    idp.keys = [ecNext.jwk];
    expect((await verify(cache, old, T0 + JWKS_CACHE_DEFAULTS.ttlMs - 1)).ok).toBe(true);
    expect(await verify(cache, old, T0 + JWKS_CACHE_DEFAULTS.ttlMs)).toEqual({ ok: false, reason: "unknown_kid" });
  });
});

describe("verifyOidcToken: the JWKS fails closed", () => {
  const big = "x".repeat(JWKS_CACHE_DEFAULTS.maxResponseBytes + 1);
  it.each<[string, () => Response | Promise<Response>, string]>([
    ["a network error", () => Promise.reject(new TypeError("fetch failed")), "network_error"],
    ["a timeout", () => Promise.reject(Object.assign(new Error("timed out"), { name: "TimeoutError" })), "timeout"],
    [
      "a body that breaks off",
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(utf8('{"keys":['));
              controller.error(new Error("connection reset"));
            },
          }),
        ),
      "network_error",
    ],
    ["a 500", () => new Response("oops", { status: 500 }), "http_500"],
    ["a 404", () => new Response("", { status: 404 }), "http_404"],
    [
      "a redirect",
      () => new Response(null, { status: 302, headers: { location: "http://idp.example.com/" } }),
      "http_302",
    ],
    ["a 204", () => new Response(null, { status: 204 }), "http_204"],
    ["HTML", () => new Response("<html></html>", { status: 200 }), "not_json"],
    ["JSON that is not a key set", () => Response.json({ issuer: ISSUER }), "not_a_jwks"],
    ["keys that are not objects", () => Response.json({ keys: ["a"] }), "not_a_jwks"],
    ["a JSON null", () => Response.json(null), "not_a_jwks"],
    [
      "a declared oversized body",
      () => new Response("{}", { headers: { "content-length": String(10 ** 7) } }),
      "too_large",
    ],
    ["an oversized streamed body", () => new Response(big), "too_large"],
    [
      "too many keys",
      () => Response.json({ keys: Array.from({ length: 101 }, (_, i) => ({ ...ec.jwk, kid: `k${i}` })) }),
      "too_many_keys",
    ],
    [
      "a published private key",
      () => Response.json({ keys: [ec.jwk, { ...ec.jwk, kid: "leak", d: "AAAA" }] }),
      "private_key_in_jwks",
    ],
    [
      "a published symmetric key",
      () => Response.json({ keys: [ec.jwk, { kty: "oct", k: "c2VjcmV0", kid: "hmac" }] }),
      "private_key_in_jwks",
    ],
  ])("refuses the token after %s", async (_name, respond, detail) => {
    const { idp, cache } = setup();
    idp.respond = respond;
    expect(await verify(cache, await sign(ec))).toEqual({ ok: false, reason: "jwks_unavailable", detail });
  });

  it("never uses a set past its TTL when it cannot be fetched again", async () => {
    const { idp, cache } = setup([ec.jwk]);
    const token = await sign(ec, claims({ exp: T0 / 1000 + 3600 }));
    expect((await verify(cache, token, T0)).ok).toBe(true);
    idp.respond = () => Promise.reject(new TypeError("fetch failed"));
    expect(await verify(cache, token, T0 + JWKS_CACHE_DEFAULTS.ttlMs)).toMatchObject({
      ok: false,
      reason: "jwks_unavailable",
    });
  });

  it("backs off after a failed fetch, then tries again", async () => {
    const { idp, cache } = setup([ec.jwk]);
    idp.respond = () => new Response("", { status: 500 });
    const token = await sign(ec);
    expect(await verify(cache, token, T0)).toMatchObject({ reason: "jwks_unavailable", detail: "http_500" });
    expect(await verify(cache, token, T0 + 4_999)).toMatchObject({
      reason: "jwks_unavailable",
      detail: "backoff after http_500",
    });
    expect(idp.calls).toHaveLength(1);
    idp.respond = () => Response.json({ keys: [ec.jwk] });
    expect((await verify(cache, token, T0 + 5_000)).ok).toBe(true);
    expect(idp.calls).toHaveLength(2);
  });

  it("refuses the token when the injected fetch throws synchronously", async () => {
    const cache = new JwksCache({
      fetch: () => {
        throw new TypeError("bad url");
      },
    });
    expect(await verify(cache, await sign(ec))).toEqual({
      ok: false,
      reason: "jwks_unavailable",
      detail: "network_error",
    });
  });

  it("shares one fetch between concurrent requests", async () => {
    const { idp, cache } = setup([ec.jwk]);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    idp.respond = async () => {
      await gate;
      return Response.json({ keys: [ec.jwk] });
    };
    const token = await sign(ec);
    const pending = Array.from({ length: 10 }, () => verify(cache, token));
    release();
    expect((await Promise.all(pending)).every((r) => r.ok)).toBe(true);
    expect(idp.calls).toHaveLength(1);
  });

  it("keeps at most maxEntries providers, dropping the least recently used", async () => {
    const idp = new FakeIdp([ec.jwk]);
    const cache = new JwksCache({ fetch: idp.fetch, maxEntries: 2 });
    const token = await sign(ec);
    const at = (n: number) => ({ ...CONFIG, jwks_uri: `https://idp${n}.example.com/jwks` });
    for (const n of [1, 2, 1, 3]) await verify(cache, token, T0, at(n));
    expect(cache.size).toBe(2);
    await verify(cache, token, T0, at(1)); // still cached: used more recently than 2
    expect(idp.calls).toHaveLength(3);
    await verify(cache, token, T0, at(2)); // dropped: fetched again
    expect(idp.calls).toHaveLength(4);
  });

  it("passes a timeout signal and refuses redirects", async () => {
    let seen: RequestInit | undefined;
    const cache = new JwksCache({
      fetch: async (_url, init) => {
        seen = init;
        return Response.json({ keys: [ec.jwk] });
      },
    });
    await verify(cache, await sign(ec));
    expect(seen?.redirect).toBe("manual");
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
  });
});

describe("verifyOidcToken: refusals", () => {
  let jwksText: string;
  beforeAll(() => {
    jwksText = JSON.stringify({ keys: [rsa.jwk] });
  });

  const cases: [string, () => Promise<string> | string, string][] = [
    ["another issuer", () => sign(ec, claims({ iss: "https://evil.example" })), "wrong_issuer"],
    ["another audience", () => sign(ec, claims({ aud: "someone-else" })), "wrong_audience"],
    ["an expired token", () => sign(ec, claims({ exp: T0 / 1000 - 60 })), "expired"],
    ["a token valid only later", () => sign(ec, claims({ nbf: T0 / 1000 + 120 })), "not_yet_valid"],
    ["no exp", () => sign(ec, claims({ exp: undefined })), "missing_claim"],
    ["no sub", () => sign(ec, claims({ sub: undefined })), "missing_claim"],
    // Without iat a token could not be held to a lockdown: refused (OIDC Core §2 requires it anyway).
    ["no iat", () => sign(ec, claims({ iat: undefined })), "missing_claim"],
    ["no iss", () => sign(ec, claims({ iss: undefined })), "missing_claim"],
    ["an empty sub", () => sign(ec, claims({ sub: "" })), "malformed"],
    ["no role claim", () => sign(ec, claims({ groups: undefined })), "no_role"],
    ["no mapped role", () => sign(ec, claims({ groups: ["marketing"] })), "no_role"],
    ["a tampered payload", async () => tamper(await sign(ec), { groups: ["cordon-owners"] }), "bad_signature"],
    ["another key under the provider's kid", () => sign({ ...attacker, kid: ec.kid }), "bad_signature"],
    [
      "alg none",
      () => `${b64json({ alg: "none", kid: ec.kid })}.${b64json(claims({ groups: ["cordon-owners"] }))}.`,
      "algorithm_not_allowed",
    ],
    [
      "HS256 keyed with the provider's JWKS text (algorithm confusion)",
      () => hs256(utf8(jwksText), { alg: "HS256", kid: rsa.kid }, claims()),
      "algorithm_not_allowed",
    ],
    [
      "HS256 keyed with the provider's raw EC public key (algorithm confusion)",
      async () =>
        hs256(
          new Uint8Array((await crypto.subtle.exportKey("raw", ec.publicKey)) as ArrayBuffer),
          { alg: "HS256", kid: ec.kid },
          claims(),
        ),
      "algorithm_not_allowed",
    ],
    ["HS512", () => hs256(utf8("secret"), { alg: "HS512", kid: ec.kid }, claims()), "algorithm_not_allowed"],
    ["RS384", async () => retag(await sign(rsa), { alg: "RS384", kid: rsa.kid }), "algorithm_not_allowed"],
    ["ES256 header on an RSA key", async () => retag(await sign(rsa), { alg: "ES256", kid: rsa.kid }), "unknown_kid"],
    ["garbage", () => "not a token", "malformed"],
    ["an empty string", () => "", "malformed"],
    ["a header that is not JSON", () => `${toBase64Url(utf8("nope"))}.e30.c2ln`, "malformed"],
    ["an oversized token", () => `${"a".repeat(17_000)}.e30.c2ln`, "malformed"],
    ["a numeric kid", () => `${b64json({ alg: "ES256", kid: 5 })}.e30.c2ln`, "malformed"],
  ];

  it.each(cases)("refuses %s", async (_name, build, reason) => {
    const { cache } = setup();
    expect(await verify(cache, await build())).toEqual({ ok: false, reason });
  });

  it("refuses a forbidden algorithm before fetching anything", async () => {
    const { idp, cache } = setup();
    await verify(cache, await hs256(utf8(jwksText), { alg: "HS256", kid: rsa.kid }, claims()));
    await verify(cache, `${b64json({ alg: "none" })}.${b64json(claims())}.`);
    expect(idp.calls).toHaveLength(0);
  });

  it.each([
    [29, true],
    [31, false],
  ])("tolerates clock skew up to 30 s (expired %i s ago → %s)", async (ago, ok) => {
    const { cache } = setup();
    const token = await sign(ec, claims({ exp: T0 / 1000 - ago }));
    expect((await verify(cache, token, T0)).ok).toBe(ok);
  });

  it("throws for a tolerance out of 0..300 (caller bug)", async () => {
    const { cache } = setup();
    await expect(verifyOidcToken(cache, "x", CONFIG, { now: T0, clockToleranceSeconds: 301 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe("jwks_uri: https in production", () => {
  it.each([
    ["http://idp.example.com/jwks", false, "insecure_jwks_uri"],
    ["https://localhost/jwks", false, "insecure_jwks_uri"],
    ["https://idp.localhost/jwks", false, "insecure_jwks_uri"],
    // Regression: the trailing dot of a fully qualified name slipped past the check.
    ["https://localhost./jwks", false, "insecure_jwks_uri"],
    ["https://idp.localhost../jwks", false, "insecure_jwks_uri"],
    ["https://127.0.0.1/jwks", false, "insecure_jwks_uri"],
    ["https://[::1]/jwks", false, "insecure_jwks_uri"],
    ["ftp://idp.example.com/jwks", false, "invalid_jwks_uri"],
    ["https://user:pass@idp.example.com/jwks", false, "invalid_jwks_uri"],
    ["https://idp.example.com/jwks#frag", false, "invalid_jwks_uri"],
    ["not a url", false, "invalid_jwks_uri"],
    ["https://idp.example.com/jwks", false, null],
    ["http://localhost:9000/jwks", true, null],
    ["http://127.0.0.1:9000/jwks", true, null],
    ["file:///etc/passwd", true, "invalid_jwks_uri"],
  ])("%s (allowInsecure %s) → %s", (uri, insecure, problem) => {
    expect(jwksUriProblem(uri, insecure)).toBe(problem);
  });

  it("refuses an http jwks_uri without fetching, unless allowInsecure", async () => {
    const { idp, cache } = setup();
    const config = { ...CONFIG, jwks_uri: "http://localhost:9000/jwks" };
    const token = await sign(ec);
    expect(await verify(cache, token, T0 + 1000, config)).toEqual({
      ok: false,
      reason: "insecure_jwks_uri",
      detail: "insecure_jwks_uri",
    });
    expect(idp.calls).toHaveLength(0);
    expect((await verify(cache, token, T0 + 1000, config, true)).ok).toBe(true);
  });
});

describe("role mapping", () => {
  const map = { role_claim: "groups", role_map: CONFIG.role_map };

  it.each<[string, JWTPayload, Partial<typeof map>, string[]]>([
    ["a string claim", { groups: "engineers" }, {}, ["developer"]],
    ["an array claim", { groups: ["x", "auditors"] }, {}, ["viewer"]],
    [
      "several matches, least privileged first",
      { groups: ["cordon-owners", "engineers", "auditors"] },
      {},
      ["viewer", "developer", "owner"],
    ],
    ["owner and admin", { groups: ["cordon-admins", "cordon-owners"] }, {}, ["admin", "owner"]],
    ["repeats", { groups: ["engineers", "engineers"] }, {}, ["developer"]],
    ["non-string members ignored", { groups: [1, null, { a: 1 }, "engineers"] }, {}, ["developer"]],
    ["no match", { groups: ["marketing"] }, {}, []],
    ["claim missing", {}, {}, []],
    ["claim an object", { groups: { engineers: true } }, {}, []],
    ["claim a number", { groups: 7 }, {}, []],
    ["case differs", { groups: ["Engineers"] }, {}, []],
    [
      "a dotted path (Keycloak)",
      { realm_access: { roles: ["offline_access", "engineers"] } },
      { role_claim: "realm_access.roles" },
      ["developer"],
    ],
    ["a dotted path through a missing object", { realm_access: "x" }, { role_claim: "realm_access.roles" }, []],
    [
      "a dotted path into an array",
      { realm_access: [{ roles: ["engineers"] }] },
      { role_claim: "realm_access.0.roles" },
      [],
    ],
    [
      "a namespaced claim taken whole",
      { "https://acme.example/roles": ["cordon-admins"] },
      { role_claim: "https://acme.example/roles" },
      ["admin"],
    ],
    [
      "a flat claim named like a path is not read as a path",
      { "realm_access.roles": ["engineers"] },
      { role_claim: "realm_access.roles" },
      [],
    ],
    ["__proto__ as a value", { groups: ["__proto__", "constructor", "toString"] }, {}, []],
    ["a path through the prototype", { groups: [] }, { role_claim: "constructor.name" }, []],
  ])("%s", (_name, payload, over, roles) => {
    expect(mapRoles(payload, { ...map, ...over })).toEqual(roles);
  });

  it("orders every role Cordon has", () => {
    expect([...ROLE_PRIVILEGE_ORDER].sort()).toEqual([...ROLES].sort());
  });

  // Regression: only the first 1000 members of the claim were read, so a user in a thousand groups listed before
  // the viewer group (short names fit well within the 16 KB a token may have) was an owner, not a viewer: being in
  // more groups raised what the token could do.
  it("grants the least privileged match however many groups come before it", async () => {
    const { cache } = setup();
    const groups = ["cordon-owners", ...Array.from({ length: 1000 }, (_, i) => `g${i}`), "auditors"];
    const token = await sign(ec, claims({ groups }));
    expect(token.length).toBeLessThan(16 * 1024);
    expect(await verify(cache, token)).toMatchObject({
      ok: true,
      identity: { role: "viewer", matchedRoles: ["viewer", "owner"] },
    });
  });

  it("grants the least privileged of several matches", async () => {
    const { cache } = setup();
    const token = await sign(ec, claims({ groups: ["cordon-owners", "auditors"] }));
    expect(await verify(cache, token)).toMatchObject({
      ok: true,
      identity: { role: "viewer", matchedRoles: ["viewer", "owner"] },
    });
  });
});

describe("parseOidcConfig (admin API)", () => {
  it("accepts the contract's shape", () => {
    expect(parseOidcConfig(CONFIG, { allowInsecure: false })).toEqual({ ok: true, config: CONFIG });
  });

  it.each<[string, unknown, string]>([
    ["an http jwks_uri", { ...CONFIG, jwks_uri: "http://idp.example.com/jwks" }, "jwks_uri"],
    ["an unknown role", { ...CONFIG, role_map: { engineers: "root" } }, "role_map.engineers"],
    ["an empty role map", { ...CONFIG, role_map: {} }, "role_map"],
    [
      "too many role map entries",
      { ...CONFIG, role_map: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`g${i}`, "viewer"])) },
      "role_map",
    ],
    ["an unknown field", { ...CONFIG, extra: 1 }, ""],
    ["a missing issuer", { ...CONFIG, issuer: undefined }, "issuer"],
    ["a role claim with spaces", { ...CONFIG, role_claim: "my roles" }, "role_claim"],
  ])("refuses %s", (_name, input, path) => {
    const parsed = parseOidcConfig(input, { allowInsecure: false });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map((i) => i.path)).toContain(path);
  });

  it("accepts an http jwks_uri in development", () => {
    const input = { ...CONFIG, jwks_uri: "http://localhost:9000/jwks" };
    expect(parseOidcConfig(input, { allowInsecure: true }).ok).toBe(true);
  });
});

function tamper(token: string, over: object): string {
  const [h, p, s] = token.split(".") as [string, string, string];
  const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))) as object;
  return `${h}.${b64json({ ...payload, ...over })}.${s}`;
}

function retag(token: string, header: object): string {
  const [, p, s] = token.split(".") as [string, string, string];
  return `${b64json(header)}.${p}.${s}`;
}
