// Cordon under `wrangler dev` for the benchmark, in its two topologies, on one throw-away state directory:
//   production-like  each Worker its own process — provider, logger (bench/logger-host), gateway (with
//                    bench/audit-relay carrying its audit batches to the logger's process: wrangler 4.86's local
//                    Queues do not cross processes) — found by each other through the run's own dev registry;
//   npm run dev      the three configs in one process, as scripts/dev.mjs starts them.
// Fresh secrets (ROOT_TOKEN, MASTER_KEY, JWT_SIGNING_KEY) go to a file passed with --env-file: a developer's
// .dev.vars and .wrangler/state are never read or touched.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, request } from "./http.mjs";
import { freePort, startWrangler, stop, waitHttp, waitRegistered, wranglerEnv } from "./processes.mjs";

export const TENANT = "bench";
export const TENANT_HOST = `${TENANT}.localhost`;

export function secrets(dir) {
  const rootToken = randomBytes(32).toString("base64url");
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = JSON.stringify({
    ...privateKey.export({ format: "jwk" }),
    kid: `bench-${randomBytes(4).toString("hex")}`,
  });
  const envFile = join(dir, "secrets.env");
  writeFileSync(
    envFile,
    [
      `ROOT_TOKEN=${rootToken}`,
      `MASTER_KEY=${randomBytes(32).toString("base64")}`,
      `JWT_SIGNING_KEY='${jwk}'`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { rootToken, envFile };
}

/** The logger's D1 migrations, applied to a state directory. */
export function migrate(config, persist, registry) {
  execFileSync(
    "npx",
    ["wrangler", "d1", "migrations", "apply", "cordon-audit", "--local", "-c", config, "--persist-to", persist],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...wranglerEnv(registry) },
    },
  );
}

/**
 * The production-like topology. The gateway's state is seeded first, by bench/seed/worker.ts running as the
 * gateway on the same state (then stopped): `seed(port)` is called while it runs.
 */
export async function startProductionLike({ dir, registry, envFile, seed, gatewayArgs = [] }) {
  const persist = (name) => join(dir, "state", name);
  migrate("bench/logger-host/wrangler.toml", persist("logger"), registry);
  const providerPort = await freePort();
  const loggerPort = await freePort();
  const gatewayPort = await freePort();
  const provider = startWrangler("provider", {
    configs: ["src/provider/wrangler.toml"],
    port: providerPort,
    persist: persist("provider"),
    registry,
  });
  const logger = startWrangler("logger", {
    configs: ["bench/logger-host/wrangler.toml"],
    port: loggerPort,
    persist: persist("logger"),
    registry,
  });
  await waitRegistered(provider, registry, "cordon-provider");
  await waitRegistered(logger, registry, "cordon-logger");
  await waitHttp(provider, providerPort, {});
  const gatewayConfigs = ["wrangler.toml", "bench/audit-relay/wrangler.toml"];
  const seeder = startWrangler("seeder", {
    configs: gatewayConfigs,
    port: gatewayPort,
    persist: persist("gateway"),
    registry,
    envFile,
    extra: ["bench/seed/worker.ts"],
  });
  await waitHttp(seeder, gatewayPort, {});
  const seeded = await seed(gatewayPort);
  await stop(seeder);
  if (/cache store failed/.test(seeder.stderr)) throw new Error(`seeding failed:\n${seeder.stderr}`);
  const gateway = startWrangler("gateway", {
    configs: gatewayConfigs,
    port: gatewayPort,
    persist: persist("gateway"),
    registry,
    envFile,
    extra: gatewayArgs,
  });
  await waitHttp(gateway, gatewayPort, {});
  return {
    seeded,
    gatewayPort,
    providerPort,
    loggerPort,
    processes: [gateway, logger, provider],
    /** Audit events the logger process has stored for the tenant. */
    storedEvents: async () => (await expect(200, { port: loggerPort, path: "/stats" })).json().stored[TENANT] ?? 0,
    /** Messages relayed to the logger (what the consumer has been handed). */
    relayed: async () => (await expect(200, { port: loggerPort, path: "/stats" })).json().relayed,
    /** The logger acks audit batches without consuming them (on) or consumes them (off). */
    dropAudit: (on) => expect(200, { port: loggerPort, method: "POST", path: `/drop?on=${on ? 1 : 0}` }),
  };
}

/** `npm run dev`'s topology on the same gateway state (its tenant, keys and entries), the logger's D1 fresh. */
export async function startDevTopology({ dir, registry, envFile }) {
  const persist = join(dir, "state", "gateway");
  migrate("src/logger/wrangler.toml", persist, registry);
  const port = await freePort();
  const all = startWrangler("dev", {
    configs: ["wrangler.toml", "src/logger/wrangler.toml", "src/provider/wrangler.toml"],
    port,
    persist,
    registry,
    envFile,
  });
  await waitHttp(all, port, {});
  return { gatewayPort: port, processes: [all] };
}

/** Tenant `bench` and a developer key, through the admin API; the key as OAuth client gets an access token. */
export async function createTenant(port, rootToken) {
  const operator = { authorization: `Bearer ${rootToken}` };
  await expect(201, { port, method: "POST", path: "/v1/admin/tenants", headers: operator, body: { id: TENANT } });
  const key = (
    await expect(201, {
      port,
      method: "POST",
      host: TENANT_HOST,
      path: "/v1/admin/keys",
      headers: operator,
      body: { name: "bench", role: "developer" },
    })
  ).json();
  return { keyId: key.id, secret: key.key };
}

/** Changes some fields of tenant `bench`'s policy (PUT takes the whole object); returns the policy it replaced. */
export async function updatePolicy(port, rootToken, fields) {
  const operator = { authorization: `Bearer ${rootToken}` };
  const at = { port, host: TENANT_HOST, path: "/v1/admin/policy", headers: operator };
  const { policy } = (await expect(200, at)).json();
  await expect(200, { ...at, method: "PUT", body: { ...policy, ...fields } });
  return policy;
}

/** POST /oauth/token, client credentials: client_id = the key's id, client_secret = its secret. */
export async function accessToken(port, key) {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: key.keyId,
    client_secret: key.secret,
  });
  const res = await request({
    port,
    method: "POST",
    host: TENANT_HOST,
    path: "/oauth/token",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  if (res.status !== 200) throw new Error(`POST /oauth/token: ${res.status} ${res.text}`);
  const token = res.json();
  if (token.expires_in < 600) throw new Error(`access token lives ${token.expires_in} s, shorter than a run`);
  return token.access_token;
}

/** Stops the given processes (a topology) and waits for them to be gone. */
export async function stopTopology(topology) {
  await Promise.all(topology.processes.map((p) => stop(p)));
}
