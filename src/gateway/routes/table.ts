// The route table as data: method, path, the audit action, where it is served and who may call it (checked by
// policy/access.ts), whether it is audited (liveness and public documents are not; every other routed request
// is, refused ones included), and its error shape. No handlers here, so that tests and documentation in Node
// can read it (docs/security.md's access table is generated from it); routes/index.ts binds one handler to each
// action, and a missing one is a compile error; operations.ts documents each action for the OpenAPI document.
import type { Role, Scope } from "../policy/scopes";

export interface RouteSpec {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
  readonly action: string;
  /** public: any host, no credential; operator: platform host, operator token; tenant: tenant host, scope. */
  readonly access: "public" | "operator" | "tenant";
  /**
   * For tenant routes: the scope a credential needs, or null for any valid credential of the tenant (the
   * operator token is let in only where `operator`).
   */
  readonly scope?: Scope | null;
  readonly operator?: boolean;
  /** For tenant routes: only credentials of these roles (keys and SSO users; access tokens carry no role). */
  readonly roles?: readonly Role[];
  /** False for liveness probes and public documents: no audit event (they are counted in metrics). */
  readonly audited: boolean;
  /**
   * The error shape: the contract's (default), OAuth 2.0's (RFC 6749 §5.2) for the token endpoint, or a small
   * HTML page for the routes a browser navigates to (the dashboard's single sign-on).
   */
  readonly errors?: "oauth" | "page";
  /**
   * An administrative change: its handler records it in the audit trail before making it (rc.recordChange),
   * and is refused (503, nothing changed) when the event cannot be enqueued.
   */
  readonly recordFirst?: true;
}

export const ROUTE_TABLE = [
  { method: "GET", path: "/healthz", action: "health", access: "public", audited: false },
  {
    method: "GET",
    path: "/docs/errors",
    action: "docs.errors",
    access: "public",
    audited: false,
  },
  {
    method: "GET",
    path: "/openapi.json",
    action: "docs.openapi",
    access: "public",
    audited: false,
  },
  {
    method: "POST",
    path: "/v1/chat/completions",
    action: "chat.completions",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/models",
    action: "models.list",
    access: "tenant",
    scope: null,
    operator: true,
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/models/:id+",
    action: "models.get",
    access: "tenant",
    scope: null,
    operator: true,
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/embeddings",
    action: "embeddings.create",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/cache/query",
    action: "cache.query",
    access: "tenant",
    scope: "cache:read",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/cache/entries",
    action: "cache.entry.list",
    access: "tenant",
    scope: "cache:read",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/cache/entries/:id",
    action: "cache.entry.get",
    access: "tenant",
    scope: "cache:read",
    audited: true,
  },
  {
    method: "DELETE",
    path: "/v1/cache/entries/:id",
    action: "cache.entry.delete",
    recordFirst: true,
    access: "tenant",
    scope: "cache:delete",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/cache/erase",
    action: "cache.erase",
    recordFirst: true,
    access: "tenant",
    scope: "cache:delete",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/cache/export",
    action: "cache.export",
    access: "tenant",
    scope: "cache:read",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/responses",
    action: "responses.create",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/responses/:id",
    action: "responses.retrieve",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "DELETE",
    path: "/v1/responses/:id",
    action: "responses.delete",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/responses/:id/cancel",
    action: "responses.cancel",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/responses/:id/input_items",
    action: "responses.input_items.list",
    access: "tenant",
    scope: "completions",
    audited: true,
  },
  { method: "GET", path: "/v1/audit", action: "audit.list", access: "tenant", scope: "audit:read", audited: true },
  {
    method: "GET",
    path: "/v1/audit/verify",
    action: "audit.verify",
    access: "tenant",
    scope: "audit:read",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/analytics",
    action: "analytics.read",
    access: "tenant",
    scope: "analytics:read",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/keys",
    action: "key.create",
    recordFirst: true,
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/keys",
    action: "key.list",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/keys/:id",
    action: "key.get",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "DELETE",
    path: "/v1/admin/keys/:id",
    action: "key.revoke",
    recordFirst: true,
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/keys/:id/rotate",
    action: "key.rotate",
    recordFirst: true,
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/virtual-keys",
    action: "virtual_key.create",
    recordFirst: true,
    access: "tenant",
    scope: "virtual_keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/virtual-keys",
    action: "virtual_key.list",
    access: "tenant",
    scope: "virtual_keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "DELETE",
    path: "/v1/admin/virtual-keys/:id",
    action: "virtual_key.delete",
    recordFirst: true,
    access: "tenant",
    scope: "virtual_keys:manage",
    operator: true,
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/policy",
    action: "policy.get",
    access: "tenant",
    scope: "policy:manage",
    operator: true,
    audited: true,
  },
  {
    method: "PUT",
    path: "/v1/admin/policy",
    action: "policy.update",
    recordFirst: true,
    access: "tenant",
    scope: "policy:manage",
    operator: true,
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/lockdown",
    action: "tenant.lockdown",
    recordFirst: true,
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    roles: ["owner"],
    audited: true,
  },
  {
    method: "POST",
    path: "/oauth/token",
    action: "oauth.token",
    access: "public",
    audited: true,
    errors: "oauth",
  },
  {
    method: "GET",
    path: "/.well-known/jwks.json",
    action: "oauth.jwks",
    access: "public",
    audited: false,
  },
  {
    method: "POST",
    path: "/v1/admin/tenants",
    action: "tenant.create",
    recordFirst: true,
    access: "operator",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/tenants",
    action: "tenant.list",
    access: "operator",
    audited: true,
  },
  {
    method: "DELETE",
    path: "/v1/admin/tenants/:id",
    action: "tenant.delete",
    recordFirst: true,
    access: "operator",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/master-key/rewrap",
    action: "master_key.rewrap",
    recordFirst: true,
    access: "operator",
    audited: true,
  },
  {
    method: "GET",
    path: "/v1/admin/audit/dead-letters",
    action: "audit.dead_letters",
    access: "operator",
    audited: true,
  },
  {
    method: "POST",
    path: "/v1/admin/audit/dead-letters/:id/replay",
    action: "audit.dead_letter.replay",
    recordFirst: true,
    access: "operator",
    audited: true,
  },
  // The tenant dashboard (src/gateway/dashboard): its page and assets, and its sessions, which resolve the tenant
  // and authenticate the sign-in themselves (an API key in the body, or single sign-on).
  { method: "GET", path: "/dashboard", action: "dashboard.page", access: "public", audited: false },
  { method: "GET", path: "/dashboard/assets/:file", action: "dashboard.asset", access: "public", audited: false },
  {
    method: "POST",
    path: "/dashboard/session",
    action: "dashboard.session.create",
    access: "public",
    audited: true,
  },
  { method: "GET", path: "/dashboard/session", action: "dashboard.session.get", access: "public", audited: false },
  {
    method: "POST",
    path: "/dashboard/logout",
    action: "dashboard.session.delete",
    access: "public",
    audited: true,
  },
  {
    method: "GET",
    path: "/dashboard/sso/start",
    action: "dashboard.sso.start",
    access: "public",
    audited: false,
    errors: "page",
  },
  {
    method: "GET",
    path: "/dashboard/sso/callback",
    action: "dashboard.sso.callback",
    access: "public",
    audited: true,
    errors: "page",
  },
] as const satisfies readonly RouteSpec[];

export type RouteAction = (typeof ROUTE_TABLE)[number]["action"];
