import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AccessTokenResult,
  CACHE_SCOPE_CLAIM,
  GENERATION_CLAIM,
  type IssueAccessTokenInput,
  issueAccessToken,
  LIMITS_CLAIM,
  TENANT_CLAIM,
  verifyAccessToken,
} from "../../src/gateway/auth/access-token";
import { AccessTokenConfigError, AccessTokenKeys } from "../../src/gateway/auth/signing-keys";
import { toBase64Url, utf8 } from "../../src/gateway/crypto/encoding";

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, ms
const ISSUER = "https://acme.cordon.test";
const AUDIENCE = "https://acme.cordon.test";

interface TestKey {
  kid: string;
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function newKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid };
  const { d: _d, ...publicJwk } = privateJwk;
  return { kid, privateJwk, publicJwk, privateKey, publicKey };
}

const ring = (current: TestKey, previous?: TestKey[]) =>
  AccessTokenKeys.fromConfig(
    JSON.stringify(current.privateJwk),
    previous === undefined ? undefined : JSON.stringify(previous.map((k) => k.publicJwk)),
  );

const issueInput = (over: Partial<IssueAccessTokenInput> = {}): IssueAccessTokenInput => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  tenant: "acme",
  generation: "gen-1",
  subject: "key_abc",
  scopes: ["completions", "cache:read"],
  cacheScope: "tenant",
  limits: { ip_allowlist: ["10.0.0.0/8"], rate_limit: { requests: 10, window_seconds: 60 } },
  ttlSeconds: 3600,
  now: T0,
  ...over,
});

const expected = (over: Partial<Parameters<typeof verifyAccessToken>[2]> = {}) => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  tenant: "acme",
  generation: "gen-1",
  now: T0 + 1000,
  clockToleranceSeconds: 30,
  ...over,
});

const b64json = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)));
const segments = (token: string) => token.split(".") as [string, string, string];
const decodeSegment = (s: string) =>
  JSON.parse(atob(s.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;

/** The claims a correct token carries, for tokens signed directly with a ring key in the tests. */
const validClaims = (): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: "key_abc",
  client_id: "key_abc",
  jti: "jti-1",
  iat: T0 / 1000,
  nbf: T0 / 1000,
  exp: T0 / 1000 + 3600,
  scope: "completions",
  [TENANT_CLAIM]: "acme",
  [GENERATION_CLAIM]: "gen-1",
  [CACHE_SCOPE_CLAIM]: "tenant",
  [LIMITS_CLAIM]: { ip_allowlist: [], rate_limit: null },
});

function signDirect(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: key.kid, ...header })
    .sign(key.privateKey);
}

const refused = (reason: string): AccessTokenResult => ({ ok: false, reason }) as AccessTokenResult;

let current: TestKey;
let previous: TestKey;
let stranger: TestKey;
let keys: AccessTokenKeys;

beforeAll(async () => {
  [current, previous, stranger] = await Promise.all([newKey("k-2026-02"), newKey("k-2026-01"), newKey("k-other")]);
  keys = await ring(current, [previous]);
});

