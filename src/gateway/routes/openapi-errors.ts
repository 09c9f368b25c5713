// The error codes each route of the OpenAPI document lists: from where it is served and who may call it (the
// route table), its body and cache controls, and the codes its handler raises itself (operations.ts).
import { ERROR_CODES } from "../http/error-catalog";
import type { ErrorCode } from "../http/errors";
import type { OperationDoc } from "./operations";
import type { RouteSpec } from "./table";

const CREDENTIAL_ERRORS: readonly ErrorCode[] = [
  "missing_api_key",
  "invalid_authorization",
  "malformed_api_key",
  "wrong_environment",
  "invalid_api_key",
  "expired_api_key",
  "foreign_api_key",
  "invalid_token",
  "expired_token",
  "auth_blocked",
];
/** A dashboard session cookie used as the credential (no Authorization header): auth/dashboard-session.ts. */
const SESSION_ERRORS: readonly ErrorCode[] = [
  "invalid_session",
  "session_expired",
  "csrf_token_invalid",
  "cross_origin_request",
];
const BODY_ERRORS: readonly ErrorCode[] = [
  "unsupported_media_type",
  "unsupported_content_encoding",
  "payload_too_large",
  "invalid_json",
  "invalid_request",
  "invalid_field",
];
const CACHE_CONTROL_ERRORS: readonly ErrorCode[] = [
  "invalid_cache_control",
  "invalid_cache_threshold",
  "invalid_cache_ttl",
  "invalid_cache_user",
  "conflicting_cache_user",
  "cache_user_required",
];

/** Every code a route can answer with: from where it is served and who may call it, its body, its own. */
export function errorCodesOf(route: RouteSpec, op: OperationDoc, strictBody: boolean): ErrorCode[] {
  const codes = new Set<ErrorCode>(["https_required"]);
  if (route.access === "tenant") {
    // Served on tenant hosts only (not_found on the platform host); the Host must name the caller's tenant.
    for (const c of [...CREDENTIAL_ERRORS, "not_found", "tenant_not_found", "tenant_mismatch"] as const) codes.add(c);
    for (const c of ["ip_not_allowed", "key_too_old", "rate_limited"] as const) codes.add(c);
    for (const c of SESSION_ERRORS) codes.add(c);
    if (route.scope) codes.add("insufficient_scope");
    if (!route.operator) codes.add("operator_not_allowed");
    if (route.roles) codes.add("owner_only");
  } else if (route.access === "operator") {
    for (const c of [...CREDENTIAL_ERRORS, "not_found", "operator_only"] as const) codes.add(c);
  }
  if (op.body && !op.body.form) {
    for (const c of BODY_ERRORS) codes.add(c);
    if (strictBody) codes.add("unknown_field");
  }
  if (op.cache) for (const c of CACHE_CONTROL_ERRORS) codes.add(c);
  for (const c of op.errors ?? []) codes.add(c);
  if (route.recordFirst) codes.add("audit_unavailable");
  codes.add("internal_error");
  return ERROR_CODES.filter((c) => codes.has(c));
}
