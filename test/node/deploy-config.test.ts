// scripts/check-deploy.mjs's configuration check (scripts/deploy-config.mjs): the checked-in configuration passes
// (its example values are warnings), and each way a production deployment would start unaudited, in development
// mode or not at all is an error. Crafted copies of both wrangler.toml files, in a temporary directory.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkDeployConfig } from "../../scripts/deploy-config.mjs";

const GATEWAY = readFileSync("wrangler.toml", "utf8");
const LOGGER = readFileSync("src/logger/wrangler.toml", "utf8");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Both configurations, each passed through `edit` (which must change it), checked as a deployment. */
async function check(gateway: (s: string) => string = (s) => s, logger: (s: string) => string = (s) => s) {
  const root = mkdtempSync(join(tmpdir(), "cordon-deploy-config-"));
  dirs.push(root);
  mkdirSync(join(root, "src/logger"), { recursive: true });
  writeFileSync(join(root, "wrangler.toml"), gateway(GATEWAY));
  writeFileSync(join(root, "src/logger/wrangler.toml"), logger(LOGGER));
  return checkDeployConfig({ root });
}

/** `text` with `from` replaced once; fails if `from` is not there, so that a test never checks an unchanged file. */
const replace = (from: string, to: string) => (text: string) => {
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`not in the configuration: ${from}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
};
const inProduction = (from: string, to: string) => (text: string) => {
  const at = text.indexOf("\n[env.production]\n");
  if (at < 0) throw new Error("no [env.production] section");
  return text.slice(0, at) + replace(from, to)(text.slice(at));
};

describe("the deployment's configuration check", () => {
  it("passes the checked-in configuration, naming its example values", async () => {
    const { errors, warnings } = await check();
    expect(errors).toEqual([]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'gateway: AI_GATEWAY_ACCOUNT_ID = "replace-with-account-id"',
        "gateway: TENANTS id",
        "logger: AUDIT_DB database_id",
      ]),
    );
  });

  it.each<[string, (s: string) => string, RegExp]>([
    [
      "development mode",
      inProduction('ENVIRONMENT = "production"', 'ENVIRONMENT = "development"'),
      /ENVIRONMENT=development/,
    ],
    [
      "development mode on localhost",
      (s) =>
        inProduction(
          'BASE_DOMAIN = "cordon.example.com"',
          'BASE_DOMAIN = "localhost"',
        )(inProduction('ENVIRONMENT = "production"', 'ENVIRONMENT = "development"')(s)),
      /ENVIRONMENT is "development"/,
    ],
    [
      "no audit Queue",
      inProduction(
        '[[env.production.queues.producers]]\nbinding = "AUDIT"',
        '[[env.production.queues.producers]]\nbinding = "AUDIT_OTHER"',
      ),
      /the AUDIT binding is missing/,
    ],
    [
      "invocation logs kept",
      replace("[observability.logs]\ninvocation_logs = false\n", ""),
      /invocation logs are on: each keeps its request's URL/,
    ],
    [
      "logs turned on below observability turned off, without invocation_logs = false",
      replace(
        "[observability]\nenabled = true\n\n[observability.logs]\ninvocation_logs = false\n",
        "[observability]\nenabled = false\n\n[observability.logs]\nenabled = true\n",
      ),
      /invocation logs are on/,
    ],
    [
      "invocation logs turned back on in production",
      (s) =>
        `${s}\n[env.production.observability]\nenabled = true\n[env.production.observability.logs]\ninvocation_logs = true\n`,
      /invocation logs are on/,
    ],
    ["no brute-force guard", inProduction('name = "AUTH_GUARD"', 'name = "AUTH_GUARD_OLD"'), /AUTH_GUARD binding/],
    [
      "Vectorize without its binding",
      inProduction('binding = "VECTORIZE"', 'binding = "VECTORS"'),
      /VECTORIZE binding/,
    ],
    ["the development provider", inProduction('PROVIDER = "ai-gateway"', 'PROVIDER = "local"'), /PROVIDER/],
    ["test keys", inProduction('API_KEY_ENV = "live"', 'API_KEY_ENV = "test"'), /API_KEY_ENV=live/],
    [
      "a secret among the vars",
      inProduction('MAX_BODY_BYTES = "1048576"', `MAX_BODY_BYTES = "1048576"\nROOT_TOKEN = "${"r".repeat(40)}"`),
      /ROOT_TOKEN is a secret/,
    ],
    [
      "an access-token lifetime out of range",
      inProduction('MAX_BODY_BYTES = "1048576"', 'MAX_BODY_BYTES = "1048576"\nACCESS_TOKEN_TTL_SECONDS = "604800"'),
      /ACCESS_TOKEN_TTL_SECONDS/,
    ],
    [
      "an audit Queue the logger does not consume",
      inProduction('queue = "cordon-audit"', 'queue = "cordon-audit-v2"'),
      /sends to "cordon-audit-v2", which the logger does not consume/,
    ],
    [
      "audit queries sent to another Worker",
      inProduction('service = "cordon-logger"', 'service = "cordon-logger-staging"'),
      /AUDIT_LOG names cordon-logger-staging/,
    ],
  ])("refuses a gateway with %s", async (_name, edit, message) => {
    const { errors } = await check(edit);
    expect(errors.join("\n")).toMatch(message);
  });

  it.each<[string, (s: string) => string, RegExp]>([
    ["no retention", replace('AUDIT_RETENTION_DAYS = "400"', 'AUDIT_RETENTION_DAYS = "0"'), /AUDIT_RETENTION_DAYS/],
    [
      "a negative retention",
      replace('AUDIT_RETENTION_DAYS = "400"', 'AUDIT_RETENTION_DAYS = "-30"'),
      /AUDIT_RETENTION_DAYS/,
    ],
    ["no database", replace('binding = "AUDIT_DB"', 'binding = "DB"'), /AUDIT_DB binding is missing/],
    [
      "no dead-letter queue",
      replace('max_concurrency = 1\ndead_letter_queue = "cordon-audit-dlq"', "max_concurrency = 1"),
      /no dead_letter_queue/,
    ],
    [
      "dead letters sent to a queue it does not consume",
      replace(
        'binding = "AUDIT_DLQ"\nqueue = "cordon-audit-dlq"',
        'binding = "AUDIT_DLQ"\nqueue = "cordon-audit-dead"',
      ),
      /AUDIT_DLQ sends to "cordon-audit-dead", not to "cordon-audit-dlq"/,
    ],
  ])("refuses a logger with %s", async (_name, edit, message) => {
    const { errors } = await check(undefined, edit);
    expect(errors.join("\n")).toMatch(message);
  });

  it("refuses an audit Queue renamed in both Workers: the logger's code reads its queues by name", async () => {
    const { errors } = await check(
      inProduction('queue = "cordon-audit"', 'queue = "acme-audit"'),
      replace('[[queues.consumers]]\nqueue = "cordon-audit"\n', '[[queues.consumers]]\nqueue = "acme-audit"\n'),
    );
    expect(errors.join("\n")).toMatch(/the logger consumes "acme-audit", but its code reads only "cordon-audit"/);
  });
});
