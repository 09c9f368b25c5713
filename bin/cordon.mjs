#!/usr/bin/env node
// cordon — the admin CLI: tenants, keys, policy, audit and cache erasure over Cordon's admin API, for operators
// and scripts. Plain Node (20+), no dependencies, no build step. Every command prints a readable summary, or
// the API's JSON with --json; an error prints the API's message (what went wrong, what to do, its catalogue
// entry) and exits 1; a usage error exits 2.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, isIPv6 } from "node:net";
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
                     (env CORDON_CONNECT; *.localhost connects to 127.0.0.1 by itself; over http
                     only a loopback address)
  --json             print the API's JSON as it answered
  -h, --help         help for the command`;

import { COMMANDS } from "./cli/commands.mjs";
import { ApiFailure, jsonOrText, line, printable, UsageError } from "./cli/format.mjs";

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
  // The credential goes in every request: over plain HTTP only to a gateway on this machine.
  if (base.protocol === "http:" && !isLocalHost(base.hostname)) {
    throw new UsageError(
      `Plain HTTP is for a gateway on this machine (localhost): use https://${base.host}, so that the credential is never sent in clear.`,
    );
  }
  const tenant = values.tenant ?? process.env.CORDON_TENANT;
  const token = values.token ?? process.env.CORDON_TOKEN;
  const connectValue = values.connect ?? process.env.CORDON_CONNECT;
  const connect = connectValue === undefined ? undefined : connectAddress(connectValue);
  // --connect decides where the bytes go: over plain HTTP it must be this machine too.
  if (base.protocol === "http:" && connect !== undefined && !isLocalHost(connect)) {
    throw new UsageError(
      `Plain HTTP is for a gateway on this machine (localhost): --connect ${connectValue} is another machine; use an https --url, so that the credential is never sent in clear.`,
    );
  }
  // The Host header keeps an IPv6 address in brackets ([::1]:8787); the name to reach or verify has none.
  const hostFor = (platform) => {
    if (platform) return { host: base.host, hostname: unbracketed(base.hostname) };
    if (!tenant) throw new UsageError("This command acts on a tenant: give --tenant ID (or set CORDON_TENANT).");
    return { host: `${tenant}.${base.host}`, hostname: `${tenant}.${base.hostname}` };
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
      const target = hostFor(opts.platform === true);
      const limit = opts.raw ? Number.POSITIVE_INFINITY : MAX_ANSWER_BYTES;
      const res = await send(base, connect, target, method, path, token, opts.body, opts.headers, limit);
      if (res.status < 200 || res.status >= 300) {
        let body = null;
        try {
          body = JSON.parse(res.text);
        } catch {}
        throw new ApiFailure(res.status, body ?? res.text);
      }
      if (opts.raw) return res.text;
      return opts.tagged ? { body: JSON.parse(res.text), etag: res.etag } : JSON.parse(res.text);
    },
  };
}

/** localhost, a *.localhost name or a loopback address (127.0.0.0/8, ::1 however written): this machine. */
function isLocalHost(hostname) {
  const name = unbracketed(hostname);
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    /^127(?:\.\d{1,3}){3}$/.test(name) ||
    (isIPv6(name) && new URL(`http://[${name}]`).hostname === "[::1]")
  );
}

/** `[::1]` → `::1`: the address inside an IPv6 literal's brackets; any other name as it is. */
const unbracketed = (hostname) =>
  /^\[.*\]$/.test(hostname) && isIPv6(hostname.slice(1, -1)) ? hostname.slice(1, -1) : hostname;

/** --connect's address, IPv6 with or without its brackets; the port is --url's, so one given here is refused. */
function connectAddress(value) {
  const address = unbracketed(value);
  if (isIP(address) || !address.includes(":")) return address;
  throw new UsageError(
    `--connect takes an address without a port (${value}): the port is the one of --url, or 80/443 by default.`,
  );
}

/** The most a JSON answer may hold: a page of the admin API is far smaller. (An export, one user's entries, has no bound.) */
const MAX_ANSWER_BYTES = 16 << 20;

function send(
  base,
  connect,
  { host, hostname },
  method,
  path,
  token,
  body,
  extraHeaders = {},
  maxBytes = MAX_ANSWER_BYTES,
) {
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
        // SNI names a host, never an address (RFC 6066).
        ...(https && !isIP(hostname) ? { servername: hostname } : {}),
        headers: {
          host,
          authorization: `Bearer ${token}`,
          accept: "application/json",
          "user-agent": "cordon-cli",
          ...extraHeaders,
          ...(data === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(data) }),
        },
      },
      (res) => {
        const chunks = [];
        let size = 0;
        res.on("data", (c) => {
          size += c.length;
          // More than any answer of the admin API: a server that never ends its answer is not read until memory runs out.
          if (size > maxBytes) {
            reject(
              new Error(
                `The answer from ${base.protocol}//${host} is larger than ${maxBytes >> 20} MiB, more than any page of the admin API; stopped.`,
              ),
            );
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            etag: res.headers.etag ?? null,
          }),
        );
        // A body cut off (connection reset, timeout) ends in neither "end" nor a request error: a failure, never
        // an empty or partial success.
        const cut = () =>
          reject(
            new Error(`The answer from ${base.protocol}//${host} was cut off before its end. Run the command again.`),
          );
        res.on("error", cut);
        res.on("close", () => {
          if (!res.complete) cut();
        });
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

function report(err) {
  if (err instanceof UsageError) {
    process.stderr.write(`cordon: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ApiFailure) {
    const b = err.body;
    if (b && typeof b === "object" && b.error && typeof b.error === "object") {
      // The contract's error (or a provider's): its message says what went wrong, what to do, and links the entry.
      const { message, code, request_id } = b.error;
      process.stderr.write(
        `cordon: ${printable(message)}\n  (HTTP ${err.status} ${printable(code)}, request ${printable(request_id)})\n`,
      );
    } else if (b && typeof b === "object" && typeof b.error === "string") {
      process.stderr.write(
        `cordon: ${printable(b.error_description ?? b.error)}\n  (HTTP ${err.status} ${printable(b.error)})\n`,
      );
    } else if (err.status >= 300 && err.status < 400) {
      process.stderr.write(
        `cordon: HTTP ${err.status}: the server answered with a redirect; check --url (https, host).\n`,
      );
    } else {
      process.stderr.write(`cordon: HTTP ${err.status}: ${printable(String(b).slice(0, 500))}\n`);
    }
    return 1;
  }
  process.stderr.write(`cordon: ${printable(err instanceof Error ? err.message : String(err))}\n`);
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
