import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
it("boots", async () => {
  const r = await exports.default.fetch("http://x.cordon.test/healthz");
  expect(r.status).toBe(503);
});
