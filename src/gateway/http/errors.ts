// Typed failures. Every expected failure is an ApiError carrying status, code and a public message; the
// detail (the internal reason) goes to the audit trail only. Anything else becomes a generic 500.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "upstream_error"
  | "internal_error";

export function errorTypeFor(status: number): ErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status === 502 || status === 504) return "upstream_error";
  if (status >= 400 && status < 500) return "invalid_request_error";
  return "internal_error";
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Internal reason for the audit trail; never sent to the client. */
  readonly detail: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    publicMessage: string,
    opts: { detail?: string; headers?: Record<string, string> } = {},
  ) {
    super(publicMessage);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = opts.detail ?? null;
    this.headers = opts.headers ?? {};
  }

  get type(): ErrorType {
    return errorTypeFor(this.status);
  }
}

export const badRequest = (code: string, message: string, detail?: string) =>
  new ApiError(400, code, message, detail === undefined ? {} : { detail });
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const unauthorized = (code: string, message: string, detail?: string) =>
  new ApiError(401, code, message, {
    headers: { "www-authenticate": 'Bearer realm="cordon"' },
    ...(detail === undefined ? {} : { detail }),
  });
export const forbidden = (code: string, message: string, detail?: string) =>
  new ApiError(403, code, message, detail === undefined ? {} : { detail });

/** The error for anything that is not an ApiError: no internals leave the gateway. */
export function internalError(): ApiError {
  return new ApiError(500, "internal_error", "The gateway failed to process the request.");
}
