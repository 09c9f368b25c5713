import { describe, expect, it } from "vitest";
import {
  type Allowlist,
  checkAllowlists,
  clientAddress,
  formatCidr,
  formatIp,
  ipAllowed,
  MAX_ALLOWLIST_ENTRIES,
  parseAllowlist,
  parseCidr,
  parseIp,
} from "../../src/gateway/policy/network";

const ip = (text: string) => {
  const parsed = parseIp(text);
  if (parsed === null) throw new Error(`test address ${text} does not parse`);
  return parsed;
};

const list = (...entries: string[]): Allowlist => {
  const parsed = parseAllowlist(entries);
  if (!parsed.ok) throw new Error(`test allowlist ${entries.join(",")} does not parse`);
  return parsed.allowlist;
};

describe("parseIp", () => {
  it.each([
    ["0.0.0.0", "0.0.0.0"],
    ["10.0.0.1", "10.0.0.1"],
    ["255.255.255.255", "255.255.255.255"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["fe80::1:2", "fe80::1:2"],
    ["::1.2.3.4", "::102:304"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
  ])("parses %s as %s", (text, canonical) => {
    expect(formatIp(ip(text))).toBe(canonical);
  });

  it.each([
    ["::ffff:10.0.0.1", "10.0.0.1"],
    ["::FFFF:10.0.0.1", "10.0.0.1"],
    ["::ffff:a00:1", "10.0.0.1"],
    ["0:0:0:0:0:ffff:10.0.0.1", "10.0.0.1"],
  ])("treats the IPv4-mapped address %s as the IPv4 address %s", (text, v4) => {
    expect(ip(text)).toEqual(ip(v4));
    expect(ip(text).version).toBe(4);
  });

  it.each([
    "",
    " 10.0.0.1",
    "10.0.0.1 ",
    "10.0.0",
    "10.0.0.1.2",
    "10.1",
    "256.0.0.1",
    "010.0.0.1",
    "10.0.0.01",
    "0x0a.0.0.1",
    "10.0.0.1/32",
    "10.0.0.1:443",
    "1e1.0.0.1",
    "-1.0.0.1",
    "fe80::1%eth0",
    "fe80::1%1",
    "[::1]",
    ":::",
    "1:::2",
    "1::2::3",
    ":1::",
    "1::2:",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8::",
    "12345::",
    "g::1",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "::256.0.0.1",
    "1:2:3:4:5:6:7:1.2.3.4",
    "localhost",
    "10.0.0.1,10.0.0.2",
  ])("refuses %j", (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.0.0.1", "10.0.0.1/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["::/0", "::/0"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["::ffff:0:0/96", "0.0.0.0/0"],
    ["::ffff:192.168.1.1", "192.168.1.1/32"],
  ])("parses %s as %s", (text, canonical) => {
    const parsed = parseCidr(text);
    expect(parsed.ok && formatCidr(parsed.block)).toBe(canonical);
  });

  it.each([
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["192.168.1.77/24", "192.168.1.0/24"],
    ["2001:db8:abcd::1/32", "2001:db8::/32"],
    ["10.0.0.1/0", "0.0.0.0/0"],
  ])("normalises the host bits of %s to %s", (text, canonical) => {
    const parsed = parseCidr(text);
    expect(parsed.ok && formatCidr(parsed.block)).toBe(canonical);
  });

  it.each([
    ["10.0.0.0/33", "invalid_prefix"],
    ["10.0.0.0/-1", "invalid_prefix"],
    ["10.0.0.0/08", "invalid_prefix"],
    ["10.0.0.0/", "invalid_prefix"],
    ["10.0.0.0/8/8", "invalid_prefix"],
    ["10.0.0.0/ 8", "invalid_prefix"],
    ["2001:db8::/129", "invalid_prefix"],
    ["::ffff:10.0.0.0/95", "invalid_prefix"],
    ["10.0.0/8", "invalid_address"],
    ["fe80::%eth0/64", "invalid_address"],
    ["/8", "invalid_address"],
    ["example.com/8", "invalid_address"],
  ])("refuses %j (%s)", (text, error) => {
    expect(parseCidr(text)).toEqual({ ok: false, error });
  });
});

describe("ipAllowed", () => {
  it("allows anyone, even an unknown address, when the allowlist is empty", () => {
    expect(ipAllowed(ip("203.0.113.9"), [])).toBe(true);
    expect(ipAllowed(null, [])).toBe(true);
  });

  it("refuses an unknown address when the allowlist is set", () => {
    expect(ipAllowed(null, list("0.0.0.0/0"))).toBe(false);
  });

  it.each([
    ["10.0.0.1", ["10.0.0.0/8"], true],
    ["10.255.255.255", ["10.0.0.0/8"], true],
    ["11.0.0.0", ["10.0.0.0/8"], false],
    ["9.255.255.255", ["10.0.0.0/8"], false],
    ["::ffff:10.0.0.1", ["10.0.0.0/8"], true],
    ["10.0.0.1", ["::ffff:10.0.0.0/104"], true],
    ["192.168.1.5", ["192.168.1.5"], true],
    ["192.168.1.6", ["192.168.1.5"], false],
    ["2001:db8::1", ["2001:db8::/32"], true],
    ["2001:db9::1", ["2001:db8::/32"], false],
    ["2001:db8::1", ["10.0.0.0/8"], false],
    ["10.0.0.1", ["::/0"], false],
    ["2001:db8::1", ["0.0.0.0/0"], false],
    ["2001:db8::1", ["::/0"], true],
    ["8.8.8.8", ["10.0.0.0/8", "8.8.8.0/24"], true],
  ])("%s against %j → %s", (address, entries, allowed) => {
    expect(ipAllowed(ip(address), list(...entries))).toBe(allowed);
  });
});

describe("checkAllowlists (tenant and key: the stricter applies)", () => {
  const tenant = list("10.0.0.0/8");
  const key = list("10.1.0.0/16");

  it.each([
    ["10.1.2.3", "both lists", { allowed: true }, { tenant, key }],
    ["10.2.0.1", "both lists", { allowed: false, reason: "key_allowlist" }, { tenant, key }],
    ["192.0.2.1", "both lists", { allowed: false, reason: "tenant_allowlist" }, { tenant, key }],
    ["192.0.2.1", "no list", { allowed: true }, { tenant: [], key: [] }],
    ["10.2.0.1", "the tenant's list only", { allowed: true }, { tenant, key: [] }],
    ["192.0.2.1", "the key's list only", { allowed: false, reason: "key_allowlist" }, { tenant: [], key }],
    ["10.1.2.3", "the key's list only", { allowed: true }, { tenant: [], key }],
  ])("%s with %s → %j", (address, _label, decision, lists) => {
    expect(checkAllowlists(ip(address), lists)).toEqual(decision);
  });

  it("refuses an unknown address when either list is set, and allows it when neither is", () => {
    expect(checkAllowlists(null, { tenant, key: [] })).toEqual({ allowed: false, reason: "no_client_address" });
    expect(checkAllowlists(null, { tenant: [], key })).toEqual({ allowed: false, reason: "no_client_address" });
    expect(checkAllowlists(null, { tenant: [], key: [] })).toEqual({ allowed: true });
  });

  it("refuses everyone when the lists do not overlap", () => {
    const lists = { tenant: list("10.0.0.0/8"), key: list("192.168.0.0/16") };
    for (const a of ["10.0.0.1", "192.168.0.1", "8.8.8.8"]) expect(checkAllowlists(ip(a), lists).allowed).toBe(false);
  });
});

describe("parseAllowlist (admin API)", () => {
  it("returns normalised, de-duplicated text to store", () => {
    const parsed = parseAllowlist([" 10.1.2.3/8 ", "10.0.0.0/8", "2001:DB8::/32", "::ffff:192.0.2.1"]);
    expect(parsed.ok && parsed.canonical).toEqual(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32"]);
    expect(parsed.ok && parsed.allowlist.length).toBe(3);
  });

  it("accepts an empty list (any address)", () => {
    expect(parseAllowlist([])).toMatchObject({ ok: true, canonical: [] });
  });

  it(`accepts ${MAX_ALLOWLIST_ENTRIES} entries and refuses ${MAX_ALLOWLIST_ENTRIES + 1}`, () => {
    const entries = Array.from({ length: MAX_ALLOWLIST_ENTRIES + 1 }, (_, i) => `10.0.${i}.0/24`);
    expect(parseAllowlist(entries.slice(0, MAX_ALLOWLIST_ENTRIES)).ok).toBe(true);
    expect(parseAllowlist(entries)).toEqual({
      ok: false,
      error: { code: "too_many_entries", message: `must hold at most ${MAX_ALLOWLIST_ENTRIES} entries` },
    });
  });

  it.each([null, "10.0.0.0/8", { 0: "10.0.0.0/8" }, 42])("refuses a non-list %j", (input) => {
    expect(parseAllowlist(input)).toMatchObject({ ok: false, error: { code: "not_a_list" } });
  });

  it("reports every bad entry by index, without echoing it", () => {
    const parsed = parseAllowlist(["10.0.0.0/8", 7, "<script>", "10.0.0.0/40"]);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatchObject({
      code: "invalid_entries",
      entries: [
        { index: 1, code: "not_a_string" },
        { index: 2, code: "invalid_address" },
        { index: 3, code: "invalid_prefix" },
      ],
    });
    expect(JSON.stringify(parsed.error)).not.toContain("<script>");
  });

  it("returns a frozen allowlist", () => {
    const parsed = parseAllowlist(["10.0.0.0/8"]);
    expect(parsed.ok && Object.isFrozen(parsed.allowlist)).toBe(true);
  });
});

describe("clientAddress", () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it("reads CF-Connecting-IP in production and test", () => {
    for (const env of ["production", "test"] as const) {
      expect(clientAddress(headers({ "CF-Connecting-IP": "203.0.113.7" }), env)).toEqual(ip("203.0.113.7"));
      expect(clientAddress(headers({ "cf-connecting-ip": "2001:db8::7" }), env)).toEqual(ip("2001:db8::7"));
    }
  });

  it("reads an IPv4-mapped CF-Connecting-IP as IPv4", () => {
    expect(clientAddress(headers({ "CF-Connecting-IP": "::ffff:10.0.0.1" }), "production")).toEqual(ip("10.0.0.1"));
  });

  it("never reads X-Forwarded-For, X-Real-IP, Forwarded or True-Client-IP", () => {
    const spoofed = headers({
      "X-Forwarded-For": "10.0.0.1",
      "X-Real-IP": "10.0.0.1",
      Forwarded: "for=10.0.0.1",
      "True-Client-IP": "10.0.0.1",
    });
    expect(clientAddress(spoofed, "production")).toBeNull();
    spoofed.set("CF-Connecting-IP", "203.0.113.7");
    expect(clientAddress(spoofed, "production")).toEqual(ip("203.0.113.7"));
  });

  it.each(["", "unknown", "10.0.0.1, 10.0.0.2", "10.0.0.1:443", "[2001:db8::1]", "fe80::1%eth0"])(
    "returns null for an unusable CF-Connecting-IP %j",
    (value) => {
      expect(clientAddress(headers({ "CF-Connecting-IP": value }), "production")).toBeNull();
    },
  );

  it("returns null when CF-Connecting-IP is missing", () => {
    expect(clientAddress(headers({}), "production")).toBeNull();
    expect(clientAddress(headers({}), "test")).toBeNull();
  });

  it("is always the loopback address in development, whatever the client sends", () => {
    expect(clientAddress(headers({ "CF-Connecting-IP": "10.0.0.1" }), "development")).toEqual(ip("127.0.0.1"));
    expect(clientAddress(headers({}), "development")).toEqual(ip("127.0.0.1"));
  });

  it("fails closed with an allowlist when the address is missing (regression guard for the request path)", () => {
    const address = clientAddress(headers({ "X-Forwarded-For": "10.0.0.1" }), "production");
    expect(checkAllowlists(address, { tenant: list("10.0.0.0/8"), key: [] }).allowed).toBe(false);
  });
});
