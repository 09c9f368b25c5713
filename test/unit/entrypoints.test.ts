// Regression: a main module that exported a plain constant (the provider's CHAT_PATH) passed every test but
// stopped `wrangler dev` — workerd treats each export of a Worker's main module as an entrypoint and refuses
// anything but a handler object or a class. Each Worker's main module may export only those.
import { describe, expect, it } from "vitest";
import * as gateway from "../../src/gateway/index";
import * as logger from "../../src/logger/index";
import * as provider from "../../src/provider/index";

const isHandler = (v: unknown) =>
  v !== null && typeof v === "object" && Object.values(v).every((f) => typeof f === "function");
const isClass = (v: unknown) => typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v));

describe("main modules export only entrypoints (regression: an exported constant broke wrangler dev)", () => {
  it.each([
    ["gateway", gateway],
    ["logger", logger],
    ["provider", provider],
  ])("%s", (_name, mod) => {
    for (const [name, value] of Object.entries(mod)) {
      expect(name === "default" ? isHandler(value) : isClass(value), `export ${name}`).toBe(true);
    }
  });
});
