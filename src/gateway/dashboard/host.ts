// The tenant the Host names, for the dashboard's routes that resolve it themselves (public routes: the sign-in
// authenticates in its body or through single sign-on). Null when the Host names none — the platform host, an
// IP literal, an unknown tenant — which the caller learns only once it proves who it is.

import { fromSameOrigin } from "../auth/session-cookie";
import type { RequestContext } from "../context";
import { classifyHost } from "../hosts";
import { fail } from "../http/errors";
import type { TenantRecord } from "../storage/records";

export async function tenantAtHost(rc: RequestContext): Promise<TenantRecord | null> {
  const host = classifyHost(rc.url.hostname, rc.rt.config.baseDomain);
  switch (host.kind) {
    case "tenant":
      return rc.rt.tenantDirectory.get(host.id);
    case "custom": {
      const id = await rc.rt.tenantDirectory.tenantForHostname(host.hostname);
      return id === null ? null : rc.rt.tenantDirectory.get(id);
    }
    default:
      return null;
  }
}

/** Sign-in and sign-out change the browser's session: only the dashboard's own page may ask for either. */
export function requireSameOrigin(rc: RequestContext): void {
  if (!fromSameOrigin(rc.request.headers, rc.url.origin)) {
    throw fail("cross_origin_request", { reason: "dashboard_from_other_origin" });
  }
}
