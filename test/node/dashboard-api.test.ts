// The dashboard's calls (dashboard/src/api.ts) against a stand-in for fetch: what the page asks the gateway,
// and what it makes of the answers. (The page in a browser, against Cordon: e2e/dashboard.test.ts.)
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyWholeChain } from "../../dashboard/src/api";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the dashboard's audit chain verification", () => {
  // Regression: "Verify chain" asked GET /v1/audit/verify once. A chain longer than one request checks was shown
  // "Chain intact … (more remain; verify again to continue)", and verifying again started over from the first
  // event, so the events past the first walk were never checked and a break there never shown.
  it("follows resume_from_seq until the whole chain is checked, and reports a break found further on", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (input: string) => {
      asked.push(input);
      const from = new URL(input, "https://acme.cordon.example").searchParams.get("from_seq");
      const page =
        from === null
          ? { ok: true, complete: false, checked: 1_000_000, resume_from_seq: 1_000_001 }
          : { ok: false, complete: true, checked: 41, first_break: { seq: 1_000_042, reason: "edited" } };
      return new Response(JSON.stringify({ object: "audit.verification", ...page }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    });
    const result = await verifyWholeChain();
    expect(asked).toEqual(["/v1/audit/verify", "/v1/audit/verify?from_seq=1000001"]);
    expect(result).toMatchObject({
      ok: false,
      complete: true,
      checked: 1_000_041,
      first_break: { seq: 1_000_042, reason: "edited" },
    });
  });
});
