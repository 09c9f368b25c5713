import { randomBytes } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Tests make their own secrets, fresh for every run.
const secret = () => randomBytes(32).toString("base64url");

export default defineConfig(async () => {
  const migrations = await readD1Migrations("src/logger/migrations");
  return {
    plugins: [
      cloudflareTest({
        remoteBindings: false,
        wrangler: { configPath: "./test/wrangler.toml" },
        miniflare: {
          bindings: {
            ROOT_TOKEN: secret(),
            MASTER_KEY: randomBytes(32).toString("base64"),
            TEST_MIGRATIONS: migrations,
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
    },
  };
});
