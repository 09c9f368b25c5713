import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach } from "vitest";
import { settle } from "./helpers";

await applyD1Migrations(env.AUDIT_DB, env.TEST_MIGRATIONS);

// Work a test's requests deferred with waitUntil (cache stores, audit sends) finishes inside that test.
afterEach(settle);
