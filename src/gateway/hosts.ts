// Tenant resolution from the Host: `{tenant}.{BASE_DOMAIN}`, the platform host itself, or a custom hostname
// mapped to a tenant in KV. Only the server-side mapping decides; nothing the client sends besides the Host.
import { TENANT_ID_PATTERN } from "../shared/ids";

/** A lower-case DNS hostname: labels of letters, digits and inner hyphens, at most 253 characters. */
export const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type HostKind =
  | { kind: "platform" }
  | { kind: "tenant"; id: string }
  | { kind: "custom"; hostname: string }
  | { kind: "invalid" };

export function classifyHost(hostname: string, baseDomain: string): HostKind {
  const host = hostname.toLowerCase().replace(/\.$/, "");
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
