// IP addresses. Only addresses that can identify someone are reported: globally routable ones. Loopback,
// private (RFC 1918), carrier-grade NAT, link-local, multicast, reserved, unspecified and documentation ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), and the well-known public DNS resolvers
// (8.8.8.8, 1.1.1.1, 9.9.9.9, …) are addresses too, but they name no person and fill every log and networking
// question, so they are left alone.
//
// IPv4 is read from digit chains (see digit-chains.ts): exactly four dot-joined groups, each 0–255 without a
// leading zero, not part of a longer dotted number ("1.2.3.4.5"), not glued to a word ("v1.2.3.4"), not after a
// word that makes it a version or a section number ("version 2.10.4.1", "section 4.2.1.3"). Four octets all below
// 32 ("4.2.1.0", "19.2.3.1", "25.4.5.4") read as a version or a spec's section number far more often than as an
// address (fewer than 1 in 4,000 addresses look like that): they count only after a word that makes them one
// ("ip", "address", "host", "ping", "from"…). A CIDR block with a prefix shorter than /32 is a network, not an
// address.
// IPv6: full, compressed ("::") and IPv4-embedded ("::ffff:81.2.69.160") forms with at least three groups
// written; global unicast (2000::/3) only, or an embedded public IPv4 address.
import type { DigitChain } from "./digit-chains";
import type { PiiFinding } from "./kinds";
import { wordAt, wordsBefore } from "./text";

/** Words after which a dotted quad is a version or a section number. */
const VERSION_WORDS = new Set(
  (
    "v ver version versions release rel build firmware fw driver kernel sdk oid section sect sec chapter ch clause " +
    "para paragraph figure fig article art appendix annex exercise lesson step vol volume edition"
  ).split(" "),
);
/** Verbs that make "… to 1.2.3.4" / "… from 1.2.3.4" a version change. */
const VERSION_VERBS = new Set(
  "upgrade upgraded update updated downgrade downgraded bump bumped pin pinned install installed".split(" "),
);
/** Words that make a dotted quad of small octets an address after all. */
const ADDRESS_WORDS = new Set(
  (
    "ip ipv ips addr address addresses host hostname server client peer remote src dst source destination " +
    "gateway dns from ping ssh curl connect connected connecting block blocked allow deny whitelist allowlist blocklist"
  ).split(" "),
);

const RESOLVERS_V4 = new Set([
  "1.1.1.1",
  "1.0.0.1",
  "8.8.8.8",
  "8.8.4.4",
  "9.9.9.9",
  "149.112.112.112",
  "208.67.222.222",
  "208.67.220.220",
]);
const RESOLVERS_V6 = new Set([
  "2606:4700:4700:0:0:0:0:1111",
  "2606:4700:4700:0:0:0:0:1001",
  "2001:4860:4860:0:0:0:0:8888",
  "2001:4860:4860:0:0:0:0:8844",
  "2620:fe:0:0:0:0:0:fe",
]);

/** `dotted` is the address as written, for the resolver list. */
export function isPublicIPv4([a, b, c]: readonly number[], dotted: string): boolean {
  if (a === undefined || b === undefined || c === undefined) return false;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this network, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local
  if (a === 172 && b >= 16 && b <= 31) return false; // private
  if (a === 192 && (b === 168 || (b === 0 && (c === 0 || c === 2)) || (b === 88 && c === 99))) return false;
  if (a === 198 && (b === 18 || b === 19 || (b === 51 && c === 100))) return false; // benchmarking, TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return !RESOLVERS_V4.has(dotted);
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** The four octets of a dotted quad, or null. */
export function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const v = Number(part);
    if (v > 255) return null;
    octets.push(v);
  }
  return octets;
}

