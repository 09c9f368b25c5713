// What a dry run cannot see: whether the deployed configuration would start, and whether the two Workers are
// wired to each other. The gateway's vars and bindings, as wrangler resolves them for `--env production`, go
// through the gateway's own parser (src/gateway/config.ts, bundled here) with stand-in secrets, and the logger's
// through its own (src/logger/config.ts); then:
//   - the gateway runs as production (ENVIRONMENT = "production"), and no secret sits in clear among its vars;
//   - Workers Logs keeps no invocation log of the gateway's (each holds its request's URL);
//   - the Queue the gateway's AUDIT sends to is one the logger consumes, with a dead-letter queue the logger
//     consumes too, and AUDIT_LOG names the logger's AuditLog entrypoint;
//   - the logger consumes only the queues its code reads by name (src/logger/queue-messages.ts): another name's
//     messages would be retried and never chained;
//   - the logger has its database and its dead-letter producer, which sends to its dead-letter queue.
// Values left at the checked-in examples (`replace-with-…`, `example.com`) are warnings: the repository's own
// configuration holds them, and CI checks it. `npm run check:deploy -- --strict` makes them errors.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { unstable_readConfig } from "wrangler";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The gateway's secrets (src/gateway/secrets.d.ts): `wrangler secret put`, never vars. */
export const GATEWAY_SECRETS = [
  "ROOT_TOKEN",
  "MASTER_KEY",
  "MASTER_KEY_PREVIOUS",
  "JWT_SIGNING_KEY",
  "JWT_PREVIOUS_KEYS",
  "AI_GATEWAY_TOKEN",
  "PROVIDER_API_KEY",
];

/** Stand-ins of the right shape for the secrets the parser requires: they are set outside the configuration. */
const STAND_IN_SECRETS = {
  ROOT_TOKEN: randomBytes(32).toString("base64url"),
  MASTER_KEY: randomBytes(32).toString("base64"),
  JWT_SIGNING_KEY: "{}",
};

const PLACEHOLDER = /replace-with-|(^|\.)example\.(com|org|net)\b/;

