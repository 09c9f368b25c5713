// The test Worker: gateway fetch, the logger's queue consumers (audit queue and its dead-letter queue, told
// apart by the logger) and retention cron, local provider entrypoint and the tenant Durable Object, exported
// together (see test/wrangler.toml).
import gateway from "../src/gateway/index";
import logger from "../src/logger/index";

export { AuthGuard } from "../src/gateway/storage/auth-guard";
export { TenantObject } from "../src/gateway/storage/tenant-object/index";
export { UpstreamCircuit } from "../src/gateway/storage/upstream-circuit";
export { AuditLog } from "../src/logger/index";
export { LocalProvider } from "../src/provider/index";

export default {
  fetch: gateway.fetch,
  queue: logger.queue,
  scheduled: logger.scheduled,
} satisfies ExportedHandler<TestEnv>;
