import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Three projects, one `npm test`:
//   workers — unit, integration and security tests inside workerd, against real local KV, Queues, D1 and
//             Durable Objects (test/wrangler.toml);
//   node    — static checks over the code base (error catalogue) in Node;
//   e2e     — Node clients against the three Workers under `wrangler dev` (test/e2e/global-setup.ts).
// Tests make their own secrets, fresh for every run.
const secret = () => randomBytes(32).toString("base64url");

function jwtSigningKey(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid: `test-${randomBytes(4).toString("hex")}` });
}

/**
 * itty-router's published bundle points its source map at sources outside its package, which Vite reports,
 * file by file, each time the workers pool loads it. Loaded here without the map (harmless: not our code).
 */
const ittyRouterWithoutSourceMap = {
  name: "itty-router-without-source-map",
  enforce: "pre" as const,
  load(id: string) {
    if (!/node_modules\/itty-router\/index\.mjs$/.test(id)) return null;
    return readFileSync(id, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  },
};

/**
 * @cloudflare/vitest-pool-workers 0.15 — the last release on wrangler 4.86 and miniflare 4, which run on Node 20 —
 * prints workerd's "WebSocket peer disconnected" each time a test file's runner closes; later releases drop that
 * line themselves (their list of ignored runtime messages). Dropped here the same way: that exact line only.
 */
const POOL_CLOSE = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n$/;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === "string" && POOL_CLOSE.test(chunk) ? true : write(chunk, ...rest)) as typeof stream.write;
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("src/logger/migrations");
  return {
    test: {
      // Console output of passing tests is not printed (many provoke errors on purpose); a failing test's is.
      silent: "passed-only" as const,
      projects: [
        {
          plugins: [
            ittyRouterWithoutSourceMap,
            cloudflareTest({
              remoteBindings: false,
              wrangler: { configPath: "./test/wrangler.toml" },
              miniflare: {
                bindings: {
                  ROOT_TOKEN: secret(),
                  MASTER_KEY: randomBytes(32).toString("base64"),
                  JWT_SIGNING_KEY: jwtSigningKey(),
                  TEST_MIGRATIONS: migrations,
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/security/**/*.test.ts"],
            setupFiles: ["./test/setup.ts"],
          },
        },
        {
          test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            globalSetup: ["./test/e2e/global-setup.ts"],
            fileParallelism: false,
            testTimeout: 30_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
