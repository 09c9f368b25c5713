// What a request waits for before its handler (pipeline.ts): the Host's tenant record and an API key's record are
// read from KV at once — a request whose key is not in the isolate's cache waits for the slower read, not for the
// two in turn — while an access token, which is checked against its tenant, waits for the tenant record. A Host
// that cannot name a tenant is refused before either read; a failed tenant read is the answer, and a guess made
// meanwhile is not counted against the client (nor slowed).
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import gateway from "../../src/gateway/index";
import { AUTH_BURST } from "../../src/gateway/policy/auth-burst";
import { tenantsKv } from "../../src/gateway/storage/kv-keys";
import { accessTokenFor, call, createTenant, hostOf, newKey, uniqueTenant } from "../helpers";

/**
 * The gateway's environment with its TENANTS namespace watched: every read is listed, and reads of the gated key
 * wait until the gate is opened. A new environment object has its own runtime, so its key cache starts empty.
 */
function gatedEnv(gatedKey: string, failGated = false) {
  const reads: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const kv = env.TENANTS;
  const TENANTS = new Proxy(kv, {
    get(target, prop) {
      if (prop === "get") {
        return async (key: string, options?: unknown) => {
          reads.push(key);
          if (key === gatedKey) {
            await gate;
            if (failGated) throw new Error("KV unavailable");
          }
          return target.get(key, options as never);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { env: { ...env, TENANTS } as CordonGateway.Env, reads, open };
}

/** Whether `answer` settles within `ms` (false: the request is still waiting). */
const answeredWithin = (answer: Promise<Response>, ms: number) =>
  Promise.race([answer.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]);

const isKeyRecord = (key: string) => key.startsWith(tenantsKv.apiKeyByHash("x").slice(0, -1));

describe("reads before the handler", async () => {
  const tenant = uniqueTenant("rr");
  await createTenant(tenant);
  const { id, key } = await newKey(tenant, { role: "developer" });

  it("an API key's record is read while the tenant record is still on its way", async () => {
    const watched = gatedEnv(tenantsKv.tenant(tenant));
    const answer = call(hostOf(tenant), "/v1/models", { token: key, env: watched.env });
    await vi.waitFor(() => {
      expect(watched.reads).toContain(tenantsKv.tenant(tenant));
      expect(watched.reads.filter(isKeyRecord)).toHaveLength(1);
    });
    // Both reads are out and the tenant's has not come back: the request has not been answered.
    expect(await answeredWithin(answer, 20)).toBe(false);
    watched.open();
    const res = await answer;
    expect(res.status).toBe(200);
  });

  it("an access token waits for the tenant record, and is then accepted", async () => {
    const token = await accessTokenFor(hostOf(tenant), id, key);
    const watched = gatedEnv(tenantsKv.tenant(tenant));
    const answer = call(hostOf(tenant), "/v1/models", { token, env: watched.env });
    await vi.waitFor(() => expect(watched.reads).toContain(tenantsKv.tenant(tenant)));
    expect(await answeredWithin(answer, 20)).toBe(false);
    watched.open();
    expect((await answer).status).toBe(200);
  });

  it("a failed tenant read is the answer (500, nothing said), whatever the key's check found meanwhile", async () => {
    // The operator's log says why; the client is told nothing of it.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    // A valid key (its check succeeds meanwhile) and one whose checksum is wrong (its check fails first).
    for (const token of [key, `${key.slice(0, -4)}AAAA`]) {
      const watched = gatedEnv(tenantsKv.tenant(tenant), true);
      const answer = call(hostOf(tenant), "/v1/models", { token, env: watched.env });
      await vi.waitFor(() => expect(watched.reads).toContain(tenantsKv.tenant(tenant)));
      await new Promise((r) => setTimeout(r, 20));
      watched.open();
      const res = await answer;
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe("internal_error");
      expect(text).not.toMatch(/KV unavailable/);
    }
    expect(logged.mock.calls.filter((c) => String(c[0]).includes("KV unavailable"))).toHaveLength(2);
    logged.mockRestore();
  });

  it("guesses answered 500 because the tenant could not be read are not counted against the client", async () => {
    const ip = "192.0.2.77";
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    // Well-formed, wrong checksum: each alone would be a counted failure from this address.
    const guess = (i: number, with_: CordonGateway.Env = env) =>
      call(hostOf(tenant), "/v1/models", {
        token: `cdn_test_${String(i).padStart(8, "0")}${"0".repeat(24)}_AAAAAA`,
        ip,
        env: with_,
      });
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER; i++) {
      const watched = gatedEnv(tenantsKv.tenant(tenant), true);
      watched.open();
      const res = await guess(i, watched.env);
      expect(res.status).toBe(500);
      await res.text();
    }
    expect(logged).toHaveBeenCalledTimes(AUTH_BURST.BLOCK_AFTER);
    logged.mockRestore();
    // Were they counted, the address would be blocked by now (and the guesses slowed on the way).
    const after = await guess(AUTH_BURST.BLOCK_AFTER);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe("malformed_api_key");
  });

  it("a Host that cannot name a tenant is refused before the key's record or any tenant is read", async () => {
    const watched = gatedEnv("");
    // Builds the runtime (which reads the platform key) before watching what the request reads.
    expect((await call(hostOf(tenant), "/healthz", { env: watched.env })).status).toBe(200);
    watched.reads.length = 0;
    const res = await gateway.fetch(
      new Request("https://127.0.0.1/v1/models", { headers: { authorization: `Bearer ${key}` } }),
      watched.env,
      createExecutionContext(),
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("tenant_not_found");
    expect(watched.reads).toEqual([]);
  });
});
