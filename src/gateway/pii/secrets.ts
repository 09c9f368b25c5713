// Secrets: API keys of well-known providers (kind "api_key"), JSON Web Tokens ("jwt") and PEM private keys
// ("private_key").
//
// api_key      OpenAI "sk-…", "sk-proj-…"; Anthropic "sk-ant-…"; AWS access key ids "AKIA…"/"ASIA…" (20 characters)
//              and secret access keys assigned to a name such as aws_secret_access_key / SecretAccessKey (the
//              40-character value is the finding); GitHub "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
//              "github_pat_"; Stripe "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_" (publishable
//              "pk_" keys are public by design); Slack "xoxb-", "xoxp-", "xoxa-", "xoxs-", "xoxr-", "xoxe-";
//              Google "AIza…" (39 characters); Cordon "cdn_{live|test|dev}_{32}_{6}".
//              The random part must look random: at least two of digits / upper case / lower case (one for AWS
//              key ids, which are upper case and digits), enough distinct characters, and no placeholder words
//              ("your", "here", "example", "xxxx", "1234"…), so "sk-your-key-here" and AWS's documented
//              "AKIAIOSFODNN7EXAMPLE" are not reported.
// jwt          three base64url parts "header.payload.signature" (signature may be empty) whose header decodes to a
//              JSON object with a string "alg".
// private_key  "-----BEGIN … PRIVATE KEY-----" (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK) with a base64 body
//              (at least one 32-character base64 run), through the matching "-----END …-----" line; when the END
//              line is missing, through the end of the base64 body. A bare marker ("what is -----BEGIN PRIVATE
//              KEY-----?") or a body like "MIIE..." is not a key.
//
// Every pattern starts with a negative lookbehind for its own body alphabet, so a match can start only where a
// run of such characters starts (runs are disjoint), and nothing after an unbounded quantifier can fail: each
// scan is linear in the text.
import type { PiiFinding } from "./kinds";

interface KeyPattern {
  re: RegExp;
  /** Report only the value (`body`), not the name it is assigned to. */
  valueOnly?: boolean;
  /** Minimum number of character classes (digit, upper, lower) in the random part. */
  classes: 1 | 2;
}

const KEY_PATTERNS: readonly KeyPattern[] = [
  { re: /(?<![\w-])sk-(?:ant-|proj-|svcacct-|admin-)?(?<body>[\w-]{20,})/g, classes: 2 },
  { re: /(?<![\w-])[rs]k_(?:live|test)_(?<body>[A-Za-z0-9]{16,})/g, classes: 2 },
  { re: /(?<![\w-])whsec_(?<body>[A-Za-z0-9+/]{24,})/g, classes: 2 },
  { re: /(?<![\w-])gh[pousr]_(?<body>[A-Za-z0-9]{36,})/g, classes: 2 },
  { re: /(?<![\w-])github_pat_(?<body>\w{40,})/g, classes: 2 },
  { re: /(?<![\w-])xox[abeprs]-(?<body>[A-Za-z0-9-]{10,})/g, classes: 2 },
  { re: /(?<![\w-])AIza(?<body>[\w-]{35})(?![\w-])/g, classes: 2 },
  { re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)(?<body>[A-Z0-9]{16})(?![A-Za-z0-9])/g, classes: 1 },
  { re: /(?<![\w-])cdn_(?:live|test|dev)_(?<body>[0-9A-Za-z]{32})_[0-9A-Za-z]{6}(?![\w-])/g, classes: 2 },
  {
    re: /(?<!\w)(?:aws_?)?secret_?(?:access_?)?key["']?\s{0,3}(?:=>|=|:)\s{0,3}["']?(?<body>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    classes: 2,
    valueOnly: true,
  },
];

const PLACEHOLDER_WORDS = ["example", "your", "here", "placeholder", "dummy", "redacted", "sample", "fake", "xxxx"];
const PLACEHOLDER = new RegExp(
  [...PLACEHOLDER_WORDS.flatMap((w) => [w, w.toUpperCase()]), "0000", "1234", "abcd", "ABCD"].join("|"),
);

