// Typed failures. Every expected failure is an ApiError naming a code of the error catalogue, which gives its
// status, public message and fix. The internal reason (a short code, never text from the request) goes to the
// audit trail only. Anything that is not an ApiError becomes a generic 500.
import type { AuditFacts } from "../audit/facts";
import { ERROR_CATALOG, type ErrorCode, type ErrorType, errorTypeFor } from "./error-catalog";

export type { ErrorCode, ErrorType } from "./error-catalog";

/** An internal reason for the audit trail: lower-case words joined by `_`, `.`, `:` or `-` (no free text). */
export type Reason = string;

export interface ApiErrorOptions {
  /** A more specific public sentence than the catalogue's (never an internal detail or request text). */
  message?: string;
  /** Why, for the audit trail (a short code such as `key_expired`); never shown to the client. */
  reason?: Reason;
  headers?: Record<string, string>;
  /** What the request had established when it failed (e.g. that the cache missed before the provider did). */
  facts?: AuditFacts;
  /** The provider's own error, passed on as the provider said it (status, OpenAI error body). */
  upstream?: UpstreamErrorBody;
}

/** A provider's OpenAI-shaped error, as passed on to the client (only these fields, each checked). */
export interface UpstreamErrorBody {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly message: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly reason: Reason | null;
  readonly headers: Record<string, string>;
  readonly facts: AuditFacts | null;
  readonly upstream: UpstreamErrorBody | null;

  constructor(code: ErrorCode, opts: ApiErrorOptions = {}) {
    const spec = ERROR_CATALOG[code];
    super(opts.message ?? spec.message);
    this.name = "ApiError";
    this.code = code;
    this.status = spec.status;
    this.reason = opts.reason ?? null;
    this.headers = {
      ...(spec.status === 401 ? { "www-authenticate": 'Bearer realm="cordon", error="invalid_token"' } : {}),
      ...("headers" in spec ? spec.headers : {}),
      ...opts.headers,
    };
    this.facts = opts.facts ?? null;
    this.upstream = opts.upstream ?? null;
  }

  /** The HTTP status sent: the provider's for a passed-on provider error, the catalogue's otherwise. */
  get httpStatus(): number {
    return this.upstream?.status ?? this.status;
  }

  /** The same failure, carrying what the request had established by then. */
  withFacts(facts: AuditFacts): ApiError {
    return new ApiError(this.code, {
      message: this.message,
      ...(this.reason === null ? {} : { reason: this.reason }),
      headers: this.headers,
      facts: { ...this.facts, ...facts },
      ...(this.upstream === null ? {} : { upstream: this.upstream }),
    });
  }

  get type(): ErrorType {
    return errorTypeFor(ERROR_CATALOG[this.code].status);
  }

  /** What the client reads: what went wrong, what to do next, and where the catalogue explains the code. */
  publicMessage(docsUrl: string): string {
    return helpfulMessage(this.code, this.message, docsUrl);
  }
}

/** Where the error catalogue is served for a request: on the request's own origin (routes/docs.ts). */
export function docsUrlOf(url: URL): string {
  return `${url.origin}/docs/errors`;
}

/** A message for the client: `message`, then the catalogue's fix for `code`, then the link to its entry. */
export function helpfulMessage(code: ErrorCode, message: string, docsUrl: string): string {
  return `${message} ${ERROR_CATALOG[code].fix} See ${docsUrl}#${code}.`;
}

/**
 * The Link header (RFC 8288) every error response carries: its catalogue entry as `rel="help"`, so that tools
 * find what to do without parsing the message (the JSON error shape stays the contract's four keys).
 */
export function helpLink(code: ErrorCode, docsUrl: string): string {
  return `<${docsUrl}#${code}>; rel="help"`;
}

/** Shorthand for `new ApiError(code, opts)`, for `throw fail(…)`. */
export function fail(code: ErrorCode, opts?: ApiErrorOptions): ApiError {
  return new ApiError(code, opts);
}

/** The error for anything that is not an ApiError: no internals leave the gateway. */
export function internalError(): ApiError {
  return new ApiError("internal_error");
}
