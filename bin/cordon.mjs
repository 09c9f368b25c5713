#!/usr/bin/env node
// cordon — the admin CLI: tenants, keys, policy, audit and cache erasure over Cordon's admin API, for operators
// and scripts. Plain Node (20+), no dependencies, no build step. Every command prints a readable summary, or
// the API's JSON with --json; an error prints the API's message (what went wrong, what to do, its catalogue
// entry) and exits 1; a usage error exits 2.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { parseArgs } from "node:util";

const GLOBAL_OPTIONS = {
  url: { type: "string" },
  tenant: { type: "string" },
  token: { type: "string" },
  connect: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const GLOBAL_HELP = `Options for every command:
  --url URL          Cordon's base URL, the platform host (env CORDON_URL; default http://localhost:8787)
  --tenant ID        the tenant, served at {ID}.{host of --url} (env CORDON_TENANT)
  --token TOKEN      the operator token (ROOT_TOKEN) or an API key of the tenant (env CORDON_TOKEN)
  --connect ADDRESS  connect to this address instead of resolving the host, still sending the tenant's Host
                     (env CORDON_CONNECT; *.localhost connects to 127.0.0.1 by itself)
  --json             print the API's JSON as it answered
  -h, --help         help for the command`;

class UsageError extends Error {}

class ApiFailure extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// ── the commands ──────────────────────────────────────────────────────────────────────────────────────────

const COMMANDS = {
  "tenants list": {
    summary: "List tenants (operator)",
    usage: "cordon tenants list [--limit N] [--cursor C]",
    options: { limit: { type: "string" }, cursor: { type: "string" } },
    async run(ctx, { values }) {
      const page = await ctx.api("GET", `/v1/admin/tenants${query({ limit: values.limit, cursor: values.cursor })}`, {
        platform: true,
      });
      return ctx.print(page, () => {
        table(
          page.data.map((t) => ({ id: t.id, name: t.name, created: t.created_at, hostnames: t.hostnames.join(" ") })),
        );
        if (page.next_cursor) line(`more: cordon tenants list --cursor ${page.next_cursor}`);
      });
    },
  },
  "tenants create": {
    summary: "Create a tenant (operator)",
    usage: "cordon tenants create ID [--name NAME] [--hostname HOST]... [--policy-file FILE]",
    options: {
      name: { type: "string" },
      hostname: { type: "string", multiple: true },
      "policy-file": { type: "string" },
    },
    args: ["id"],
    async run(ctx, { values, args }) {
      const body = {
        id: args.id,
        ...(values.name ? { name: values.name } : {}),
        ...(values.hostname ? { hostnames: values.hostname } : {}),
        ...(values["policy-file"] ? { policy: readJsonFile(values["policy-file"]) } : {}),
      };
      const tenant = await ctx.api("POST", "/v1/admin/tenants", { platform: true, body });
      return ctx.print(tenant, () => {
        line(`Tenant ${tenant.id} created: ${ctx.tenantUrl(tenant.id)}`);
        line(`Next: cordon keys create --tenant ${tenant.id} --name admin --role owner`);
      });
    },
  },
  "tenants delete": {
    summary: "Delete a tenant and crypto-shred its data (operator)",
    usage: "cordon tenants delete ID --yes",
    options: { yes: { type: "boolean" } },
    args: ["id"],
    async run(ctx, { values, args }) {
      if (!values.yes) throw new UsageError(`Deleting tenant ${args.id} destroys all its data: add --yes to do it.`);
      const result = await ctx.api("DELETE", `/v1/admin/tenants/${encodeURIComponent(args.id)}`, { platform: true });
      return ctx.print(result, () => line(`Tenant ${result.id} deleted; ${result.keys_revoked} keys revoked.`));
    },
  },
  "keys list": {
    summary: "List the tenant's API keys",
    usage: "cordon keys list --tenant ID",
    async run(ctx) {
      const list = await ctx.api("GET", "/v1/admin/keys");
      return ctx.print(list, () => table(list.data.map(keyRow)));
    },
  },
  "keys get": {
    summary: "Show one API key",
    usage: "cordon keys get KEY_ID --tenant ID",
    args: ["id"],
    async run(ctx, { args }) {
      const key = await ctx.api("GET", `/v1/admin/keys/${encodeURIComponent(args.id)}`);
      return ctx.print(key, () => record(key));
    },
  },
  "keys create": {
    summary: "Create an API key (its secret is shown once)",
    usage:
      "cordon keys create --tenant ID --name NAME --role owner|admin|developer|viewer|service\n" +
      "       [--scopes a,b] [--expires-at ISO-TIME] [--cache-scope tenant|user] [--ip-allowlist CIDR,...]\n" +
      "       [--rate-limit REQUESTS/SECONDS]",
    options: {
      name: { type: "string" },
      role: { type: "string" },
      scopes: { type: "string" },
      "expires-at": { type: "string" },
      "cache-scope": { type: "string" },
      "ip-allowlist": { type: "string" },
      "rate-limit": { type: "string" },
    },
    async run(ctx, { values }) {
      if (!values.name || !values.role) throw new UsageError("keys create needs --name and --role.");
      const body = {
        name: values.name,
        role: values.role,
        ...(values.scopes ? { scopes: list(values.scopes) } : {}),
        ...(values["expires-at"] ? { expires_at: values["expires-at"] } : {}),
        ...(values["cache-scope"] ? { cache_scope: values["cache-scope"] } : {}),
        ...(values["ip-allowlist"] ? { ip_allowlist: list(values["ip-allowlist"]) } : {}),
        ...(values["rate-limit"] ? { rate_limit: rateLimit(values["rate-limit"]) } : {}),
      };
      const key = await ctx.api("POST", "/v1/admin/keys", { body });
      return ctx.print(key, () => issued(key, "created"));
    },
  },
  "keys revoke": {
    summary: "Revoke an API key at once",
    usage: "cordon keys revoke KEY_ID --tenant ID",
    args: ["id"],
    async run(ctx, { args }) {
      const key = await ctx.api("DELETE", `/v1/admin/keys/${encodeURIComponent(args.id)}`);
      return ctx.print(key, () => line(`Key ${key.id} (${key.name}) is ${key.status}.`));
    },
  },
  "keys rotate": {
    summary: "Rotate an API key: a new secret, the old one valid for a grace period",
    usage: "cordon keys rotate KEY_ID --tenant ID [--grace-seconds N]",
    options: { "grace-seconds": { type: "string" } },
    args: ["id"],
    async run(ctx, { values, args }) {
      const body = values["grace-seconds"]
        ? { grace_seconds: integer(values["grace-seconds"], "--grace-seconds") }
        : {};
      const key = await ctx.api("POST", `/v1/admin/keys/${encodeURIComponent(args.id)}/rotate`, { body });
      return ctx.print(key, () => {
        issued(key, "rotated");
        if (key.previous_secret_expires_at) line(`The old secret works until ${key.previous_secret_expires_at}.`);
      });
    },
  },
  "policy get": {
    summary: "Show the tenant's policy",
    usage: "cordon policy get --tenant ID",
    async run(ctx) {
      const body = await ctx.api("GET", "/v1/admin/policy");
      return ctx.print(body, () => record(body.policy));
    },
  },
  "policy set": {
    summary: "Change the tenant's policy (read, change the fields given, write back)",
    usage:
      "cordon policy set --tenant ID (--file POLICY.json | --FIELD VALUE ...) [--confirm]\n" +
      "  e.g. cordon policy set --tenant acme --similarity-threshold 0.95 --pii-mode redact \\\n" +
      '         --rate-limit \'{"requests":600,"window_seconds":60}\' --ip-allowlist \'["203.0.113.0/24"]\'\n' +
      "  A VALUE is read as JSON when it is JSON (numbers, true/false, null, lists, objects), else as text.\n" +
      "  --file replaces the whole policy with the file's (as `policy get --json` prints it, or its policy).\n" +
      "  --confirm applies an ip_allowlist that excludes your own address.",
    options: { file: { type: "string" }, confirm: { type: "boolean" } },
    fields: true,
    async run(ctx, { values, fields }) {
      const current = (await ctx.api("GET", "/v1/admin/policy")).policy;
      let policy;
      if (values.file) {
        if (Object.keys(fields).length) throw new UsageError("Give either --file or --FIELD VALUE pairs, not both.");
        const file = readJsonFile(values.file);
        policy = file && typeof file === "object" && "policy" in file ? file.policy : file;
      } else {
        if (!Object.keys(fields).length) throw new UsageError("Nothing to change: give --file or --FIELD VALUE pairs.");
        for (const name of Object.keys(fields)) {
          if (!(name in current)) {
            throw new UsageError(`The policy has no field "${name}"; its fields: ${Object.keys(current).join(", ")}.`);
          }
        }
        policy = { ...current, ...fields };
      }
      const body = await ctx.api("PUT", `/v1/admin/policy${values.confirm ? "?confirm=true" : ""}`, { body: policy });
      return ctx.print(body, () => {
        const changed = Object.keys(body.policy).filter(
          (k) => JSON.stringify(body.policy[k]) !== JSON.stringify(current[k]),
        );
        line(changed.length ? `Policy updated: ${changed.join(", ")}.` : "Policy unchanged.");
        record(Object.fromEntries(changed.map((k) => [k, body.policy[k]])));
      });
    },
  },
  "audit list": {
    summary: "List audit events, newest first",
    usage:
      "cordon audit list --tenant ID [--from TIME] [--to TIME] [--actor ACTOR] [--action ACTION]\n" +
      "       [--outcome allowed|denied|error] [--limit N] [--cursor C]   (TIME: ISO 8601 or ms since the epoch)",
    options: {
      from: { type: "string" },
      to: { type: "string" },
      actor: { type: "string" },
      action: { type: "string" },
      outcome: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
    },
    async run(ctx, { values }) {
      const page = await ctx.api("GET", `/v1/audit${query(values)}`);
      return ctx.print(page, () => {
        table(
          page.data.map((e) => ({
            time: new Date(e.ts).toISOString(),
            actor: e.actor,
            action: e.action,
            outcome: e.outcome,
            status: e.status,
            code: e.code ?? "",
            target: e.target ?? "",
          })),
        );
        if (page.next_cursor) line(`more: add --cursor ${page.next_cursor}`);
      });
    },
  },
  "audit verify": {
    summary: "Verify the tenant's audit hash chain (exits 1 when it is broken)",
    usage: "cordon audit verify --tenant ID [--checkpoint-seq N --checkpoint-hash H]",
    options: { "checkpoint-seq": { type: "string" }, "checkpoint-hash": { type: "string" } },
    async run(ctx, { values }) {
      const q = query({ checkpoint_seq: values["checkpoint-seq"], checkpoint_hash: values["checkpoint-hash"] });
      const result = await ctx.api("GET", `/v1/audit/verify${q}`);
      ctx.print(result, () => {
        if (result.ok) line(`Audit chain intact: ${result.checked} events checked${result.complete ? "" : " so far"}.`);
        else line(`Audit chain BROKEN at seq ${result.first_break?.seq}: ${result.first_break?.reason}.`);
        if (result.head) line(`Head: seq ${result.head.seq}, hash ${result.head.hash}`);
        if (result.checkpoint) line(`Checkpoint: ${result.checkpoint}`);
        if (!result.complete) line(`Not complete: run again (resume from seq ${result.resume_from_seq}).`);
      });
      return result.ok ? 0 : 1;
    },
  },
  "cache erase": {
    summary: "Erase cached data (GDPR): one user's, entries before a time, or all",
    usage: "cordon cache erase --tenant ID (--user USER | --before ISO-TIME | --all --yes)",
    options: {
      user: { type: "string" },
      before: { type: "string" },
      all: { type: "boolean" },
      yes: { type: "boolean" },
    },
    async run(ctx, { values }) {
      const chosen = ["user", "before", "all"].filter((k) => values[k] !== undefined);
      if (chosen.length !== 1) throw new UsageError("Give exactly one of --user, --before and --all.");
      if (values.all && !values.yes) throw new UsageError("--all erases every cached entry of the tenant: add --yes.");
      const body = values.user ? { user: values.user } : values.before ? { before: values.before } : { all: true };
      const result = await ctx.api("POST", "/v1/cache/erase", { body });
      return ctx.print(result, () =>
        line(`Erased ${result.erased_entries} entries; ${result.keys_destroyed} user keys destroyed.`),
      );
    },
  },
  "cache export": {
    summary: "Export one user's cached entries (GDPR), as NDJSON on standard output",
    usage: "cordon cache export --tenant ID --user USER",
    options: { user: { type: "string" } },
    async run(ctx, { values }) {
      if (!values.user) throw new UsageError("cache export needs --user.");
      const text = await ctx.api("GET", `/v1/cache/export${query({ user: values.user })}`, { raw: true });
      process.stdout.write(text);
      return 0;
    },
  },
};

// ── running a command ─────────────────────────────────────────────────────────────────────────────────────

async function main(argv) {
  const words = [];
  for (const a of argv) {
    if (a.startsWith("-") || words.length === 2) break;
    words.push(a);
  }
  if (words[0] === "help") return help(argv.slice(1).filter((a) => !a.startsWith("-")));
  const name = words.join(" ");
  const command = COMMANDS[name];
  if (!command) {
    if (words.length === 0 || argv.includes("--help") || argv.includes("-h")) return help(words);
    const group = Object.keys(COMMANDS).some((c) => c.startsWith(`${words[0]} `));
    throw new UsageError(
      group
        ? `Unknown command "${name}". Commands of ${words[0]}: ${commandsOf(words[0]).join(", ")}.`
        : `Unknown command "${name}". Run cordon --help.`,
    );
  }
  const rest = argv.slice(words.length);
  const parsed = parseCommand(command, rest);
  if (parsed.values.help) return help(words);
  const ctx = context(parsed.values);
  return (await command.run(ctx, parsed)) ?? 0;
}

function parseCommand(command, rest) {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: !command.fields, tokens: true });
  } catch (err) {
    throw new UsageError(`${err.message}\nUsage: ${command.usage}`);
  }
  const fields = command.fields ? policyFields(parsed.tokens, options) : {};
  const positionals = command.fields ? [] : parsed.positionals;
  const names = command.args ?? [];
  if (positionals.length !== names.length && !parsed.values.help) {
    throw new UsageError(`Usage: ${command.usage}`);
  }
  return { values: parsed.values, fields, args: Object.fromEntries(names.map((n, i) => [n, positionals[i]])) };
}

