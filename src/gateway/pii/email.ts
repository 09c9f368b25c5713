// E-mail addresses: local@domain where
//   - the local part is 1–64 of A–Z a–z 0–9 . _ % + - ' (no "..", not ending in "."; the apostrophe of
//     "conor.o'brien@…"); leading punctuation is left out of the finding ("_jane@…_" in Markdown, "'jane@…'");
//   - the domain has at least two dot-separated labels (1–63 letters, digits or inner hyphens) and ends in a
//     real top-level domain: any two-letter one except file extensions that are not countries (".js", ".ts"…),
//     a common generic one (.com, .org, .net, .dev, .app, .tech…; list below) or an IDN "xn--" one, in any case.
// Not reported, because they can belong to no one or are not addresses at all:
//   - reserved names (RFC 2606/6761): example.com/.net/.org, *.example, *.test, *.invalid, *.localhost, and
//     *.local; "user@localhost" and other dot-less hosts;
//   - template addresses: a placeholder domain (domain.com, yourdomain.com, yourcompany.com, …) or a placeholder
//     local part (you, your.name, firstname.lastname, user, name, someone, email, …) — "name@gmail.com" in a
//     form's hint text is nobody's address;
//   - SSH and SCP targets: "git@github.com:org/repo.git", "deploy@web-01.acme.io:/var/www" (a path after the
//     colon; "jane@gmail.com:hunter2", a login and its password, is reported), "ssh -i key.pem
//     ubuntu@ec2-3-1-2-3.compute.amazonaws.com", any local part "git";
//   - package specs and code: "lodash@4.17.21", "logo@2x.png", "x@self.weight" (no real TLD).
// Known limit: internationalised (non-ASCII) addresses and domains under uncommon generic TLDs are not found.

import type { PiiFinding } from "./kinds";

// The lookbehind lets a match start only where a run of local-part characters starts; both quantifiers are
// bounded: linear on any input.
const EMAIL_CANDIDATE = /(?<![\w.%+'-])[\w.%+'-]{1,64}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}/g;

const GENERIC_TLDS = new Set(
  (
    "com org net edu gov mil int info biz name pro aero coop museum mobi jobs travel asia cat tel post " +
    "app dev tech online site store shop blog cloud email xyz top club live life world today news media digital " +
    "agency company solutions services systems network group global design studio space website work page one " +
    "law legal bank finance financial money health care clinic academy school college university institute " +
    "church family team support help center social art music games fun ink icu vip win run rocks ninja guru " +
    "expert consulting partners ventures capital fund holdings industries international management marketing " +
    "photography photos restaurant cafe bar pub wine coffee fitness yoga dental doctor hospital insurance " +
    "lawyer attorney property properties homes house estate land city town place earth eco green energy solar " +
    "auto car cars bike fashion style shoes jewelry watch gold gifts flowers garden pet pets dog vet kitchen " +
    "food recipes pizza menu events tickets tours holiday vacations cruises flights hotels berlin london paris " +
    "nyc tokyo amsterdam wien swiss bayern quebec scot wales eus gal cymru africa zone plus works tools " +
    "software codes engineering engineer security host hosting domains directory reviews report " +
    "foundation charity ngo"
  ).split(" "),
);

/** Two-letter file extensions that are not country-code TLDs. */
const NOT_COUNTRY = new Set(["js", "ts", "rb", "kt", "cs", "hs", "vb", "db", "gz", "xz", "bz", "mk", "pb"]);

const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$/i;
/** Template addresses in forms and docs: "name@domain.com", "you@yourcompany.com", "firstname.lastname@…". */
const PLACEHOLDER_DOMAIN = /^(?:(?:your|my)?-?(?:domain|company|site|website)|your-?email|email-?provider)\.com$/i;
const PLACEHOLDER_LOCAL =
  /^(?:you|your[._-]?(?:name|email|mail|address)?|first[._-]?(?:name)?[._-]?last(?:name)?|firstname|lastname|user[._-]?name|user|name|someone|somebody|email|e-?mail[._-]?address|me)$/i;
/** What follows "user@host:" in an SCP/SSH target: a path ("/var/www", "~/x", "./a", "org/repo.git", "~# "). */
const SCP_PATH = /^(?:[/~.]|[^\s/]*\/|[^\s]*\.git(?![\w.]))/;
const SSH_COMMAND = /\b(?:ssh|scp|sftp|rsync|mosh|ssh-copy-id)\s(?:[^\s@]+\s){0,4}$/i;

function realTld(tld: string): boolean {
  if (tld.startsWith("xn--")) return tld.length >= 6;
  if (!/^[A-Za-z]{2,24}$/.test(tld)) return false;
  const lower = tld.toLowerCase();
  return lower.length === 2 ? !NOT_COUNTRY.has(lower) : GENERIC_TLDS.has(lower);
}

function validDomain(domain: string): boolean {
  const labels = domain.split(".");
  if (labels.length < 2 || domain.length > 253) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith("-") || label.endsWith("-")) return false;
  }
  return realTld(labels[labels.length - 1]!) && !RESERVED_DOMAIN.test(domain);
}

/** E-mail addresses in `text`. */
export function emailAddresses(text: string): PiiFinding[] {
  const found: PiiFinding[] = [];
  for (const m of text.matchAll(EMAIL_CANDIDATE)) {
    const at = m[0].indexOf("@");
    let local = m[0].slice(0, at);
    const lead = local.length - local.replace(/^[._%+'-]+/, "").length;
    local = local.slice(lead);
    const domain = m[0].slice(at + 1).replace(/[.-]+$/, "");
    const start = m.index + lead;
    const end = m.index + at + 1 + domain.length;
    if (local.length === 0 || local.endsWith(".") || local.includes("..") || local.toLowerCase() === "git") continue;
    if (text.charCodeAt(end) === 0x40 /* @ */ || !validDomain(domain)) continue;
    if (PLACEHOLDER_DOMAIN.test(domain) || PLACEHOLDER_LOCAL.test(local)) continue;
    // "user@host:path" is an SCP/SSH target, not a mailbox; "jane@gmail.com:hunter2" (a login and its password)
    // is one.
    if (text.charCodeAt(end) === 0x3a /* : */ && SCP_PATH.test(text.slice(end + 1, end + 65))) continue;
    if (SSH_COMMAND.test(text.slice(Math.max(0, start - 48), start))) continue;
    found.push({ kind: "email", start, end });
  }
  return found;
}