/** Groups [from, to) of the chain, four dot-joined groups, are a public IPv4 address written as one. */
function ipv4At(text: string, chain: DigitChain, from: number, to: number): boolean {
  if ((from === 0 && chain.plus) || !notNetwork(text, chain, to)) return false;
  const start = chain.groupStart[from]!;
  const dotted = text.slice(start, chain.groupEnd[to - 1]);
  const octets = parseIPv4(dotted);
  if (!octets || !isPublicIPv4(octets, dotted)) return false;
  const at = from === 0 ? chain.start : start;
  if (text.charCodeAt(at - 1) === 0xa7 || text.charCodeAt(at - 2) === 0xa7) return false; // "§ 4.2.1.3"
  const [last = "", previous = ""] = wordsBefore(text, at, 2);
  if (VERSION_WORDS.has(last) || ((last === "to" || last === "from") && VERSION_VERBS.has(previous))) return false;
  return octets.some((o) => o >= 32) || ADDRESS_WORDS.has(last);
}

/** IPv4 addresses in one chain, as group ranges [from, to): each maximal run of exactly four dot-joined groups. */
export function ipv4sInChain(text: string, chain: DigitChain): [number, number][] {
  const found: [number, number][] = [];
  const groups = chain.groupStart.length;
  let from = 0;
  while (from < groups) {
    let to = from + 1;
    while (to < groups && chain.joiners[to - 1] === ".") to++;
    if (to - from === 4 && ipv4At(text, chain, from, to)) found.push([from, to]);
    from = to;
  }
  return found;
}

/** "a.b.c.d/n" with n < 32 is a network; "/32" is one host. */
function notNetwork(text: string, chain: DigitChain, to: number): boolean {
  if (to === chain.groupStart.length || chain.joiners[to - 1] !== "/") return true;
  const prefix = text.slice(chain.groupStart[to], chain.groupEnd[to]);
  return prefix.length > 2 || Number(prefix) >= 32;
}

// A run of hex digits, ":" and "." with a ":" within its first five characters. The lookbehind lets a match start
// only where such a run starts, and every quantifier is bounded: linear on any input.
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{1,44}/g;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parsePieces(part: string, allowV4: boolean): number[] | null {
  if (part === "") return [];
  const out: number[] = [];
  const pieces = part.split(":");
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (allowV4 && i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIPv4(piece);
      if (!v4) return null;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(piece)) out.push(Number.parseInt(piece, 16));
    else return null;
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address and how many were written, or null. */
export function parseIPv6(s: string): { groups: number[]; written: number } | null {
  const gap = s.indexOf("::");
  if (gap === -1) {
    const groups = parsePieces(s, true);
    return groups && groups.length === 8 ? { groups, written: 8 } : null;
  }
  if (s.indexOf("::", gap + 1) !== -1) return null;
  const head = parsePieces(s.slice(0, gap), false);
  const tail = parsePieces(s.slice(gap + 2), true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return { groups, written: head.length + tail.length };
}

export function isPublicIPv6(g: readonly number[]): boolean {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const embedded = () => {
    const octets = [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];
    return isPublicIPv4(octets, octets.join("."));
  };
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return embedded(); // IPv4-mapped or -compatible
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embedded(); // NAT64
  if ((g[0]! & 0xe000) !== 0x2000) return false; // outside global unicast 2000::/3
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false; // documentation
  return !RESOLVERS_V6.has(g.map((x) => x.toString(16)).join(":"));
}

const isRunCode = (c: number) => (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 0x2e; // 0-9 : A-F a-f .

/** Public IPv6 addresses in `text`. */
export function ipv6Addresses(text: string): PiiFinding[] {
  const found: PiiFinding[] = [];
  for (const m of text.matchAll(IPV6_CANDIDATE)) {
    let start = m.index;
    let s = m[0];
    const runEnd = start + s.length;
    if (isRunCode(text.charCodeAt(runEnd)) || wordAt(text, runEnd)) continue; // longer than any address, or glued
    if (s[0] === ":" && s[1] !== ":") {
      s = s.slice(1); // "ip:2001:…": a label glued with ":"
      start++;
    } else if (wordAt(text, start - 1)) continue;
    while (s.endsWith(".")) s = s.slice(0, -1);
    if (s.endsWith(":") && !s.endsWith("::")) s = s.slice(0, -1);
    const parsed = parseIPv6(s);
    if (parsed && parsed.written >= 3 && isPublicIPv6(parsed.groups))
      found.push({ kind: "ip_address", start, end: start + s.length });
  }
  return found;
}
