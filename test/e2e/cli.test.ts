// The admin CLI (bin/cordon.mjs) as an operator runs it: a subprocess against the Workers under `wrangler dev`,
// each command's output and exit status checked — 0 done, 1 refused by the API (its message and fix on
// stderr), 2 wrong usage. The tenant's host, *.localhost, is reached on 127.0.0.1 by the CLI itself.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { call, cordon, hostOf, uniqueTenant } from "./cordon";

const CLI = join(import.meta.dirname, "../../bin/cordon.mjs");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: {
          PATH: process.env.PATH ?? "",
          CORDON_URL: `http://localhost:${cordon().port}`,
          CORDON_TOKEN: cordon().rootToken,
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
      },
    );
  });
}

describe("cordon CLI", () => {
  const tenant = uniqueTenant("cli");
  const t = ["--tenant", tenant];
  /** An owner key of the tenant: the audit and cache routes are the tenant's own, not the operator's. */
  let owner: Record<string, string>;

  beforeAll(async () => {
    const created = await run(["tenants", "create", tenant, "--name", "CLI test", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ id: tenant, name: "CLI test" });
    const key = await run(["keys", "create", ...t, "--name", "owner", "--role", "owner", "--json"]);
    expect(key.code, key.stderr).toBe(0);
    owner = { CORDON_TOKEN: key.json<{ key: string }>().key };
  });

  it("--help lists every command; a command's --help its options", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    for (const c of ["tenants list", "keys rotate", "policy set", "audit verify", "cache erase", "cache export"]) {
      expect(top.stdout).toContain(c);
    }
    const keys = await run(["keys", "create", "--help"]);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain("--rate-limit REQUESTS/SECONDS");
    expect(keys.stdout).toContain("--connect ADDRESS");
  });

  it("usage errors exit 2 and say what to do", async () => {
    expect((await run(["keys", "frobnicate"])).stderr).toMatch(/Commands of keys: list, get, create, revoke, rotate/);
    const noTenant = await run(["keys", "list"]);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toContain("--tenant");
    expect((await run(["keys", "create", ...t, "--name", "x"])).code).toBe(2);
    expect((await run(["tenants", "delete", tenant])).stderr).toContain("--yes");
    expect((await run(["cache", "erase", ...t, "--all"])).code).toBe(2);
    expect((await run(["policy", "set", ...t, "--no-such-field", "1"])).stderr).toContain('no field "no_such_field"');
  });

  it("tenants list shows the tenant, as a table and as JSON", async () => {
    const table = await run(["tenants", "list", "--limit", "1000"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+HOSTNAMES/);
    expect(table.stdout).toContain(tenant);
    const json = await run(["tenants", "list", "--limit", "1000", "--json"]);
    expect(json.json<{ data: { id: string }[] }>().data.map((x) => x.id)).toContain(tenant);
  });

  it("keys create, list, get, rotate and revoke", async () => {
    const created = await run([
      "keys",
      "create",
      ...t,
      "--name",
      "ci",
      "--role",
      "developer",
      "--rate-limit",
      "600/60",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const secret = /^\s+(cdn_\S+)$/m.exec(created.stdout)?.[1];
    const id = /Key (key_\w+) \(ci, developer\) created/.exec(created.stdout)?.[1];
    expect(secret && id, created.stdout).toBeTruthy();
    // The secret works.
    expect((await call("GET", hostOf(tenant), "/v1/models", { token: secret! })).status).toBe(200);

    const list = await run(["keys", "list", ...t]);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+ci\\s+developer\\s+active`));
    const got = await run(["keys", "get", id!, ...t, "--json"]);
    expect(got.json()).toMatchObject({ id, rate_limit: { requests: 600, window_seconds: 60 } });

    const rotated = await run(["keys", "rotate", id!, ...t, "--grace-seconds", "0", "--json"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = rotated.json<{ key: string }>().key;
    expect(next).not.toBe(secret);
    expect((await call("GET", hostOf(tenant), "/v1/models", { token: next })).status).toBe(200);

    const revoked = await run(["keys", "revoke", id!, ...t]);
    expect(revoked.stdout).toContain(`Key ${id} (ci) is revoked.`);
    expect((await call("GET", hostOf(tenant), "/v1/models", { token: next })).status).toBe(401);
  });

  it("the API's refusals exit 1 with its message, fix and catalogue link", async () => {
    const missing = await run(["keys", "revoke", "key_0000000000000000", ...t]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No key with this id exists in this tenant.");
    expect(missing.stderr).toContain("List the tenant's keys with GET /v1/admin/keys");
    expect(missing.stderr).toMatch(/docs\/errors#key_not_found/);
    expect(missing.stderr).toMatch(/HTTP 404 key_not_found, request req_/);
    const wrong = await run(["keys", "list", ...t], { CORDON_TOKEN: "cdn_not_a_key" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/HTTP 401/);
    const unreachable = await run(["keys", "list", ...t, "--url", "http://localhost:1"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Cannot reach Cordon");
  });

  it("--connect reaches the server at an address while naming the tenant's host", async () => {
    const ok = await run(["policy", "get", ...t, "--connect", "127.0.0.1"]);
    expect(ok.code, ok.stderr).toBe(0);
    // Another machine's name over plain HTTP: the CLI sends no credential there (test/node/cli-transport).
    const res = await run([
      "policy",
      "get",
      ...t,
      "--url",
      `http://cordon.invalid:${cordon().port}`,
      "--connect",
      "127.0.0.1",
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("Plain HTTP is for a gateway on this machine");
  });

  it("policy get, set by fields (read, change, write back) and set from a file", async () => {
    const before = (await run(["policy", "get", ...t, "--json"])).json<{ policy: Record<string, unknown> }>().policy;
    const set = await run([
      "policy",
      "set",
      ...t,
      "--similarity-threshold",
      "0.97",
      "--pii_mode",
      "redact",
      "--rate-limit",
      '{"requests":500,"window_seconds":60}',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("Policy updated: similarity_threshold, pii_mode, rate_limit.");
    const after = (await run(["policy", "get", ...t, "--json"])).json<{ policy: Record<string, unknown> }>().policy;
    expect(after).toEqual({
      ...before,
      similarity_threshold: 0.97,
      pii_mode: "redact",
      rate_limit: { requests: 500, window_seconds: 60 },
    });

    const file = join(mkdtempSync(join(tmpdir(), "cordon-cli-")), "policy.json");
    writeFileSync(file, JSON.stringify({ policy: { ...after, ttl_seconds: 3600 } }));
    const fromFile = await run(["policy", "set", ...t, "--file", file, "--json"]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.json<{ policy: Record<string, unknown> }>().policy.ttl_seconds).toBe(3600);

    const refused = await run(["policy", "set", ...t, "--pii-mode", "shout"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Invalid value for "pii_mode"');
    expect(refused.stderr).toContain("docs/errors#invalid_field");
  });

  it("audit list with filters, and audit verify", async () => {
    const events = await run(["audit", "list", ...t, "--action", "key.create", "--json"], owner);
    expect(events.code, events.stderr).toBe(0);
    const data = events.json<{ data: { action: string; actor: string }[] }>().data;
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((e) => e.action === "key.create")).toBe(true);
    const table = await run(["audit", "list", ...t, "--outcome", "allowed", "--limit", "5"], owner);
    expect(table.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OUTCOME\s+STATUS/);
    const verify = await run(["audit", "verify", ...t], owner);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^Audit chain intact: \d+ events checked\./);
    expect((await run(["audit", "list", ...t, "--from", "yesterday"], owner)).code).toBe(1);
    // The operator token administers tenants, keys and policy; the trail is the tenant's to read.
    expect((await run(["audit", "verify", ...t])).stderr).toContain("operator_not_allowed");
  });

  it("cache export and erase of one user, then of everything", async () => {
    const made = await run(["keys", "create", ...t, "--name", "app", "--role", "service", "--json"]);
    const key = made.json<{ key: string }>().key;
    const asked = await call("POST", hostOf(tenant), "/v1/chat/completions", {
      token: key,
      headers: { "x-cache-user": "user-42" },
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "What does the CLI export?" }] },
    });
    expect(asked.status, asked.text).toBe(200);
    const exportOf = () => run(["cache", "export", ...t, "--user", "user-42"], owner);
    await expect
      .poll(async () => (await exportOf()).stdout.split("\n").filter(Boolean).length, { timeout: 10_000 })
      .toBe(1);
    const exported = await exportOf();
    expect(JSON.parse(exported.stdout)).toMatchObject({ prompt: expect.stringContaining("What does the CLI export?") });

    const erased = await run(["cache", "erase", ...t, "--user", "user-42"], owner);
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/^Erased 1 entries; 1 user keys destroyed\./);
    expect((await exportOf()).stdout).toBe("");
    const all = await run(["cache", "erase", ...t, "--all", "--yes", "--json"], owner);
    expect(all.json()).toMatchObject({ object: "cache.erasure", all: true });
  });

  it("tenants delete --yes", async () => {
    const doomed = uniqueTenant("cli-doomed");
    expect((await run(["tenants", "create", doomed])).stdout).toContain(`Tenant ${doomed} created`);
    const deleted = await run(["tenants", "delete", doomed, "--yes"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Tenant ${doomed} deleted`);
    expect((await run(["tenants", "delete", doomed, "--yes"])).code).toBe(1);
  });
});
