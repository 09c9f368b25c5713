// Every error code Cordon returns, with its HTTP status, its public message and what to do next. This table is
// the only place a code is defined: `ApiError` takes a key of it, so a code typed anywhere else is a compile
// error, and docs/errors.md is generated from it (`npm run docs:errors`). A node-side test fails when a code
// here is never raised by the gateway or is missing from the generated catalogue.
//
// The error `type` follows from the status (SPEC §2): 400/404/405/409/413/415/422 invalid_request_error,
// 401 authentication_error, 403 permission_error, 429 rate_limit_error, 502/504 upstream_error, 500
// internal_error.

export interface ErrorSpec {
  readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;
  /** What went wrong, in one sentence. A call site may replace it with a more specific sentence. */
  readonly message: string;
  /** What to do next. Always appended to the message the client receives. */
  readonly fix: string;
  /** Headers every response with this code carries (a call site may add others). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const ERROR_CATALOG = {
  // ── transport and routing ─────────────────────────────────────────────────────────────────────────────
  https_required: {
    status: 403,
    message: "Cordon accepts HTTPS requests only.",
    fix: "Send the request to the https:// address of your tenant host.",
  },
  not_found: {
    status: 404,
    message: "No such endpoint.",
    fix: "Check the path against the API reference at /openapi.json.",
  },
  method_not_allowed: {
    status: 405,
    message: "This endpoint does not accept that method.",
    fix: "Use a method listed in the Allow header.",
  },
  tenant_not_found: {
    status: 404,
    message: "No tenant is served at this host.",
    fix:
      "Send requests to https://{tenant}.{base domain} as given by your operator; " +
      "IP addresses and other hosts do not name a tenant.",
  },

  // ── request bodies ────────────────────────────────────────────────────────────────────────────────────
  unsupported_media_type: {
    status: 415,
    message: "Content-Type must be application/json.",
    fix: "Send a JSON body with 'Content-Type: application/json'.",
  },
  unsupported_content_encoding: {
    status: 415,
    message: "The request body is compressed (Content-Encoding), which Cordon does not decode.",
    fix: "Send the body uncompressed, without a Content-Encoding header.",
    headers: { "accept-encoding": "identity" },
  },
  payload_too_large: {
    status: 413,
    message: "The request body is too large.",
    fix: "Send a smaller body; the limit is stated in the message.",
  },
  invalid_json: {
    status: 400,
    message: "The request body is not valid JSON.",
    fix: "Send one UTF-8 JSON object.",
  },
  invalid_request: {
    status: 400,
    message: "The request body is invalid.",
    fix: "Check the body against the API reference at /openapi.json.",
  },
  invalid_field: {
    status: 400,
    message: "A field has an invalid value.",
    fix: "Correct the field named in the message.",
  },
  unknown_field: {
    status: 400,
    message: "The body has a field this endpoint does not know.",
    fix: "Remove the field named in the message; Cordon's own endpoints refuse unknown fields.",
  },
  invalid_limit: {
    status: 400,
    message: "limit must be a whole number from 1 to 1000.",
    fix: "Pass a limit in range, or omit it for the default.",
  },

  // ── cache controls ────────────────────────────────────────────────────────────────────────────────────
  invalid_cache_control: {
    status: 400,
    message: "x-cache-control accepts no-store, no-cache and only-if-cached.",
    fix: "Send one or more of those directives, comma-separated (no-cache and only-if-cached exclude each other).",
  },
  invalid_cache_threshold: {
    status: 400,
    message: "x-cache-threshold must be a number from 0.0 to 1.0.",
    fix: "Send a decimal such as 0.95; it can only raise the tenant's threshold.",
  },
  invalid_cache_ttl: {
    status: 400,
    message: "x-cache-ttl must be a whole number of seconds, at least 1.",
    fix: "Send a whole number of seconds; it can only shorten the tenant's TTL.",
  },
  invalid_cache_user: {
    status: 400,
    message: "The cache user must be 1–256 printable ASCII characters.",
    fix: "Send a stable, opaque user id (not an e-mail address) in x-cache-user or the 'user' field.",
  },
  conflicting_cache_user: {
    status: 400,
    message: "x-cache-user and the 'user' field name different users.",
    fix: "Send the same user in both, or only one of them.",
  },
  cache_user_required: {
    status: 400,
    message: "This cache is per user, and the request names no user.",
    fix: "Send x-cache-user (or the OpenAI 'user' field) with the end user's opaque id.",
  },
  pii_detected: {
    status: 422,
    message: "The request contains personal data, and this tenant refuses such requests.",
    fix: "Remove the kinds of data named in the message (or ask an administrator about the tenant's pii_mode).",
  },
  unscannable_input: {
    status: 422,
    message: "This tenant scans every input for personal data, and token-array input cannot be scanned.",
    fix: "Send the inputs as text; the gateway cannot read token arrays without the model's tokenizer.",
  },
  virtual_key_not_found: {
    status: 404,
    message: "No virtual key with this id exists in this tenant.",
    fix: "List the tenant's virtual keys with GET /v1/admin/virtual-keys.",
  },
  previous_response_not_found: {
    status: 400,
    message: "No response with this id was made through this tenant for this user.",
    fix: "Continue from a response this tenant's requests made for the same user (its id), or send the conversation again.",
  },
  response_not_found: {
    status: 404,
    message: "No response with this id was made through this tenant for this user.",
    fix: "Name a response this tenant's requests stored for the same user (store not false), within 30 days.",
  },
  provider_object_not_found: {
    status: 400,
    message:
      "The request names a file, vector store, container or conversation, and this tenant has no provider credential of its own to reach it with.",
    fix: "Add a virtual key for the model's provider (POST /v1/admin/virtual-keys) and make the object with that account.",
  },
  model_not_found: {
    status: 404,
    message: "The model does not exist or you do not have access to it.",
    fix: "List the models this gateway serves with GET /v1/models.",
  },
  entry_not_found: {
    status: 404,
    message: "No cache entry with this id exists for this caller.",
    fix: "Use the id from a miss's x-cache-entry-id header or a cache query's entry_id; erased and expired entries are gone.",
  },
  not_cached: {
    status: 504,
    message: "No cached answer, and x-cache-control: only-if-cached forbids calling the provider.",
    fix: "Retry without only-if-cached to let Cordon call the provider.",
  },

  // ── authentication ────────────────────────────────────────────────────────────────────────────────────
  missing_api_key: {
    status: 401,
    message: "No credential was sent.",
    fix: "Send 'Authorization: Bearer <key>' with a Cordon API key (cdn_…) or an access token.",
    // RFC 6750 §3.1: a request with no credential is challenged without an error code.
    headers: { "www-authenticate": 'Bearer realm="cordon"' },
  },
  invalid_authorization: {
    status: 401,
    message: "The Authorization header is not of the form 'Bearer <credential>'.",
    fix: "Send exactly 'Authorization: Bearer <key>', one space, no quotes.",
  },
  malformed_api_key: {
    status: 401,
    message: "The API key is malformed: its format or checksum is wrong.",
    fix: "Copy the whole key (cdn_{env}_…_{checksum}) as it was shown when it was created.",
  },
  wrong_environment: {
    status: 401,
    message: "The API key is for another environment.",
    fix: "Use a key of the environment named in the message; keys are separate per environment.",
  },
  invalid_api_key: {
    status: 401,
    message: "The API key is not valid.",
    fix: "Check that the key was not revoked or rotated out, or create a new one.",
  },
  expired_api_key: {
    status: 401,
    message: "The API key has expired.",
    fix: "Create a new key, or rotate this one before it expires next time.",
  },
  foreign_api_key: {
    status: 401,
    message: "This is a model provider's API key, not a Cordon key.",
    fix: "Send a Cordon key (cdn_…) in Authorization; provider keys belong in the tenant's virtual keys.",
  },
  invalid_token: {
    status: 401,
    message: "The bearer token is not valid here.",
    fix: "Request a new access token from /oauth/token (or sign in again with single sign-on).",
  },
  expired_token: {
    status: 401,
    message: "The bearer token has expired.",
    fix: "Request a new access token from /oauth/token (or sign in again); tokens are short-lived.",
  },
  key_too_old: {
    status: 401,
    message: "This key is older than the tenant's maximum key age.",
    fix: "Rotate the key (POST /v1/admin/keys/{id}/rotate) or create a new one.",
  },
  auth_blocked: {
    status: 429,
    message: "Too many failed authentication attempts from this client.",
    fix: "Wait for the time in Retry-After, and check the credential before retrying.",
  },
  tenant_mismatch: {
    status: 403,
    message: "This credential does not belong to the tenant of this host.",
    fix: "Send it to its own tenant's host, or use a key of this tenant.",
  },

  // ── authorization ─────────────────────────────────────────────────────────────────────────────────────
  insufficient_scope: {
    status: 403,
    message: "This credential lacks the scope this endpoint needs.",
    fix: "Use a key whose role grants the scope named in the message (README, 'Scopes').",
    // RFC 6750 §3: a credential that does not enable access is challenged, naming the error.
    headers: { "www-authenticate": 'Bearer realm="cordon", error="insufficient_scope"' },
  },
  ip_not_allowed: {
    status: 403,
    message: "Requests from this address are not allowed for this tenant or key.",
    fix: "Call from an address in the tenant's and the key's ip_allowlist, or ask an administrator to add it.",
  },
  rate_limited: {
    status: 429,
    message: "Rate limit reached.",
    fix: "Retry after the time in Retry-After; the x-ratelimit-* headers show the limit and when it resets.",
  },
  operator_only: {
    status: 403,
    message: "Only the platform operator can call this endpoint.",
    fix: "Call it on the platform host with the operator token.",
  },
  operator_not_allowed: {
    status: 403,
    message: "The operator token cannot call this endpoint.",
    fix: "Use an API key of this tenant; the operator token only administers tenants and keys.",
  },
  invalid_scopes: {
    status: 400,
    message: "The role cannot hold all of the requested scopes.",
    fix: "Request only scopes the role grants (README, 'Scopes'), or choose another role.",
  },
  scope_escalation: {
    status: 403,
    message: "A key cannot create or rotate a key with more access than it has itself.",
    fix: "Ask a key holding that access, or the operator, to do it.",
  },
  key_not_found: {
    status: 404,
    message: "No key with this id exists in this tenant.",
    fix: "List the tenant's keys with GET /v1/admin/keys to find its id.",
  },
  key_not_rotatable: {
    status: 409,
    message: "Only an active key can be rotated.",
    fix: "Create a new key instead; a revoked or expired key stays so.",
  },
  invalid_expiry: {
    status: 400,
    message: "expires_at must be in the future and within five years.",
    fix: "Send an ISO 8601 time with an offset, e.g. 2027-01-01T00:00:00Z.",
  },

  // ── OAuth 2.0 token endpoint (RFC 6749 §5.2: these codes are the `error` of the token response) ───────
  invalid_client: {
    status: 401,
    message: "Client authentication failed.",
    fix: "Authenticate with client_id = the API key's id and client_secret = its secret (HTTP Basic or form fields).",
  },
  unsupported_grant_type: {
    status: 400,
    message: "Only the client_credentials grant is supported.",
    fix: "Send grant_type=client_credentials.",
  },
  invalid_scope: {
    status: 400,
    message: "The requested scope is unknown or wider than the client's.",
    fix: "Request only scopes the API key holds, space-separated, or omit scope to get all of them.",
  },
  unsupported_media_type_form: {
    status: 415,
    message: "The token endpoint takes application/x-www-form-urlencoded.",
    fix: "Send the parameters form-encoded, as RFC 6749 requires.",
  },

  // ── policy ────────────────────────────────────────────────────────────────────────────────────────────
  policy_locks_out_caller: {
    status: 409,
    message: "This policy's ip_allowlist does not allow the address this request comes from.",
    fix: "Add your address to ip_allowlist, or repeat the request with ?confirm=true if you mean to lock yourself out.",
  },
  policy_changed: {
    status: 409,
    message: "The policy changed since the version named in If-Match.",
    fix: "Read the policy again (GET /v1/admin/policy), apply your change to it, and send it with the new ETag.",
  },
  owner_only: {
    status: 403,
    message: "Only the tenant's owner or the platform operator can do this.",
    fix: "Use an owner key (or sign in as an owner), or ask the operator.",
  },

  // ── dashboard (sessions, single sign-on) ───────────────────────────────────────────────────────────────
  invalid_session: {
    status: 401,
    message: "The dashboard session is not valid here.",
    fix: "Sign in again at /dashboard; a session ends when its key is revoked or the tenant is locked down.",
  },
  session_expired: {
    status: 401,
    message: "The dashboard session has expired.",
    fix: "Sign in again at /dashboard; sessions last at most an hour.",
  },
  csrf_token_invalid: {
    status: 403,
    message: "A request with the dashboard session cookie lacks its matching x-cordon-csrf header.",
    fix: "Reload the dashboard; API clients send 'Authorization: Bearer <key>' instead of the cookie.",
  },
  cross_origin_request: {
    status: 403,
    message: "The dashboard accepts changes only from its own origin.",
    fix: "Use the dashboard at this host's /dashboard; other sites cannot act with its session.",
  },
  dashboard_unavailable: {
    status: 404,
    message: "This deployment serves no dashboard.",
    fix: "Deploy the gateway with its [assets] (npm run build:dashboard runs before wrangler deploy).",
  },
  sso_not_configured: {
    status: 404,
    message: "Single sign-on is not configured at this host.",
    fix: "Sign in with an API key, or ask the tenant's owner to set the policy's oidc.",
  },
  sso_state_invalid: {
    status: 400,
    message: "The single sign-on attempt expired, or was not started in this browser.",
    fix: "Start again from /dashboard; sign-in must finish within 10 minutes, in the browser that began it.",
  },
  sso_provider_error: {
    status: 502,
    message: "The identity provider could not complete the sign-in.",
    fix: "Retry; if it persists, check the provider's discovery document and that the app is a public client with PKCE and this host's /dashboard/sso/callback as redirect URI.",
  },
  sso_denied: {
    status: 401,
    message: "The identity provider's sign-in was not accepted.",
    fix: "Check that your account is in a group the tenant's role_map names, or ask the tenant's owner.",
  },

  // ── tenants ───────────────────────────────────────────────────────────────────────────────────────────
  tenant_exists: {
    status: 409,
    message: "A tenant with this id already exists.",
    fix: "Choose another id, or delete the existing tenant first.",
  },
  hostname_taken: {
    status: 409,
    message: "The hostname is mapped to another tenant.",
    fix: "Remove it from the other tenant first, or use another hostname.",
  },
  invalid_hostname: {
    status: 400,
    message: "A custom hostname must be a DNS name, not under the platform's base domain nor an IP address.",
    fix: "Tenants get {tenant}.{base domain} automatically; list only hostnames of your own domains.",
  },

  // ── model provider ────────────────────────────────────────────────────────────────────────────────────
  invalid_model: {
    status: 400,
    message: "model must name its provider: 'provider/model', e.g. 'openai/gpt-4o-mini'.",
    fix: "Prefix the model with its provider as AI Gateway expects.",
  },
  provider_error: {
    status: 502,
    message: "The model provider failed.",
    fix: "Retry later; Cordon already retried and tried the tenant's fallbacks (x-should-retry says whether more is useful).",
  },
  provider_rejected: {
    status: 400,
    message: "The model provider refused the request.",
    fix: "Read the provider's own error (passed on with its status, type, code and param) and correct the request.",
  },
  provider_auth_failed: {
    status: 502,
    message: "The model provider refused the credential it was sent.",
    fix: "Check the tenant's virtual key for this provider (or the deployment's provider key).",
  },
  upstream_unavailable: {
    status: 502,
    message: "Every upstream target is failing; none was tried while their circuits are open.",
    fix: "Retry after the time in Retry-After.",
  },
  stream_interrupted: {
    status: 502,
    message: "The model provider's stream failed before the answer was complete (sent as an SSE error event).",
    fix: "Retry the request; nothing of the partial answer was cached.",
  },
  request_aborted: {
    status: 400,
    message: "The client closed the request before it was answered.",
    fix: "Nothing to do; the upstream call was cancelled with it.",
  },
  upstream_invalid_response: {
    status: 502,
    message: "The model provider sent an invalid response.",
    fix: "Retry later; nothing was cached.",
    // The provider answered (and charged for it); an SDK's automatic retries would pay for the same again.
    headers: { "x-should-retry": "false" },
  },
  upstream_timeout: {
    status: 504,
    message: "The model provider did not answer in time.",
    fix: "Retry later, or with a smaller request.",
  },

  audit_unavailable: {
    status: 503,
    message: "The audit trail cannot record this administrative action right now, so it was not made.",
    fix: "Retry shortly; nothing was changed.",
  },

  // ── server ────────────────────────────────────────────────────────────────────────────────────────────
  internal_error: {
    status: 500,
    message: "The gateway failed to process the request.",
    fix: "Retry; if it persists, give the operator the request_id.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "upstream_error"
  | "internal_error";

/** The contract's error type for a status; exhaustive over the statuses the catalogue may use. */
export function errorTypeFor(status: ErrorSpec["status"]): ErrorType {
  switch (status) {
    case 400:
    case 404:
    case 405:
    case 409:
    case 413:
    case 415:
    case 422:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    case 502:
    case 504:
      return "upstream_error";
    case 500:
    case 503:
      return "internal_error";
  }
}
