// The deploy guide's smoke test (scripts/smoke.mjs), run against the local deployment as an operator would run
// it against theirs: every step passes and the throw-away tenant is gone afterwards.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { call, cordon } from "./cordon";

const run = promisify(execFile);

describe("scripts/smoke.mjs", () => {
  it("passes every step against a working deployment and leaves no tenant behind", async () => {
    const { port, rootToken, baseDomain } = cordon();
    const { stdout } = await run("node", ["scripts/smoke.mjs", "--connect", "127.0.0.1"], {
      env: { ...process.env, CORDON_URL: `http://${baseDomain}:${port}`, ROOT_TOKEN: rootToken },
      timeout: 90_000,
    });
    for (const step of ["health", "create tenant", "create key", "chat MISS", "chat HIT-EXACT", "audit verify"]) {
      expect(stdout).toContain(`smoke: ok   ${step}`);
    }
    expect(stdout).toContain("smoke: all checks passed");
    const tenant = /create tenant — (smoke-[0-9a-f]+)/.exec(stdout)![1]!;
    const list = await call("GET", baseDomain, "/v1/admin/tenants", { token: rootToken });
    expect(list.text).not.toContain(tenant);
  }, 120_000);

  it("fails loudly, naming the step, when the operator token is wrong", async () => {
    const { port, baseDomain } = cordon();
    const failed = await run("node", ["scripts/smoke.mjs", "--connect", "127.0.0.1"], {
      env: { ...process.env, CORDON_URL: `http://${baseDomain}:${port}`, ROOT_TOKEN: "x".repeat(40) },
      timeout: 60_000,
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/FAILED at create tenant: HTTP 401/);
  });
});
