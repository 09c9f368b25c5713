// Tenant resolution from the Host: `{tenant}.{BASE_DOMAIN}`, the platform host itself, or a custom hostname
// mapped to a tenant in KV. Only the server-side mapping decides; nothing the client sends besides the Host.
// Every Host is classified before any lookup: an IP literal, or anything that is not a DNS hostname, never
// reaches storage.
import { TENANT_ID_PATTERN } from "../shared/ids";

/** A lower-case DNS hostname: labels of letters, digits and inner hyphens, at most 253 characters. */
export const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type HostKind =
  | { kind: "platform" }
  | { kind: "tenant"; id: string }
  | { kind: "custom"; hostname: string }
  | { kind: "ip" }
  | { kind: "invalid" };

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** `hostname` as URL gives it (lower case; IPv6 literals in brackets). */
export function classifyHost(hostname: string, baseDomain: string): HostKind {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") || IPV4.test(host)) return { kind: "ip" };
  if (!HOSTNAME_PATTERN.test(host)) return { kind: "invalid" };
  if (host === baseDomain) return { kind: "platform" };
  const suffix = `.${baseDomain}`;
  if (host.endsWith(suffix)) {
    const label = host.slice(0, -suffix.length);
    return TENANT_ID_PATTERN.test(label) ? { kind: "tenant", id: label } : { kind: "invalid" };
  }
  return { kind: "custom", hostname: host };
}

/** Plain HTTP is refused, except in development from a loopback host. */
export function isAllowedTransport(url: URL, allowLocalHttp: boolean): boolean {
  if (url.protocol === "https:") return true;
  if (!allowLocalHttp || url.protocol !== "http:") return false;
  const h = url.hostname;
  return h === "localhost" || h.endsWith(".localhost") || h === "127.0.0.1" || h === "[::1]";
}
