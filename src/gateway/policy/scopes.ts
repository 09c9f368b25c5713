// Roles and the scopes they grant. A key carries a role and, optionally, a narrower set of its scopes.

export const SCOPES = [
  "completions",
  "cache:read",
  "cache:write",
  "cache:delete",
  "analytics:read",
  "audit:read",
  "keys:manage",
  "virtual_keys:manage",
  "policy:manage",
] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLES = ["owner", "admin", "developer", "viewer", "service"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  owner: SCOPES,
  admin: SCOPES,
  developer: ["completions", "cache:read", "cache:write", "analytics:read"],
  viewer: ["cache:read", "analytics:read", "audit:read"],
  service: ["completions", "cache:read", "cache:write"],
};

/** The scopes a key holds: its role's, narrowed to `requested` when given. Returns null if `requested` widens. */
export function grantScopes(role: Role, requested?: readonly Scope[]): Scope[] | null {
  const allowed = ROLE_SCOPES[role];
  if (!requested) return [...allowed];
  if (requested.some((s) => !allowed.includes(s))) return null;
  return SCOPES.filter((s) => requested.includes(s));
}
