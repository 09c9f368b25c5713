// The tenant policy's `oidc` object (single sign-on through the tenant's OpenID Provider), as the admin API
// accepts it, and the rules its jwks_uri must meet. Verification itself is in auth/oidc.ts.
import * as z from "zod";
import { ROLES } from "./scopes";

export const MAX_ROLE_MAP_ENTRIES = 100;

const ROLE_CLAIM = /^[\x21-\x7e]{1,256}$/;

/** The tenant policy's `oidc` object, as the admin API accepts it. */
export const OidcConfigSchema = z.strictObject({
  issuer: z.string().min(1).max(512),
  audience: z.string().min(1).max(512),
  jwks_uri: z.string().min(1).max(2048),
  role_claim: z.string().regex(ROLE_CLAIM, "must be a claim name or dotted path"),
  role_map: z
    .record(z.string().min(1).max(256), z.enum(ROLES))
    .refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= MAX_ROLE_MAP_ENTRIES, {
      message: `must map 1 to ${MAX_ROLE_MAP_ENTRIES} claim values to roles`,
    }),
});
export type OidcConfig = z.infer<typeof OidcConfigSchema>;

export type JwksUriProblem = "invalid_jwks_uri" | "insecure_jwks_uri";

/**
 * Why a jwks_uri may not be used, or null. Production: https to a DNS name only. `allowInsecure` (local
 * development) also lets http, localhost and IP literals through.
 */
export function jwksUriProblem(uri: string, allowInsecure: boolean): JwksUriProblem | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "invalid_jwks_uri";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "invalid_jwks_uri";
  if (url.username !== "" || url.password !== "" || url.hash !== "") return "invalid_jwks_uri";
  if (allowInsecure) return null;
  if (url.protocol !== "https:") return "insecure_jwks_uri";
  // A fully qualified name (`localhost.`) is the same host as without its trailing dot.
  const host = url.hostname.replace(/\.+$/, "");
  const local = host === "localhost" || host.endsWith(".localhost");
  const ipLiteral = host.startsWith("[") || /^[\d.]+$/.test(host);
  return local || ipLiteral ? "insecure_jwks_uri" : null;
}

/** Parses and checks the `oidc` policy object for the admin API. Messages are safe to return to the client. */
export function parseOidcConfig(
  input: unknown,
  opts: { allowInsecure: boolean },
): { ok: true; config: OidcConfig } | { ok: false; issues: { path: string; message: string }[] } {
  const parsed = OidcConfigSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    };
  }
  const problem = jwksUriProblem(parsed.data.jwks_uri, opts.allowInsecure);
  if (problem !== null) {
    const message = problem === "insecure_jwks_uri" ? "must be an https URL of a public host" : "must be a URL";
    return { ok: false, issues: [{ path: "jwks_uri", message }] };
  }
  return { ok: true, config: parsed.data };
}
