// Closed-loop load with autocannon: `connections` clients, each sending its next request when the previous one
// answered, for a fixed time. Every response is checked (status, and `x-cache` for the cache rows); one that
// fails its check fails the run — a row of errors never becomes a number (bench/run.mjs measures a cell once
// more, and says so, when every failure was wrangler dev's own proxy losing its connection to the Worker). Latency is timed per response by
// autocannon (ms, fractional) and summarised here (nearest rank), throughput is responses over the time taken.
import autocannon from "autocannon";

/**
 * @typedef {{ method: string, path: string, headers: Record<string, string>, body?: () => string,
 *             check: (status: number, headers: Record<string, string>, body: string) => string | null }} Load
 */

/** What `wrangler dev`'s proxy answers (503) to a POST when its connection to the Worker's runtime fails. */
export const DEV_PROXY_RESTART = "Your worker restarted mid-request";

/** Runs `load` for `seconds` at `connections`; returns {rps, p50_ms, p99_ms, requests}. Throws on a failed check. */
export async function measure(name, port, load, { connections, seconds }) {
  const latencies = [];
  const failures = [];
  let restarts = 0;
  let checked = 0;
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    // Each client waits for its answer; a slow answer is a slow answer, not an error.
    timeout: 30,
    requests: [
      {
        method: load.method,
        path: load.path,
        headers: load.headers,
        ...(load.body ? { setupRequest: (r) => ({ ...r, body: load.body() }) } : {}),
        onResponse: (status, body, _context, rawHeaders) => {
          checked += 1;
          const headers = {};
          for (const [k, v] of Object.entries(rawHeaders)) headers[k.toLowerCase()] = String(v);
          const problem = load.check(status, headers, body);
          if (problem && status === 503 && body.includes(DEV_PROXY_RESTART)) restarts += 1;
          if (problem && failures.length < 5) failures.push(`${status} ${problem}: ${body.slice(0, 300)}`);
          else if (problem) failures.push("");
        },
      },
    ],
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const started = process.hrtime.bigint();
  const result = await instance;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const bad = failures.length + result.errors + result.timeouts;
  if (bad > 0 || checked === 0) {
    const err = new Error(
      `${name} at c=${connections}: ${failures.length} responses failed their check, ${result.errors} errors, ` +
        `${result.timeouts} timeouts, ${checked} checked\n  ${failures.filter(Boolean).join("\n  ")}`,
    );
    // Every failure was wrangler dev's own proxy losing its connection to the Worker (not the Worker's answer).
    err.devProxyOnly = restarts > 0 && restarts === bad;
    throw err;
  }
  latencies.sort((a, b) => a - b);
  const rank = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  return {
    rps: latencies.length / elapsed,
    p50_ms: rank(50),
    p99_ms: rank(99),
    requests: latencies.length,
  };
}

/** A check that the response is 200 (and, when given, that `x-cache` says `cache`). */
export function expect200(cache) {
  return (status, headers, body) => {
    if (status !== 200) return "status";
    if (cache && headers["x-cache"] !== cache) return `x-cache ${headers["x-cache"] ?? "(none)"}, expected ${cache}`;
    if (!body.includes('"choices"') && !body.includes('"ok"')) return "unexpected body";
    return null;
  };
}
