// The CLI's commands: each its options, its help and what it does over the admin API.
import {
  integer,
  issued,
  keyRow,
  line,
  list,
  query,
  rateLimit,
  readJsonFile,
  record,
  table,
  UsageError,
} from "./format.mjs";

/** The filters of `audit list`, as the API's query parameters of the same names. */
const AUDIT_LIST_OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  actor: { type: "string" },
  action: { type: "string" },
  outcome: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
};

export const COMMANDS = {
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
      "  --confirm applies an ip_allowlist that excludes your own address.\n" +
      "  The write is conditional on the policy read (If-Match): a change someone made in between is refused\n" +
      "  (409 policy_changed), never undone; run the command again.",
    options: { file: { type: "string" }, confirm: { type: "boolean" } },
    fields: true,
    async run(ctx, { values, fields }) {
      const read = await ctx.api("GET", "/v1/admin/policy", { tagged: true });
      // The write is conditional on this read, or not made: without an ETag it would be last-writer-wins.
      if (!read.etag) {
        throw new Error(
          "The gateway's answer to the policy read carried no ETag, so the write could not be made conditional (If-Match); nothing was changed. Check that nothing between you and Cordon drops the ETag header.",
        );
      }
      const current = read.body.policy;
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
      const body = await ctx.api("PUT", `/v1/admin/policy${values.confirm ? "?confirm=true" : ""}`, {
        body: policy,
        headers: { "if-match": read.etag },
      });
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
    options: AUDIT_LIST_OPTIONS,
    async run(ctx, { values }) {
      // This command's own options only: the global ones (--token above all) never go into a URL.
      const filters = Object.fromEntries(Object.keys(AUDIT_LIST_OPTIONS).map((k) => [k, values[k]]));
      const page = await ctx.api("GET", `/v1/audit${query(filters)}`);
      return ctx.print(page, () => {
        table(
          page.data.map((e) => ({
            time: new Date(e.ts).toISOString(),
            actor: e.actor,
            action: e.action,
            outcome: e.outcome,
            status: e.status,
            // A row whose stored event cannot be read: the rest are its copied columns (docs/audit.md).
            code: e.unreadable ? `UNREADABLE (${e.unreadable})` : (e.code ?? ""),
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
      const asked = { checkpoint_seq: values["checkpoint-seq"], checkpoint_hash: values["checkpoint-hash"] };
      // One request checks at most a million events: the rest of a longer chain is asked for from where it stopped.
      let result = await ctx.api("GET", `/v1/audit/verify${query(asked)}`);
      let checked = result.checked;
      while (result.ok && !result.complete && result.resume_from_seq != null) {
        const from_seq = String(result.resume_from_seq);
        result = await ctx.api("GET", `/v1/audit/verify${query({ ...asked, from_seq })}`);
        checked += result.checked;
      }
      result = { ...result, checked };
      ctx.print(result, () => {
        if (result.ok) line(`Audit chain intact: ${result.checked} events checked.`);
        else line(`Audit chain BROKEN at seq ${result.first_break?.seq}: ${result.first_break?.reason}.`);
        if (result.head) line(`Head: seq ${result.head.seq}, hash ${result.head.hash}`);
        if (result.checkpoint) line(`Checkpoint: ${result.checkpoint}`);
        if (!result.complete) line("Not complete: the gateway did not say where to continue.");
      });
      return result.ok && result.complete ? 0 : 1;
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