/** The random part of a key: varied characters, no placeholder words. */
export function looksRandom(body: string, classes: 1 | 2): boolean {
  let digit = 0;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 97 && c <= 122) lower = 1;
  }
  if (digit + upper + lower < classes) return false;
  const distinct = new Set(body).size;
  return distinct >= Math.min(10, Math.floor(body.length / 2)) && !PLACEHOLDER.test(body);
}

function apiKeys(text: string, out: PiiFinding[]): void {
  for (const { re, classes, valueOnly } of KEY_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const body = m.groups?.body ?? "";
      if (!looksRandom(body, classes)) continue;
      // An assigned secret reports only the value, so a redacted prompt keeps the name.
      const start = valueOnly ? m.index + m[0].length - body.length : m.index;
      out.push({ kind: "api_key", start, end: m.index + m[0].length });
    }
  }
}

const JWT_CANDIDATE = /(?<![\w-])eyJ[\w-]{5,}\.[\w-]{2,}\.[\w-]*/g;

function decodeJsonPart(part: string): unknown {
  if (part.length > 4096) return null;
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return JSON.parse(atob(base64 + "===".slice((base64.length + 3) % 4)));
  } catch {
    return null;
  }
}

function jwts(text: string, out: PiiFinding[]): void {
  for (const m of text.matchAll(JWT_CANDIDATE)) {
    const header = decodeJsonPart(m[0].slice(0, m[0].indexOf(".")));
    if (typeof header !== "object" || header === null || typeof (header as { alg?: unknown }).alg !== "string")
      continue;
    // Without a signature the token ends before its last dot ("…[JWT]." reads like the sentence it ended).
    const end = m[0].endsWith(".") ? m.index + m[0].length - 1 : m.index + m[0].length;
    out.push({ kind: "jwt", start: m.index, end });
  }
}

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_BODY = /^[A-Za-z0-9+/=\s\\:,-]*$/; // base64, line breaks (also escaped "\n"), Proc-Type/DEK-Info headers
const BASE64_RUN = /[A-Za-z0-9+/=]{32}/;
const LINE_BREAK = /(?:\r?\n|\\n)/y; // a real line break or an escaped "\n" inside a JSON string
const BASE64_LINE = /[A-Za-z0-9+/=]+(?=\r?\n|\\n|$)/y;

/** Where the base64 body after a BEGIN line ends: whole lines of base64, up to a blank or other line. */
function bodyEnd(text: string, from: number): number {
  const lineBreak = new RegExp(LINE_BREAK.source, "y");
  const line = new RegExp(BASE64_LINE.source, "y");
  let end = from;
  for (;;) {
    lineBreak.lastIndex = end;
    if (!lineBreak.test(text)) return end;
    line.lastIndex = lineBreak.lastIndex;
    if (!line.test(text)) return end;
    end = line.lastIndex;
  }
}

function privateKeys(text: string, out: PiiFinding[]): void {
  const begins = [...text.matchAll(PEM_BEGIN)];
  if (begins.length === 0) return;
  const ends = [...text.matchAll(PEM_END)];
  let e = 0;
  let coveredUntil = 0;
  for (let i = 0; i < begins.length; i++) {
    const begin = begins[i]!;
    if (begin.index < coveredUntil) continue;
    const bodyStart = begin.index + begin[0].length;
    while (e < ends.length && ends[e]!.index < bodyStart) e++;
    // The END line pairs with this BEGIN only if no other BEGIN comes first: every body is read once.
    const endLine = ends[e];
    if (endLine && endLine.index < (begins[i + 1]?.index ?? text.length)) {
      const body = text.slice(bodyStart, endLine.index);
      if (PEM_BODY.test(body) && BASE64_RUN.test(body)) {
        coveredUntil = endLine.index + endLine[0].length;
        out.push({ kind: "private_key", start: begin.index, end: coveredUntil });
        continue;
      }
    }
    // No END line (a truncated paste): the key runs to the end of its base64 body.
    const bodyStop = bodyEnd(text, bodyStart);
    if (!BASE64_RUN.test(text.slice(bodyStart, bodyStop))) continue;
    coveredUntil = bodyStop;
    out.push({ kind: "private_key", start: begin.index, end: bodyStop });
  }
}

/** API keys, JWTs and private keys in `text`. */
export function secrets(text: string): PiiFinding[] {
  const out: PiiFinding[] = [];
  apiKeys(text, out);
  jwts(text, out);
  privateKeys(text, out);
  return out;
}
