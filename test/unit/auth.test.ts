import { describe, expect, it } from "vitest";
import { crc32, generateApiKey, parseApiKey } from "../../src/gateway/auth/api-key-secret";
import { timingSafeEqualStrings } from "../../src/gateway/crypto/aead";
import { classifyHost, isAllowedTransport } from "../../src/gateway/hosts";
import { grantScopes, ROLE_SCOPES } from "../../src/gateway/policy/scopes";
import { cacheKv, tenantsKv } from "../../src/gateway/storage/kv-keys";

describe("API key format", () => {
  it("generates keys that parse, with their environment", () => {
    for (const env of ["live", "test", "dev"] as const) {
      const key = generateApiKey(env);
      expect(key).toMatch(new RegExp(`^cdn_${env}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$`));
      expect(parseApiKey(key)).toEqual({ env });
    }
  });

  it("rejects a key with one character changed (checksum)", () => {
    const key = generateApiKey("test");
    const i = 12;
    const swapped = key.slice(0, i) + (key[i] === "a" ? "b" : "a") + key.slice(i + 1);
    expect(parseApiKey(swapped)).toBeNull();
  });

  it.each(["", "cdn_", `cdn_prod_${"a".repeat(32)}_aaaaaa`, "sk-abc", "cdn_test_short_aaaaaa"])(
    "rejects malformed key %j",
    (k) => expect(parseApiKey(k)).toBeNull(),
  );

  it("computes the standard CRC-32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("never generates the same key twice in 1000 draws", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey("dev")));
    expect(keys.size).toBe(1000);
  });
});

describe("scopes", () => {
  it("narrows to requested scopes of the role and refuses widening", () => {
    expect(grantScopes("developer", ["completions"])).toEqual(["completions"]);
    expect(grantScopes("viewer", ["completions"])).toBeNull();
    expect(grantScopes("service")).toEqual([...ROLE_SCOPES.service]);
  });
});

describe("storage keys", () => {
  it("start with the tenant id", () => {
    expect(cacheKv.exact("acme", "h")).toBe("acme:x:h");
    expect(cacheKv.entry("acme", "e1")).toBe("acme:e:e1");
    expect(tenantsKv.tenant("acme")).toBe("_tenant:acme");
  });

  it.each(["", "_root", "UPPER", "a:b", "a".repeat(33)])("fail closed without a valid tenant (%j)", (t) => {
    expect(() => cacheKv.exact(t, "h")).toThrow();
    expect(() => cacheKv.entry(t, "e")).toThrow();
  });

  it("refuse separators inside parts", () => {
    expect(() => cacheKv.entry("acme", "a:b")).toThrow();
  });
});

describe("host classification", () => {
  const base = "cordon.test";
  it.each([
    ["cordon.test", { kind: "platform" }],
    ["acme.cordon.test", { kind: "tenant", id: "acme" }],
    ["ACME.cordon.test.", { kind: "tenant", id: "acme" }],
    ["a.b.cordon.test", { kind: "invalid" }],
    ["-x.cordon.test", { kind: "invalid" }],
    ["llm.acme.com", { kind: "custom", hostname: "llm.acme.com" }],
    ["evilcordon.test", { kind: "custom", hostname: "evilcordon.test" }],
  ])("%s", (host, kind) => expect(classifyHost(host, base)).toEqual(kind));

  it("allows plain HTTP only from loopback hosts in development", () => {
    expect(isAllowedTransport(new URL("https://a.cordon.test/"), false)).toBe(true);
    expect(isAllowedTransport(new URL("http://demo.localhost:8787/"), true)).toBe(true);
    expect(isAllowedTransport(new URL("http://demo.localhost:8787/"), false)).toBe(false);
    expect(isAllowedTransport(new URL("http://acme.cordon.test/"), true)).toBe(false);
  });
});

describe("constant-time comparison", () => {
  it("compares secrets in constant time and correctly", async () => {
    expect(await timingSafeEqualStrings("abc", "abc")).toBe(true);
    expect(await timingSafeEqualStrings("abc", "abd")).toBe(false);
    expect(await timingSafeEqualStrings("abc", "abcd")).toBe(false);
  });
});