describe("AccessTokenKeys.fromConfig", () => {
  it("publishes only the public parts of every key, current first", () => {
    const jwks = keys.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(["k-2026-02", "k-2026-01"]);
    for (const k of jwks.keys) {
      expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
      expect(k).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    }
    expect(JSON.stringify(jwks)).not.toContain(String(current.privateJwk.d));
    expect(keys.currentKid).toBe("k-2026-02");
  });

  it("returns a fresh copy of the JWKS each time", () => {
    const a = keys.jwks();
    (a.keys[0] as { kid: string }).kid = "changed";
    expect(keys.jwks().keys[0]?.kid).toBe("k-2026-02");
  });

  it("drops a private part left in JWT_PREVIOUS_KEYS", async () => {
    const withPrivate = await AccessTokenKeys.fromConfig(
      JSON.stringify(current.privateJwk),
      JSON.stringify([previous.privateJwk]),
    );
    expect(JSON.stringify(withPrivate.jwks())).not.toContain(String(previous.privateJwk.d));
  });

  it("accepts a blank JWT_PREVIOUS_KEYS", async () => {
    expect((await AccessTokenKeys.fromConfig(JSON.stringify(current.privateJwk), "  ")).jwks().keys).toHaveLength(1);
  });

  it.each([
    ["not JSON", () => "{", undefined, "signing_key_invalid"],
    ["a public key", () => JSON.stringify(current.publicJwk), undefined, "signing_key_invalid"],
    [
      "a key without kid",
      () => JSON.stringify({ ...current.privateJwk, kid: undefined }),
      undefined,
      "signing_key_invalid",
    ],
    ["an empty kid", () => JSON.stringify({ ...current.privateJwk, kid: "" }), undefined, "signing_key_invalid"],
    [
      "a kid with spaces",
      () => JSON.stringify({ ...current.privateJwk, kid: "a b" }),
      undefined,
      "signing_key_invalid",
    ],
    ["another curve", () => JSON.stringify({ ...current.privateJwk, crv: "P-384" }), undefined, "signing_key_invalid"],
    [
      "another algorithm",
      () => JSON.stringify({ ...current.privateJwk, alg: "ES384" }),
      undefined,
      "signing_key_invalid",
    ],
    [
      "an encryption key",
      () => JSON.stringify({ ...current.privateJwk, use: "enc" }),
      undefined,
      "signing_key_invalid",
    ],
    ["an oct key", () => JSON.stringify({ kty: "oct", k: "c2VjcmV0", kid: "x" }), undefined, "signing_key_invalid"],
    [
      "a point not on the curve",
      () => JSON.stringify({ ...current.privateJwk, x: "A".repeat(43), y: "A".repeat(43) }),
      undefined,
      "signing_key_invalid",
    ],
    [
      "a private key with another key's x and y",
      () => JSON.stringify({ ...current.privateJwk, x: previous.publicJwk.x, y: previous.publicJwk.y }),
      undefined,
      // workerd already refuses the inconsistent key at import; the sign-and-verify probe backs that up.
      ["signing_key_invalid", "key_pair_mismatch"],
    ],
    ["previous keys not JSON", () => JSON.stringify(current.privateJwk), "[", "previous_keys_invalid"],
    ["previous keys not a list", () => JSON.stringify(current.privateJwk), "{}", "previous_keys_invalid"],
    ["a previous key without kid", () => JSON.stringify(current.privateJwk), '[{"kty":"EC"}]', "previous_keys_invalid"],
    [
      "a previous key with the current kid",
      () => JSON.stringify(current.privateJwk),
      () => JSON.stringify([{ ...previous.publicJwk, kid: current.kid }]),
      "duplicate_kid",
    ],
    [
      "eleven previous keys",
      () => JSON.stringify(current.privateJwk),
      () => JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ ...previous.publicJwk, kid: `p${i}` }))),
      "previous_keys_invalid",
    ],
  ])("refuses %s", async (_name, currentText, previousText, code) => {
    const prev = typeof previousText === "function" ? previousText() : previousText;
    const error = await AccessTokenKeys.fromConfig(currentText(), prev).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AccessTokenConfigError);
    expect([code].flat()).toContain((error as AccessTokenConfigError).code);
    expect((error as Error).message).not.toContain(String(current.privateJwk.d));
  });
});

