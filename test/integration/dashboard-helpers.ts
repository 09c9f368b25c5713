// Dashboard sessions as a browser holds them: the cookie the sign-in set, and the CSRF token the page keeps in
// memory; requests made the way the page makes them (same origin, the token in x-cordon-csrf).
import { expect } from "vitest";
import { type CallInit, call } from "../helpers";

export interface BrowserSession {
  host: string;
  /** `name=value`, as a browser sends it back. */
  cookie: string;
  csrf: string;
  body: Record<string, unknown>;
  setCookie: string;
}

export const originOf = (host: string) => `https://${host}`;

/** Signs in with an API key at `host` as the dashboard page does. */
export async function signIn(host: string, apiKey: string): Promise<BrowserSession> {
  const res = await call(host, "/dashboard/session", {
    body: { api_key: apiKey },
    headers: { origin: originOf(host), "sec-fetch-site": "same-origin" },
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const setCookie = res.headers.get("set-cookie")!;
  const body = JSON.parse(text) as Record<string, unknown>;
  return { host, cookie: setCookie.split(";")[0]!, csrf: body.csrf_token as string, body, setCookie };
}

/** A request of the page: the session cookie, its CSRF token, and the page's origin. */
export function asPage(s: Pick<BrowserSession, "host" | "cookie" | "csrf">, path: string, init: CallInit = {}) {
  return call(s.host, path, {
    ...init,
    headers: { cookie: s.cookie, "x-cordon-csrf": s.csrf, origin: originOf(s.host), ...init.headers },
  });
}

/** The attributes of a Set-Cookie header, lower-cased names → values ("" for flags). */
export function cookieAttributes(setCookie: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of setCookie.split(";").slice(1)) {
    const [k, v = ""] = part.trim().split("=");
    out[k!.toLowerCase()] = v;
  }
  return out;
}
