// Errors that help: every code of the catalogue, rendered as the gateway sends it, says what went wrong, what
// to do next and where its catalogue entry is — in the message and in a Link header (rel="help") — while the
// JSON body keeps exactly the contract's keys. (test/helpers.ts checks the same on every error a test meets.)
import { describe, expect, it } from "vitest";
import { ERROR_CATALOG, ERROR_CODES, errorTypeFor } from "../../src/gateway/http/error-catalog";
import { ApiError, docsUrlOf } from "../../src/gateway/http/errors";
import { errorResponse, oauthErrorResponse } from "../../src/gateway/http/respond";

const docsUrl = docsUrlOf(new URL("https://acme.cordon.test/v1/chat/completions?x=1"));

describe("errors that help", () => {
  it("the catalogue is served on the request's origin", () => {
    expect(docsUrl).toBe("https://acme.cordon.test/docs/errors");
  });

  it.each(ERROR_CODES)("%s: status, type, message with its fix, and a Link to its entry", async (code) => {
    const spec = ERROR_CATALOG[code];
    const res = errorResponse(new ApiError(code), "req_1", docsUrl);
    expect(res.status).toBe(spec.status);
    expect(res.headers.get("link")).toBe(`<https://acme.cordon.test/docs/errors#${code}>; rel="help"`);
    const body = (await res.json()) as { error: Record<string, string> };
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id", "type"]);
    expect(body.error).toMatchObject({ code, type: errorTypeFor(spec.status), request_id: "req_1" });
    expect(body.error.message).toBe(`${spec.message} ${spec.fix} See https://acme.cordon.test/docs/errors#${code}.`);
  });

  it.each(ERROR_CODES)("%s: a call site's own sentence still gets the fix and the link", async (code) => {
    const res = errorResponse(new ApiError(code, { message: "Something specific." }), "req_2", docsUrl);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe(
      `Something specific. ${ERROR_CATALOG[code].fix} See https://acme.cordon.test/docs/errors#${code}.`,
    );
    expect(res.headers.get("link")).toContain(`#${code}>`);
  });

  it("the token endpoint's RFC 6749 errors link the entry in error_uri and in the Link header", async () => {
    for (const code of ["invalid_client", "invalid_request", "unsupported_grant_type", "invalid_scope"] as const) {
      const res = oauthErrorResponse(new ApiError(code), "req_3", docsUrl);
      const body = (await res.json()) as Record<string, string>;
      expect(body.error_uri).toBe(`${docsUrl}#${code}`);
      expect(body.error_description).toContain(ERROR_CATALOG[code].fix);
      expect(res.headers.get("link")).toBe(`<${docsUrl}#${code}>; rel="help"`);
    }
  });

  it("a provider's own error, passed on as it said it, still links Cordon's entry for it", async () => {
    const err = new ApiError("provider_rejected", {
      upstream: { status: 422, type: "invalid_request_error", code: "bad_param", param: "x", message: "No." },
    });
    const res = errorResponse(err, "req_4", docsUrl);
    expect(res.status).toBe(422);
    expect(res.headers.get("link")).toBe(`<${docsUrl}#provider_rejected>; rel="help"`);
    expect(await res.json()).toEqual({
      error: { type: "invalid_request_error", code: "bad_param", param: "x", message: "No.", request_id: "req_4" },
    });
  });
});
