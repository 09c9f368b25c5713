// The test Worker's bindings: the gateway's, the logger's and the provider's together, plus the migrations
// the setup applies.
type TestEnv = CordonGateway.Env &
  CordonLogger.Env &
  CordonProvider.Env & { TEST_MIGRATIONS: import("cloudflare:test").D1Migration[] };

declare namespace Cloudflare {
  interface Env extends TestEnv {}
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./worker");
  }
}
