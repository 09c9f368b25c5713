// Client addresses and IP allowlists (tenant policy and per-key `ip_allowlist`). Pure: no I/O, no clock.
//
// Decisions written down here:
// - Addresses are parsed strictly: IPv4 only as four decimal octets without leading zeros (`010.0.0.1` could be
//   read as octal elsewhere, so it is refused); IPv6 in any RFC 4291 text form, compressed or not, with an
//   optional dotted IPv4 tail; zone ids (`fe80::1%eth0`), brackets and surrounding text are refused.
// - An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, in any notation) IS the IPv4 address a.b.c.d: it matches
//   IPv4 entries, and an IPv6 entry inside `::ffff:0:0/96` (prefix ≥ 96) is stored as the IPv4 block it covers.
//   Wider IPv6 entries (`::/0`, `::/1` …) match IPv6 clients only; an IPv4 client needs an IPv4 entry.
// - A CIDR entry with host bits set (`10.1.2.3/8`) is accepted and normalised to its network (`10.0.0.0/8`):
//   it means what the admin most likely meant, and the admin API returns and stores the normalised text, so
//   what is shown is exactly what is enforced. A bare address is a /32 (IPv4) or /128 (IPv6) entry.
// - An empty allowlist allows any address (and a missing one); a non-empty list refuses a missing address.
// - Only `CF-Connecting-IP` identifies the client. Cloudflare's edge sets it and overwrites what a client
//   sends; X-Forwarded-For, X-Real-IP, Forwarded and True-Client-IP are client-controlled and never read.
import type { Config } from "../config";

export type Environment = Config["environment"];

