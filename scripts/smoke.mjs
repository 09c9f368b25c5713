#!/usr/bin/env node
// A smoke test of a Cordon deployment, as an operator runs it after deploying (docs/deploy.md): the platform
// host answers, a throw-away tenant and key can be made, a chat request is a MISS and then a HIT-EXACT, the
// audit trail has recorded both and its chain verifies, and the tenant is deleted again. Exits non-zero, naming
// the step, at the first thing that is wrong.
//
//   CORDON_URL=https://cordon.example.com ROOT_TOKEN=… node scripts/smoke.mjs [--model openai/gpt-4o-mini]
//
// CORDON_URL is the platform host (tenants are its subdomains). For a local `npm run dev`, use
// http://localhost:8787 (add --connect 127.0.0.1 where *.localhost does not resolve in Node).
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "gpt-4o-mini" },
    connect: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const base = new URL(process.env.CORDON_URL ?? "http://localhost:8787");
const rootToken = process.env.ROOT_TOKEN;
if (!rootToken) fail("setup", "set ROOT_TOKEN (the operator token) in the environment");
// The operator token goes in requests: over plain HTTP only to a gateway on this machine.
const local = base.hostname === "localhost" || base.hostname.endsWith(".localhost") || base.hostname === "127.0.0.1";
if (base.protocol === "http:" && !local) fail("setup", `use https://${base.host}: plain HTTP is for localhost`);

function fail(step, message) {
  process.stderr.write(`smoke: FAILED at ${step}: ${message}\n`);
  process.exit(1);
}
const ok = (step, detail) => process.stdout.write(`smoke: ok   ${step}${detail ? ` — ${detail}` : ""}\n`);

/** One request to `host` (a tenant's or the platform's) at the deployment's scheme and port. */
function call(host, method, path, token, body) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const send = base.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: values.connect ?? host,
        servername: host,
        port: base.port || (base.protocol === "https:" ? 443 : 80),
        method,
        path,
        agent: false,
        headers: {
          host: base.port ? `${host}:${base.port}` : host,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode, headers: res.headers, json, text });
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(60_000, () => req.destroy(new Error("no answer within 60 s")));
    if (data) req.write(data);
    req.end();
  });
}

async function step(name, run) {
  try {
    return await run();
  } catch (err) {
    fail(name, err instanceof Error ? err.message : String(err));
  }
}

const expectStatus = (res, status) => {
  if (res.status !== status) {
    const why = res.json?.error ? `${res.json.error.code}: ${res.json.error.message}` : res.text.slice(0, 200);
    throw new Error(`HTTP ${res.status}, expected ${status} (${why})`);
  }
  return res;
};

const platform = base.hostname;
const tenant = `smoke-${randomBytes(4).toString("hex")}`;
const tenantHost = `${tenant}.${platform}`;

await step("health", async () => expectStatus(await call(platform, "GET", "/healthz"), 200));
ok("health", platform);

await step("create tenant", async () =>
  expectStatus(await call(platform, "POST", "/v1/admin/tenants", rootToken, { id: tenant, name: "Smoke test" }), 201),
);
ok("create tenant", tenant);

try {
  const key = await step("create key", async () => {
    const res = expectStatus(
      await call(tenantHost, "POST", "/v1/admin/keys", rootToken, { name: "smoke", role: "admin" }),
      201,
    );
    return res.json.key;
  });
  ok("create key", "admin role");

  const question = `Smoke test ${randomBytes(3).toString("hex")}: what is the capital of France?`;
  const body = { model: values.model, messages: [{ role: "user", content: question }] };
  for (const expected of ["MISS", "HIT-EXACT"]) {
    await step(`chat ${expected}`, async () => {
      // The entry is stored after the first answer is sent: give the second a few tries.
      for (let attempt = 1; ; attempt++) {
        const res = expectStatus(await call(tenantHost, "POST", "/v1/chat/completions", key, body), 200);
        const cache = res.headers["x-cache"];
        if (cache === expected) return ok(`chat ${expected}`, res.json?.choices?.[0]?.message?.content?.slice(0, 60));
        if (expected === "MISS" || attempt === 5) throw new Error(`x-cache: ${cache}, expected ${expected}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
  }

  await step("audit trail", async () => {
    for (let attempt = 1; ; attempt++) {
      const res = expectStatus(await call(tenantHost, "GET", "/v1/audit?action=chat.completions", key), 200);
      if (res.json.data.length >= 2) return ok("audit trail", `${res.json.data.length} chat events recorded`);
      if (attempt === 20) throw new Error(`${res.json.data.length} chat events after 20 s, expected 2`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  await step("audit verify", async () => {
    const res = expectStatus(await call(tenantHost, "GET", "/v1/audit/verify", key), 200);
    if (!res.json.ok) throw new Error(`the chain does not verify: ${JSON.stringify(res.json.first_break)}`);
    ok("audit verify", `${res.json.checked} events, chain intact`);
  });
} finally {
  if (!values.keep) {
    const res = await call(platform, "DELETE", `/v1/admin/tenants/${tenant}`, rootToken).catch(() => null);
    if (res?.status === 200) ok("delete tenant", tenant);
    else process.stderr.write(`smoke: could not delete tenant ${tenant} (HTTP ${res?.status ?? "—"}); delete it\n`);
  }
}
process.stdout.write("smoke: all checks passed\n");
