// Calls to Cordon's own API from the page. The session is an HttpOnly cookie the page cannot read; what the
// page holds is the session's CSRF token, in this module's memory only (never in storage), sent on every call.

export interface Session {
  tenant: string;
  tenant_name: string;
  actor: string;
  kind: "api_key" | "sso";
  key_name: string | null;
  role: string | null;
  scopes: string[];
  cache_scope: "tenant" | "user";
  expires_at: string;
  csrf_token: string;
}

/** An error answer of the API: its code and its message (which says what to do and links the catalogue). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

/** Called when any call finds the session over (expired, revoked): the page returns to sign-in. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/**
 * Answers meaning the session is over. The page sends no Authorization header, so `missing_api_key` means the
 * browser sent no session cookie: it dropped the cookie at the end of its Max-Age, or another tab signed out.
 */
const SESSION_ENDED = new Set(["invalid_session", "session_expired", "csrf_token_invalid", "missing_api_key"]);

async function failure(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; request_id?: string } };
    const e = body.error ?? {};
    return new ApiFailure(res.status, e.code ?? "unknown", e.message ?? res.statusText, e.request_id ?? null);
  } catch {
    return new ApiFailure(res.status, "unknown", `The gateway answered ${res.status}.`, null);
  }
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...extra };
  if (csrfToken !== null) headers["x-cordon-csrf"] = csrfToken;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.ok) return res;
  const err = await failure(res);
  if (SESSION_ENDED.has(err.code) && !path.startsWith("/dashboard/session")) {
    csrfToken = null;
    onSignedOut();
  }
  throw err;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await send(method, path, body)).json()) as T;
}

/**
 * A call on a resource the gateway tags (the policy): the answer and its ETag. With `ifMatch`, the change applies
 * only if the resource still has that tag (else 409 `policy_changed`).
 */
export async function apiTagged<T>(
  method: string,
  path: string,
  body?: unknown,
  ifMatch?: string | null,
): Promise<{ value: T; etag: string | null }> {
  const res = await send(method, path, body, ifMatch ? { "if-match": ifMatch } : {});
  return { value: (await res.json()) as T, etag: res.headers.get("etag") };
}

/** The outcome of verifying the tenant's audit hash chain (GET /v1/audit/verify). */
export interface Verification {
  ok: boolean;
  complete: boolean;
  checked: number;
  first_break?: { seq: number; reason: string };
  resume_from_seq?: number | null;
}

/**
 * The whole chain verified: one request checks a bounded number of events, so the walk goes on from where each
 * answer stopped (`resume_from_seq`) until it reaches the head or finds a break.
 */
export async function verifyWholeChain(): Promise<Verification> {
  let result = await api<Verification>("GET", "/v1/audit/verify");
  let checked = result.checked;
  while (result.ok && !result.complete && result.resume_from_seq != null) {
    result = await api<Verification>("GET", `/v1/audit/verify${query({ from_seq: result.resume_from_seq })}`);
    checked += result.checked;
  }
  return { ...result, checked };
}

/** The current session, or null when there is none (or it has ended). */
export async function currentSession(): Promise<Session | null> {
  const answer = await api<(Session & { signed_in: true }) | { signed_in: false }>("GET", "/dashboard/session");
  if (!answer.signed_in) return null;
  csrfToken = answer.csrf_token;
  return answer;
}

export async function signIn(apiKey: string): Promise<Session> {
  const session = await api<Session>("POST", "/dashboard/session", { api_key: apiKey });
  csrfToken = session.csrf_token;
  return session;
}

/** Ends the session; false when the gateway did not confirm it (the browser may still be signed in). */
export async function signOut(): Promise<boolean> {
  try {
    const res = await fetch("/dashboard/logout", { method: "POST", credentials: "same-origin" });
    if (!res.ok) return false;
  } catch {
    return false;
  }
  csrfToken = null;
  return true;
}

/** Saves a response body as a file (an NDJSON export). */
export async function download(path: string, filename: string): Promise<number> {
  const blob = await (await send("GET", path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}

export const query = (params: Record<string, string | number | null | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
};
