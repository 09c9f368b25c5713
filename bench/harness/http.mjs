// One HTTP request on a fresh connection (agent: false: a server that closes a connection early cannot
// break the next request), to 127.0.0.1 with an explicit Host — `*.localhost` does not resolve in Node.
import { request as httpRequest } from "node:http";

/**
 * @param {{ port: number, method?: string, host?: string, path: string, headers?: Record<string, string>,
 *           body?: string | object, timeoutMs?: number }} opts
 * @returns {Promise<{ status: number, headers: import("node:http").IncomingHttpHeaders, text: string,
 *                     json: () => any }>}
 */
export function request({ port, method = "GET", host = "localhost", path, headers = {}, body, timeoutMs = 30_000 }) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: {
          host,
          ...(data === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(data) }),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (data !== undefined) req.write(data);
    req.end();
  });
}

export const get = (port, host, path, headers) => request({ port, host, path, headers });

/** A request that must answer `status`; throws with the body otherwise. */
export async function expect(status, opts) {
  const res = await request(opts);
  if (res.status !== status) {
    throw new Error(
      `${opts.method ?? "GET"} ${opts.path} (${opts.host}): ${res.status}, expected ${status}: ${res.text.slice(0, 500)}`,
    );
  }
  return res;
}