describe("issue and verify: round trip", () => {
  it("returns the claims the token was issued with", async () => {
    const issued = await issueAccessToken(keys, issueInput({ jti: "jti-fixed" }));
    expect(issued).toMatchObject({ jti: "jti-fixed", expiresAt: T0 / 1000 + 3600, expiresIn: 3600 });
    expect(await verifyAccessToken(keys, issued.token, expected())).toEqual({
      ok: true,
      claims: {
        tenant: "acme",
        subject: "key_abc",
        scopes: ["completions", "cache:read"],
        cacheScope: "tenant",
        limits: { ip_allowlist: ["10.0.0.0/8"], rate_limit: { requests: 10, window_seconds: 60 } },
        jti: "jti-fixed",
        iat: T0 / 1000,
        exp: T0 / 1000 + 3600,
        secretIssuedAt: null,
      },
    });
  });

  it("carries a dashboard session's secret issue time, and refuses one that is not a time", async () => {
    const session = await issueAccessToken(keys, issueInput({ secretIssuedAt: T0 - 5_000 }));
    const verified = await verifyAccessToken(keys, session.token, expected());
    expect(verified.ok && verified.claims.secretIssuedAt).toBe(T0 - 5_000);
    for (const odd of [-1, 1.5, "1", null]) {
      const token = await new SignJWT({
        ...decodeSegment(segments(session.token)[1]),
        cordon_secret_issued_at: odd,
      })
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: current.kid })
        .sign(current.privateKey);
      const result = await verifyAccessToken(keys, token, expected());
      if (odd === null) expect(result.ok, "null reads as absent").toBe(true);
      else expect(result, String(odd)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("writes the RFC 9068 header and claims", async () => {
    const { token } = await issueAccessToken(keys, issueInput({ cacheScope: "user" }));
    const [h, p] = segments(token);
    expect(decodeSegment(h)).toEqual({ alg: "ES256", typ: "at+jwt", kid: current.kid });
    expect(decodeSegment(p)).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: "key_abc",
      client_id: "key_abc",
      scope: "completions cache:read",
      cordon_tenant: "acme",
      cordon_cache_scope: "user",
      cordon_limits: { ip_allowlist: ["10.0.0.0/8"], rate_limit: { requests: 10, window_seconds: 60 } },
      iat: T0 / 1000,
      nbf: T0 / 1000,
      exp: T0 / 1000 + 3600,
    });
  });

  it("draws a fresh random jti for every token", async () => {
    const jtis = await Promise.all(Array.from({ length: 20 }, () => issueAccessToken(keys, issueInput())));
    expect(new Set(jtis.map((t) => t.jti)).size).toBe(20);
    for (const t of jtis) expect(t.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("verifies a token with no scopes", async () => {
    const { token } = await issueAccessToken(keys, issueInput({ scopes: [] }));
    expect(await verifyAccessToken(keys, token, expected())).toMatchObject({ ok: true, claims: { scopes: [] } });
  });

  it("drops scopes Cordon does not know (never widens)", async () => {
    const token = await signDirect(current, { ...validClaims(), scope: "completions root everything" });
    expect(await verifyAccessToken(keys, token, expected())).toMatchObject({
      ok: true,
      claims: { scopes: ["completions"] },
    });
  });

  it.each([
    ["an invalid tenant id", { tenant: "ACME" }],
    ["an unknown scope", { scopes: ["root"] as never }],
    ["a zero lifetime", { ttlSeconds: 0 }],
    ["a lifetime over 24 h", { ttlSeconds: 86_401 }],
    ["a fractional lifetime", { ttlSeconds: 1.5 }],
    ["no subject", { subject: "" }],
    ["a non-finite now", { now: Number.NaN }],
    ["an invalid cache scope", { cacheScope: "global" as never }],
  ])("refuses to issue with %s", async (_name, over) => {
    await expect(issueAccessToken(keys, issueInput(over))).rejects.toThrow();
  });
});

describe("verify: time", () => {
  it.each([
    ["just before exp", T0 + 3_599_000, 0, { ok: true }],
    ["at exp without tolerance", T0 + 3_600_000, 0, refused("expired")],
    ["at exp, whatever the tolerance: it stretches the start only", T0 + 3_600_000, 30, refused("expired")],
    ["within the tolerance after exp", T0 + 3_629_000, 30, refused("expired")],
    ["a day later", T0 + 86_400_000, 30, refused("expired")],
    ["before nbf, within the tolerance", T0 - 30_000, 30, { ok: true }],
    ["before nbf, beyond the tolerance", T0 - 31_000, 30, refused("not_yet_valid")],
    ["before nbf, no tolerance", T0 - 1000, 0, refused("not_yet_valid")],
  ])("%s", async (_name, now, clockToleranceSeconds, result) => {
    const { token } = await issueAccessToken(keys, issueInput());
    expect(await verifyAccessToken(keys, token, expected({ now, clockToleranceSeconds }))).toMatchObject(result);
  });

  it("throws for a tolerance out of 0..300 (caller bug)", async () => {
    const { token } = await issueAccessToken(keys, issueInput());
    await expect(verifyAccessToken(keys, token, expected({ clockToleranceSeconds: 301 }))).rejects.toThrow(RangeError);
    await expect(verifyAccessToken(keys, token, expected({ clockToleranceSeconds: -1 }))).rejects.toThrow(RangeError);
  });
});

describe("verify: refusals", () => {
  let good: string;
  beforeAll(async () => {
    good = (await issueAccessToken(keys, issueInput())).token;
  });

  /** Each case builds a token (from `good` or from scratch) and names the one reason it must be refused for. */
  const cases: [string, () => Promise<string> | string, Partial<ReturnType<typeof expected>>, string][] = [
    ["another audience", () => good, { audience: "https://other.cordon.test" }, "wrong_audience"],
    ["another issuer", () => good, { issuer: "https://evil.example" }, "wrong_issuer"],
    ["another tenant's token on this host", () => good, { tenant: "globex" }, "wrong_tenant"],
    [
      "alg none",
      () => {
        const [, p] = segments(good);
        return `${b64json({ alg: "none", typ: "at+jwt", kid: current.kid })}.${p}.`;
      },
      {},
      "algorithm_not_allowed",
    ],
    [
      "alg none with the original signature",
      () => {
        const [, p, s] = segments(good);
        return `${b64json({ alg: "none", typ: "at+jwt", kid: current.kid })}.${p}.${s}`;
      },
      {},
      "algorithm_not_allowed",
    ],
    [
      "HS256 signed with the raw public key bytes (algorithm confusion)",
      async () => {
        const raw = new Uint8Array((await crypto.subtle.exportKey("raw", current.publicKey)) as ArrayBuffer);
        return hs256(raw, { alg: "HS256", typ: "at+jwt", kid: current.kid }, validClaims());
      },
      {},
      "algorithm_not_allowed",
    ],
    [
      "HS256 signed with the published JWKS text (algorithm confusion)",
      () =>
        hs256(
          utf8(JSON.stringify(keys.jwks().keys[0])),
          { alg: "HS256", typ: "at+jwt", kid: current.kid },
          validClaims(),
        ),
      {},
      "algorithm_not_allowed",
    ],
    [
      "ES384 in the header",
      () => {
        const [, p, s] = segments(good);
        return `${b64json({ alg: "ES384", typ: "at+jwt", kid: current.kid })}.${p}.${s}`;
      },
      {},
      "algorithm_not_allowed",
    ],
    [
      "a payload with widened scopes",
      () => {
        const [h, p, s] = segments(good);
        return `${h}.${b64json({ ...decodeSegment(p), scope: "keys:manage policy:manage" })}.${s}`;
      },
      {},
      "bad_signature",
    ],
    [
      "a payload moved to another tenant",
      () => {
        const [h, p, s] = segments(good);
        return `${h}.${b64json({ ...decodeSegment(p), [TENANT_CLAIM]: "globex" })}.${s}`;
      },
      { tenant: "globex" },
      "bad_signature",
    ],
    [
      "a payload with a later exp",
      () => {
        const [h, p, s] = segments(good);
        return `${h}.${b64json({ ...decodeSegment(p), exp: T0 / 1000 + 86_400 })}.${s}`;
      },
      {},
      "bad_signature",
    ],
    [
      "a header kid changed to the previous key",
      () => {
        const [, p, s] = segments(good);
        return `${b64json({ alg: "ES256", typ: "at+jwt", kid: previous.kid })}.${p}.${s}`;
      },
      {},
      "bad_signature",
    ],
    [
      "a header kid changed to an unknown key",
      () => {
        const [, p, s] = segments(good);
        return `${b64json({ alg: "ES256", typ: "at+jwt", kid: "nope" })}.${p}.${s}`;
      },
      {},
      "unknown_kid",
    ],
    ["a token signed by a key outside the ring", () => signDirect(stranger, validClaims()), {}, "unknown_kid"],
    [
      "a token signed by a stranger under the ring's kid",
      () => signDirect({ ...stranger, kid: current.kid }, validClaims()),
      {},
      "bad_signature",
    ],
    [
      "a truncated signature",
      () => {
        const [h, p, s] = segments(good);
        return `${h}.${p}.${s.slice(0, 40)}`;
      },
      {},
      "bad_signature",
    ],
    [
      "an empty signature",
      () => {
        const [h, p] = segments(good);
        return `${h}.${p}.`;
      },
      {},
      "bad_signature",
    ],
    [
      "a stranger's key embedded in the header (jwk) under the ring's kid",
      () => signDirect({ ...stranger, kid: current.kid }, validClaims(), { jwk: stranger.publicJwk }),
      {},
      "bad_signature",
    ],
    [
      "a stranger's key set URL in the header (jku)",
      () => signDirect({ ...stranger, kid: current.kid }, validClaims(), { jku: "https://evil.example/jwks" }),
      {},
      "bad_signature",
    ],
    [
      "an unknown critical header",
      () =>
        es256Raw(current, { alg: "ES256", typ: "at+jwt", kid: current.kid, crit: ["exp2"], exp2: 1 }, validClaims()),
      {},
      "malformed",
    ],
    ["no kid", () => signDirect(current, validClaims(), { kid: undefined }), {}, "malformed"],
    ["a numeric kid", () => signDirect(current, validClaims(), { kid: 7 }), {}, "malformed"],
    ["typ JWT (not an access token)", () => signDirect(current, validClaims(), { typ: "JWT" }), {}, "malformed"],
    ["no typ", () => signDirect(current, validClaims(), { typ: undefined }), {}, "malformed"],
    [
      "no tenant claim",
      () => signDirect(current, { ...validClaims(), [TENANT_CLAIM]: undefined }),
      {},
      "missing_claim",
    ],
    ["no scope claim", () => signDirect(current, { ...validClaims(), scope: undefined }), {}, "missing_claim"],
    ["no jti", () => signDirect(current, { ...validClaims(), jti: undefined }), {}, "missing_claim"],
    ["no exp", () => signDirect(current, { ...validClaims(), exp: undefined }), {}, "missing_claim"],
    ["no aud", () => signDirect(current, { ...validClaims(), aud: undefined }), {}, "missing_claim"],
    ["a string exp", () => signDirect(current, { ...validClaims(), exp: "soon" as never }), {}, "malformed"],
    ["a numeric tenant", () => signDirect(current, { ...validClaims(), [TENANT_CLAIM]: 1 }), {}, "malformed"],
    [
      "no tenant generation claim",
      () => signDirect(current, { ...validClaims(), [GENERATION_CLAIM]: undefined }),
      {},
      "missing_claim",
    ],
    [
      "a numeric tenant generation",
      () => signDirect(current, { ...validClaims(), [GENERATION_CLAIM]: 1 }),
      {},
      "malformed",
    ],
    [
      "a token of an earlier tenant of the same id (another generation)",
      () => signDirect(current, validClaims()),
      { generation: "gen-2" },
      "wrong_tenant",
    ],
    [
      "a cache scope Cordon does not know",
      () => signDirect(current, { ...validClaims(), [CACHE_SCOPE_CLAIM]: "global" }),
      {},
      "malformed",
    ],
    ["client_id unlike sub", () => signDirect(current, { ...validClaims(), client_id: "key_other" }), {}, "malformed"],
    [
      "a lifetime longer than Cordon ever issues",
      () => signDirect(current, { ...validClaims(), exp: T0 / 1000 + 7 * 86_400 }),
      {},
      "malformed",
    ],
    [
      "an iat older than the longest lifetime",
      () => signDirect(current, { ...validClaims(), iat: T0 / 1000 - 2 * 86_400 }),
      {},
      "expired",
    ],
    ["garbage", () => "garbage", {}, "malformed"],
    ["an empty string", () => "", {}, "malformed"],
    ["an API key", () => "cdn_test_0123456789abcdefghijABCDEFGHIJ01_abcdef", {}, "malformed"],
    ["four segments", () => `${good}.x`, {}, "malformed"],
    ["whitespace inside", () => good.replace(".", " ."), {}, "malformed"],
    ["a header that is not JSON", () => `${toBase64Url(utf8("{not json"))}.e30.c2ln`, {}, "malformed"],
    ["a header that is a JSON array", () => `${b64json([1])}.e30.c2ln`, {}, "malformed"],
    ["an oversized token", () => `${good}${"A".repeat(5000)}`, {}, "malformed"],
    [
      "a payload that is not JSON",
      async () => {
        const [h] = segments(good);
        const data = utf8(`${h}.${toBase64Url(utf8("not json"))}`);
        const sig = new Uint8Array(
          await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, current.privateKey, data),
        );
        return `${h}.${toBase64Url(utf8("not json"))}.${toBase64Url(sig)}`;
      },
      {},
      "malformed",
    ],
  ];

  it.each(cases)("refuses %s", async (_name, build, over, reason) => {
    expect(await verifyAccessToken(keys, await build(), expected(over))).toEqual({ ok: false, reason });
  });

  it("never throws, whatever the text", async () => {
    for (const text of ["..", "a..b", "\u0000", "é.é.é", `${"a".repeat(100)}.${"b".repeat(100)}.`]) {
      expect((await verifyAccessToken(keys, text, expected())).ok).toBe(false);
    }
  });
});

describe("key rotation", () => {
  it("accepts tokens of a previous key until it leaves the ring", async () => {
    const before = await ring(previous);
    const old = (await issueAccessToken(before, issueInput())).token;

    const rotated = await ring(current, [previous]);
    expect(await verifyAccessToken(rotated, old, expected())).toMatchObject({ ok: true });
    const fresh = (await issueAccessToken(rotated, issueInput())).token;
    expect(decodeSegment(segments(fresh)[0]).kid).toBe(current.kid);
    expect(rotated.jwks().keys.map((k) => k.kid)).toEqual([current.kid, previous.kid]);

    const retired = await ring(current);
    expect(await verifyAccessToken(retired, old, expected())).toEqual({ ok: false, reason: "unknown_kid" });
    expect(await verifyAccessToken(retired, fresh, expected())).toMatchObject({ ok: true });
    expect(retired.jwks().keys.map((k) => k.kid)).toEqual([current.kid]);
  });

  it("refuses a previous key's token once it has expired, like any other", async () => {
    const old = (await issueAccessToken(await ring(previous), issueInput({ ttlSeconds: 60 }))).token;
    expect(await verifyAccessToken(keys, old, expected({ now: T0 + 120_000 }))).toEqual({
      ok: false,
      reason: "expired",
    });
  });
});

/** Signs any header and claims with an ES256 key, without jose's checks on what is signed. */
async function es256Raw(key: TestKey, header: object, claims: object): Promise<string> {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, utf8(input));
  return `${input}.${toBase64Url(new Uint8Array(sig))}`;
}

async function hs256(secret: Uint8Array, header: object, claims: object): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(input)));
  return `${input}.${toBase64Url(sig)}`;
}
