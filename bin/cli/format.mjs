// The CLI's errors, its output (tables, records, a key's secret shown once) and its option values.
import { readFileSync } from "node:fs";

export class UsageError extends Error {}

export class ApiFailure extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// ── output ──

/**
 * A server's text as the terminal may show it: every control character (C0, DEL, C1), line and paragraph separator
 * and bidirectional control written as its \u escape, so that an answer can neither send the terminal an escape
 * sequence (a title, a cleared screen, hidden text) nor break or reverse a row.
 */
export const printable = (s) =>
  String(s).replace(
    /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

/** A line of output: the CLI's own line breaks kept, any other control character escaped (printable). */
export const line = (s = "") => process.stdout.write(`${s.split("\n").map(printable).join("\n")}\n`);

export function table(rows) {
  if (rows.length === 0) return line("(none)");
  const cols = Object.keys(rows[0]);
  const cell = (v) => (v === null || v === undefined ? "" : printable(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const format = (values) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  line(format(cols.map((c) => c.toUpperCase())));
  for (const r of rows) line(format(cols.map((c) => cell(r[c]))));
}

export function record(obj) {
  const width = Math.max(0, ...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) {
    line(`${printable(k).padEnd(width)}  ${printable(v !== null && typeof v === "object" ? JSON.stringify(v) : v)}`);
  }
}

export const keyRow = (k) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  status: k.status,
  created: k.created_at,
  expires: k.expires_at ?? "never",
  "last used": k.last_used_at ?? "never",
});

export function issued(key, what) {
  line(`Key ${key.id} (${key.name}, ${key.role}) ${what}.`);
  line(`Secret, shown this once — store it now:\n\n  ${key.key}\n`);
}

// ── values ──

export function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && typeof v === "string") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const list = (s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export function integer(s, name) {
  if (!/^\d+$/.test(s)) throw new UsageError(`${name} must be a whole number.`);
  return Number(s);
}

export function rateLimit(s) {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m) throw new UsageError("--rate-limit is REQUESTS/SECONDS, e.g. 600/60.");
  return { requests: Number(m[1]), window_seconds: Number(m[2]) };
}

export function jsonOrText(s) {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function readJsonFile(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`Cannot read ${path}: ${err.code ?? err.message}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON.`);
  }
}