let parsers;
/** parseConfig, loggerConfig and the logger's queue names, bundled from the Workers' sources (once per process). */
async function loadParsers() {
  if (parsers) return parsers;
  const dir = mkdtempSync(join(tmpdir(), "cordon-config-"));
  try {
    const file = join(dir, "parsers.mjs");
    await esbuild.build({
      stdin: {
        contents:
          'export { parseConfig } from "./src/gateway/config.ts";\nexport { loggerConfig } from "./src/logger/config.ts";\n' +
          'export { AUDIT_QUEUE, DEAD_LETTER_QUEUE } from "./src/logger/queue-messages.ts";\n',
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "neutral",
      outfile: file,
      logLevel: "error",
    });
    parsers = await import(pathToFileURL(file).href);
    return parsers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every binding name a resolved configuration declares. */
function bindingsOf(c) {
  return new Set(
    [
      ...(c.kv_namespaces ?? []).map((b) => b.binding),
      ...(c.durable_objects?.bindings ?? []).map((b) => b.name),
      ...(c.queues?.producers ?? []).map((b) => b.binding),
      ...(c.services ?? []).map((b) => b.binding),
      ...(c.vectorize ?? []).map((b) => b.binding),
      ...(c.d1_databases ?? []).map((b) => b.binding),
      ...(c.analytics_engine_datasets ?? []).map((b) => b.binding),
      ...(c.r2_buckets ?? []).map((b) => b.binding),
      c.ai?.binding,
      c.assets?.binding,
    ].filter(Boolean),
  );
}

/** Strings of a resolved configuration still at the checked-in examples, as `where: value`. */
function placeholdersOf(label, c) {
  const found = [];
  for (const [k, v] of Object.entries(c.vars ?? {})) {
    if (typeof v === "string" && PLACEHOLDER.test(v)) found.push(`${label} ${k} = "${v}"`);
  }
  for (const b of c.kv_namespaces ?? []) if (PLACEHOLDER.test(b.id ?? "")) found.push(`${label} ${b.binding} id`);
  for (const b of c.d1_databases ?? []) {
    if (PLACEHOLDER.test(b.database_id ?? "")) found.push(`${label} ${b.binding} database_id`);
  }
  for (const r of c.routes ?? []) {
    const pattern = typeof r === "string" ? r : r.pattern;
    if (PLACEHOLDER.test(pattern ?? "")) found.push(`${label} route ${pattern}`);
  }
  return found;
}

/**
 * Checks the deployed configuration of both Workers. Paths are relative to `root` (default: the repository).
 * @returns {{ errors: string[], warnings: string[] }}
 */
export async function checkDeployConfig({
  root = ROOT,
  gatewayConfig = "wrangler.toml",
  gatewayEnv = "production",
  loggerConfig: loggerConfigPath = "src/logger/wrangler.toml",
} = {}) {
  const { parseConfig, loggerConfig, AUDIT_QUEUE, DEAD_LETTER_QUEUE } = await loadParsers();
  const errors = [];
  const warnings = [];
  const gateway = unstable_readConfig({ config: join(root, gatewayConfig), env: gatewayEnv }, { hideWarnings: true });
  const logger = unstable_readConfig({ config: join(root, loggerConfigPath) }, { hideWarnings: true });

  // The gateway, as it would start.
  const vars = gateway.vars ?? {};
  for (const name of GATEWAY_SECRETS) {
    if (name in vars) errors.push(`gateway: ${name} is a secret: set it with \`wrangler secret put\`, not in vars`);
  }
  const bindings = Object.fromEntries([...bindingsOf(gateway)].map((b) => [b, {}]));
  try {
    const config = parseConfig({ ...STAND_IN_SECRETS, ...vars, ...bindings });
    if (config.environment !== "production") {
      errors.push(`gateway: ENVIRONMENT is "${config.environment}"; a deployment runs "production"`);
    }
  } catch (err) {
    errors.push(`gateway: ${err instanceof Error ? err.message : String(err)}`);
  }

  // Workers Logs' invocation logs would keep every request's URL, and a query may name a person.
  // Logs are on as `logs.enabled` says, else as `enabled` does; left unsaid, the platform's default may keep them.
  const observability = gateway.observability;
  const logsOn = observability?.logs?.enabled ?? observability?.enabled ?? true;
  if (logsOn && observability?.logs?.invocation_logs !== false) {
    errors.push(
      "gateway: Workers Logs' invocation logs are on: each keeps its request's URL, where a query may name a person (`?user=`); set [observability.logs] invocation_logs = false",
    );
  }

  // The logger, as it would start.
  try {
    loggerConfig(logger.vars ?? {});
  } catch (err) {
    errors.push(`logger: ${err instanceof Error ? err.message : String(err)}`);
  }
  const loggerBindings = bindingsOf(logger);
  for (const b of ["AUDIT_DB", "AUDIT_DLQ"]) {
    if (!loggerBindings.has(b)) errors.push(`logger: the ${b} binding is missing`);
  }

  // What ties them: the audit Queue and the audit queries.
  const consumers = logger.queues?.consumers ?? [];
  const auditQueue = (gateway.queues?.producers ?? []).find((p) => p.binding === "AUDIT")?.queue;
  const consumer = consumers.find((c) => c.queue === auditQueue);
  if (auditQueue !== undefined && !consumer) {
    errors.push(`the gateway's AUDIT sends to "${auditQueue}", which the logger does not consume`);
  } else if (consumer && !consumer.dead_letter_queue) {
    errors.push(`the logger's consumer of "${auditQueue}" has no dead_letter_queue: exhausted events are dropped`);
  } else if (consumer && !consumers.some((c) => c.queue === consumer.dead_letter_queue)) {
    errors.push(`the logger does not consume its dead-letter queue "${consumer.dead_letter_queue}"`);
  }
  // The logger tells its two consumers apart by the queue's name; a batch from any other is retried until the
  // platform drops it, so a consistently renamed pair of queues would leave the audit trail empty.
  for (const c of consumers) {
    if (c.queue !== AUDIT_QUEUE && c.queue !== DEAD_LETTER_QUEUE) {
      errors.push(
        `the logger consumes "${c.queue}", but its code reads only "${AUDIT_QUEUE}" and "${DEAD_LETTER_QUEUE}" (src/logger/queue-messages.ts): its messages would be retried, never chained`,
      );
    }
  }
  const dlqProducer = (logger.queues?.producers ?? []).find((p) => p.binding === "AUDIT_DLQ");
  if (dlqProducer && consumer?.dead_letter_queue && dlqProducer.queue !== consumer.dead_letter_queue) {
    errors.push(
      `the logger's AUDIT_DLQ sends to "${dlqProducer.queue}", not to "${consumer.dead_letter_queue}", the dead-letter queue it consumes`,
    );
  }
  const auditLog = (gateway.services ?? []).find((s) => s.binding === "AUDIT_LOG");
  if (auditLog && (auditLog.service !== logger.name || auditLog.entrypoint !== "AuditLog")) {
    errors.push(
      `the gateway's AUDIT_LOG names ${auditLog.service}/${auditLog.entrypoint}, not ${logger.name}/AuditLog`,
    );
  }

  warnings.push(...placeholdersOf("gateway:", gateway), ...placeholdersOf("logger:", logger));
  return { errors, warnings };
}