/** A parsed address. `value` is the 32-bit (IPv4) or 128-bit (IPv6) number. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** A CIDR block, normalised: `network` has no bits set beyond `prefix`. */
export interface CidrBlock {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

export type Allowlist = readonly CidrBlock[];

/** The most entries one allowlist (tenant or key) may hold. */
export const MAX_ALLOWLIST_ENTRIES = 100;
/** Longer than any valid entry (an IPv6 address with a dotted tail and a /128 is 49 characters). */
const MAX_ENTRY_CHARS = 64;

const BITS = { 4: 32, 6: 128 } as const;
const V4_MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96
const V4_MAPPED_MASK = ((1n << 96n) - 1n) << 32n;

const OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Hextets of one side of `::` (a dotted IPv4 tail counts as two), or null. */
function parseHextets(side: string, ipv4TailAllowed: boolean): bigint[] | null {
  if (side === "") return [];
  const groups = side.split(":");
  const out: bigint[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (i === groups.length - 1 && ipv4TailAllowed && g.includes(".")) {
      const v4 = parseIpv4(g);
      if (v4 === null) return null;
      out.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEXTET.test(g)) {
      out.push(BigInt(`0x${g}`));
    } else {
      return null;
    }
  }
  return out;
}

function parseIpv6(text: string): bigint | null {
  const gap = text.indexOf("::");
  if (gap !== text.lastIndexOf("::")) return null; // at most one `::`
  let groups: bigint[];
  if (gap === -1) {
    const all = parseHextets(text, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    const head = parseHextets(text.slice(0, gap), false);
    const tail = parseHextets(text.slice(gap + 2), true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/**
 * Parses one IPv4 or IPv6 address. IPv4-mapped IPv6 addresses come back as IPv4. Returns null for anything
 * else: zone ids, brackets, ports, whitespace, IPv4 shorthand (`10.1`), leading zeros in octets.
 */
export function parseIp(text: string): IpAddress | null {
  if (text.length === 0 || text.length > MAX_ENTRY_CHARS) return null;
  if (text.includes(":")) {
    const value = parseIpv6(text);
    if (value === null) return null;
    if ((value & V4_MAPPED_MASK) === V4_MAPPED_PREFIX) return { version: 4, value: value & 0xffffffffn };
    return { version: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { version: 4, value };
}

function hostMask(version: 4 | 6, prefix: number): bigint {
  return (1n << BigInt(BITS[version] - prefix)) - 1n;
}

export type CidrError = "invalid_address" | "invalid_prefix";

/** Parses a CIDR entry (or a bare address), normalising host bits away. See the file comment for the rules. */
export function parseCidr(text: string): { ok: true; block: CidrBlock } | { ok: false; error: CidrError } {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === null) return { ok: false, error: "invalid_address" };

  // The prefix is read against the address as written: `::ffff:10.0.0.0/104` is an IPv6 prefix.
  const writtenBits = addressText.includes(":") ? 128 : 32;
  let prefix = writtenBits;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p) || Number(p) > writtenBits) return { ok: false, error: "invalid_prefix" };
    prefix = Number(p);
  }
  if (writtenBits === 128 && address.version === 4) {
    // A mapped address: only a block that stays inside ::ffff:0:0/96 becomes an IPv4 block.
    if (prefix < 96) return { ok: false, error: "invalid_prefix" };
    prefix -= 96;
  }
  const network = address.value & ~hostMask(address.version, prefix);
  return { ok: true, block: { version: address.version, network, prefix } };
}

export function containsIp(block: CidrBlock, ip: IpAddress): boolean {
  return block.version === ip.version && (ip.value & ~hostMask(block.version, block.prefix)) === block.network;
}

/** Whether every address of `inner` lies in `outer`. */
export function cidrWithin(inner: CidrBlock, outer: CidrBlock): boolean {
  return (
    inner.version === outer.version &&
    outer.prefix <= inner.prefix &&
    (inner.network & ~hostMask(outer.version, outer.prefix)) === outer.network
  );
}

/**
 * Whether an allowlist admits no address that `outer` refuses (for keys minted by a restricted key). An empty
 * `outer` restricts nothing; an empty `inner` admits everything, so it is within only an empty `outer`.
 */
export function allowlistWithin(inner: Allowlist, outer: Allowlist): boolean {
  if (outer.length === 0) return true;
  if (inner.length === 0) return false;
  return inner.every((i) => outer.some((o) => cidrWithin(i, o)));
}

/** Whether `ip` may call. An empty allowlist allows anyone; a non-empty one refuses an unknown (null) address. */
export function ipAllowed(ip: IpAddress | null, allowlist: Allowlist): boolean {
  if (allowlist.length === 0) return true;
  if (ip === null) return false;
  return allowlist.some((block) => containsIp(block, ip));
}

export type AllowlistRefusal = "no_client_address" | "tenant_allowlist" | "key_allowlist";

/**
 * The effective check when a tenant and a key both carry allowlists: the stricter one applies, that is the
 * address must be allowed by every non-empty list (the intersection; an empty list adds no restriction).
 * The refusal names which list refused, for the audit trail — not for the client.
 */
export function checkAllowlists(
  ip: IpAddress | null,
  lists: { tenant: Allowlist; key: Allowlist },
): { allowed: true } | { allowed: false; reason: AllowlistRefusal } {
  if (ip === null && (lists.tenant.length > 0 || lists.key.length > 0)) {
    return { allowed: false, reason: "no_client_address" };
  }
  if (!ipAllowed(ip, lists.tenant)) return { allowed: false, reason: "tenant_allowlist" };
  if (!ipAllowed(ip, lists.key)) return { allowed: false, reason: "key_allowlist" };
  return { allowed: true };
}

export type AllowlistEntryError = { index: number; code: "not_a_string" | CidrError; message: string };
export type AllowlistError =
  | { code: "not_a_list"; message: string }
  | { code: "too_many_entries"; message: string }
  | { code: "invalid_entries"; message: string; entries: AllowlistEntryError[] };

const ENTRY_MESSAGES: Record<AllowlistEntryError["code"], string> = {
  not_a_string: "must be a string",
  invalid_address: "is not an IPv4 or IPv6 address or CIDR block",
  invalid_prefix: "has a prefix length out of range",
};

/**
 * Parses an allowlist as the admin API receives it (`ip_allowlist` of the tenant policy or of a key).
 * Entries are trimmed, host bits are cleared, duplicates are dropped; `canonical` is the text to store and
 * to return to the admin. Messages are safe to return to the client; they never echo the entry.
 */
export function parseAllowlist(
  input: unknown,
): { ok: true; allowlist: Allowlist; canonical: string[] } | { ok: false; error: AllowlistError } {
  if (!Array.isArray(input)) return { ok: false, error: { code: "not_a_list", message: "must be a list" } };
  if (input.length > MAX_ALLOWLIST_ENTRIES) {
    return {
      ok: false,
      error: { code: "too_many_entries", message: `must hold at most ${MAX_ALLOWLIST_ENTRIES} entries` },
    };
  }
  const blocks: CidrBlock[] = [];
  const canonical: string[] = [];
  const errors: AllowlistEntryError[] = [];
  input.forEach((entry: unknown, index) => {
    if (typeof entry !== "string") {
      errors.push({ index, code: "not_a_string", message: `entry ${index} ${ENTRY_MESSAGES.not_a_string}` });
      return;
    }
    const parsed = parseCidr(entry.trim());
    if (!parsed.ok) {
      errors.push({ index, code: parsed.error, message: `entry ${index} ${ENTRY_MESSAGES[parsed.error]}` });
      return;
    }
    const text = formatCidr(parsed.block);
    if (!canonical.includes(text)) {
      canonical.push(text);
      blocks.push(parsed.block);
    }
  });
  if (errors.length > 0) {
    return {
      ok: false,
      error: { code: "invalid_entries", message: "ip_allowlist has invalid entries", entries: errors },
    };
  }
  return { ok: true, allowlist: Object.freeze(blocks), canonical };
}

/** Text of an address: dotted IPv4, or RFC 5952 IPv6 (lower case, longest run of two or more zeros as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join(".");
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function formatCidr(block: CidrBlock): string {
  return `${formatIp({ version: block.version, value: block.network })}/${block.prefix}`;
}

const LOOPBACK: IpAddress = Object.freeze({ version: 4, value: 0x7f000001n });

/**
 * The calling client's address, or null when it cannot be known (callers then fail closed wherever an
 * allowlist is set).
 * - production, test: `CF-Connecting-IP` only, which Cloudflare's edge sets; a missing, repeated (`a, b`) or
 *   unparsable value is null. No other header is ever read, so none can widen access.
 * - development: always the loopback address 127.0.0.1. `wrangler dev` passes a CF-Connecting-IP sent by the
 *   client straight through, so there the header is the caller's word, not the edge's; a tenant that tries an
 *   allowlist locally must list 127.0.0.1.
 */
export function clientAddress(headers: Headers, environment: Environment): IpAddress | null {
  if (environment === "development") return LOOPBACK;
  const value = headers.get("cf-connecting-ip");
  if (value === null) return null;
  return parseIp(value.trim());
}