/** `--similarity-threshold 0.95` → { similarity_threshold: 0.95 }: the options the command does not declare. */
function policyFields(tokens, declared) {
  const fields = {};
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === "positional") throw new UsageError(`Unexpected "${t.value}": give fields as --FIELD VALUE.`);
    if (t.kind !== "option" || t.name in declared) continue;
    let value = t.value;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next?.kind !== "positional") throw new UsageError(`--${t.name} needs a value.`);
      value = next.value;
      i++;
    }
    fields[t.name.replaceAll("-", "_")] = jsonOrText(value);
  }
  return fields;
}

function context(values) {
  const base = new URL(values.url ?? process.env.CORDON_URL ?? "http://localhost:8787");
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new UsageError("--url must be an http(s) URL.");
  const tenant = values.tenant ?? process.env.CORDON_TENANT;
  const token = values.token ?? process.env.CORDON_TOKEN;
  const connect = values.connect ?? process.env.CORDON_CONNECT;
  const hostFor = (platform) => {
    if (platform) return base.host;
    if (!tenant) throw new UsageError("This command acts on a tenant: give --tenant ID (or set CORDON_TENANT).");
    return `${tenant}.${base.host}`;
  };
  return {
    tenantUrl: (id) => `${base.protocol}//${id}.${base.host}`,
    print(body, human) {
      if (values.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      else human();
      return 0;
    },
    async api(method, path, opts = {}) {
      if (!token) throw new UsageError("No credential: give --token or set CORDON_TOKEN.");
      const host = hostFor(opts.platform === true);
      const res = await send(base, connect, host, method, path, token, opts.body);
      if (res.status >= 400) {
        let body = null;
        try {
          body = JSON.parse(res.text);
        } catch {}
        throw new ApiFailure(res.status, body ?? res.text);
      }
      return opts.raw ? res.text : JSON.parse(res.text);
    },
  };
}

function send(base, connect, host, method, path, token, body) {
  const hostname = host.replace(/:\d+$/, "");
  const local = hostname === "localhost" || hostname.endsWith(".localhost");
  const data = body === undefined ? undefined : JSON.stringify(body);
  const https = base.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: connect ?? (local ? "127.0.0.1" : hostname),
        port: base.port || (https ? 443 : 80),
        method,
        path,
        ...(https ? { servername: hostname } : {}),
        headers: {
          host,
          authorization: `Bearer ${token}`,
          accept: "application/json",
          "user-agent": "cordon-cli",
          ...(data === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", (err) =>
      reject(new Error(`Cannot reach Cordon at ${base.protocol}//${host} (${err.code ?? err.message}). Check --url.`)),
    );
    req.setTimeout(60_000, () => req.destroy(new Error("timed out")));
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// ── output ────────────────────────────────────────────────────────────────────────────────────────────────

const line = (s = "") => process.stdout.write(`${s}\n`);

function table(rows) {
  if (rows.length === 0) return line("(none)");
  const cols = Object.keys(rows[0]);
  const cell = (v) => (v === null || v === undefined ? "" : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const format = (values) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  line(format(cols.map((c) => c.toUpperCase())));
  for (const r of rows) line(format(cols.map((c) => cell(r[c]))));
}

function record(obj) {
  const width = Math.max(0, ...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) {
    line(`${k.padEnd(width)}  ${v !== null && typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  }
}

const keyRow = (k) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  status: k.status,
  created: k.created_at,
  expires: k.expires_at ?? "never",
  "last used": k.last_used_at ?? "never",
});

function issued(key, what) {
  line(`Key ${key.id} (${key.name}, ${key.role}) ${what}.`);
  line(`Secret, shown this once — store it now:\n\n  ${key.key}\n`);
}

function help(words) {
  const [group, verb] = words;
  const command = COMMANDS[`${group} ${verb}`];
  if (command) {
    line(`${command.summary}\n\nUsage: ${command.usage}\n\n${GLOBAL_HELP}`);
    return 0;
  }
  const names =
    group && commandsOf(group).length ? commandsOf(group).map((c) => `${group} ${c}`) : Object.keys(COMMANDS);
  line("cordon — administer a Cordon deployment over its admin API\n");
  line("Usage: cordon <command> [options]\n\nCommands:");
  const width = Math.max(...names.map((n) => n.length));
  for (const n of names) line(`  ${n.padEnd(width)}  ${COMMANDS[n].summary}`);
  line(`\n${GLOBAL_HELP}\n`);
  line("`tenants …` need the operator token; the other commands --tenant and a key of the tenant with the scope");
  line("the endpoint needs (the operator token may also manage keys and policy, not read audit or cache data).");
  line("`cordon <command> --help` shows a command's options.");
  line("Exit status: 0 done, 1 refused by the API or unreachable (the message says why), 2 wrong usage.");
  return 0;
}

const commandsOf = (group) =>
  Object.keys(COMMANDS)
    .filter((c) => c.startsWith(`${group} `))
    .map((c) => c.slice(group.length + 1));

// ── values ────────────────────────────────────────────────────────────────────────────────────────────────

function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && typeof v === "string") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

const list = (s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

function integer(s, name) {
  if (!/^\d+$/.test(s)) throw new UsageError(`${name} must be a whole number.`);
  return Number(s);
}

function rateLimit(s) {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m) throw new UsageError("--rate-limit is REQUESTS/SECONDS, e.g. 600/60.");
  return { requests: Number(m[1]), window_seconds: Number(m[2]) };
}

function jsonOrText(s) {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function readJsonFile(path) {
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

function report(err) {
  if (err instanceof UsageError) {
    process.stderr.write(`cordon: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ApiFailure) {
    const b = err.body;
    if (b && typeof b === "object" && b.error && typeof b.error === "object") {
      // The contract's error (or a provider's): its message says what went wrong, what to do, and links the entry.
      process.stderr.write(
        `cordon: ${b.error.message}\n  (HTTP ${err.status} ${b.error.code}, request ${b.error.request_id})\n`,
      );
    } else if (b && typeof b === "object" && typeof b.error === "string") {
      process.stderr.write(`cordon: ${b.error_description ?? b.error}\n  (HTTP ${err.status} ${b.error})\n`);
    } else {
      process.stderr.write(`cordon: HTTP ${err.status}: ${String(b).slice(0, 500)}\n`);
    }
    return 1;
  }
  process.stderr.write(`cordon: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = report(err);
  },
);
