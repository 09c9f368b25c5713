// The admin CLI's transport, against a listener on this machine that records what it receives: the credential
// travels only in the Authorization header, never in a URL, and never over plain HTTP to another machine; a
// redirect is a failure, not an empty success; a listed row whose stored event cannot be read is shown, marked.
// (The commands themselves, against Cordon: e2e/cli.test.ts.)
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "../../bin/cordon.mjs");
const SECRET = "cdn_live_0123456789abcdefTRANSPORTCHECK";

let server: Server;
let port = 0;
const received: { method: string; url: string; host: string; authorization: string; ifMatch: string }[] = [];
let answer: (req: IncomingMessage) => { status: number; body: string; headers?: Record<string, string> } = () => ({
  status: 200,
  body: JSON.stringify({ data: [], next_cursor: null }),
});

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({
      method: req.method ?? "",
      url: req.url ?? "",
      host: req.headers.host ?? "",
      authorization: req.headers.authorization ?? "",
      ifMatch: req.headers["if-match"] ?? "",
    });
    const a = answer(req);
    res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
    res.end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Whether this machine listens on the IPv6 loopback (::1): the IPv6 cases are skipped where it does not. */
const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = createNetServer();
  probe.once("error", () => resolve(false));
  probe.listen(0, "::1", () => probe.close(() => resolve(true)));
});

/** A command for tenant acme with the test's secret, against this test's listener (as localhost). */
const runOnThisMachine = (command: string[], ...more: string[]) =>
  run([
    ...command,
    "--tenant",
    "acme",
    "--token",
    SECRET,
    "--url",
    `http://localhost:${port}`,
    "--connect",
    "127.0.0.1",
    ...more,
  ]);

/** `cordon keys list` for tenant acme with the test's secret, at `url`. */
const keysList = (url: string, ...more: string[]) =>
  run(["keys", "list", "--tenant", "acme", "--token", SECRET, "--url", url, ...more]);

describe("the CLI's transport", () => {
  // Regression: policy set read the policy and wrote it back whole, so a change another administrator made in
  // between was silently undone. The write now carries the read's ETag (If-Match), and the gateway refuses it.
  it("policy set writes on the condition of the policy it read (If-Match), and fails when it changed since", async () => {
    received.length = 0;
    const before = answer;
    answer = (req) =>
      req.method === "GET"
        ? {
            status: 200,
            body: JSON.stringify({ policy: { ttl_seconds: 60, pii_mode: "skip" } }),
            headers: { etag: '"tag-1"' },
          }
        : {
            status: 409,
            body: JSON.stringify({
              error: {
                message: "The policy changed since it was read.",
                type: "invalid_request_error",
                code: "policy_changed",
              },
            }),
          };
    try {
      const res = await runOnThisMachine(["policy", "set"], "--ttl-seconds", "120");
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain("changed since it was read");
      expect(received.map((r) => [r.method, r.ifMatch])).toEqual([
        ["GET", ""],
        ["PUT", '"tag-1"'],
      ]);
    } finally {
      answer = before;
    }
  });

  // Regression: without an ETag on the read (a proxy that drops it, an older gateway), the write went out
  // without If-Match — last writer wins — although the command promises a conditional write. It now refuses.
  it("policy set writes nothing when the policy it read carries no ETag to make the write conditional", async () => {
    received.length = 0;
    const before = answer;
    answer = (req) =>
      req.method === "GET"
        ? { status: 200, body: JSON.stringify({ policy: { ttl_seconds: 60, pii_mode: "skip" } }) }
        : { status: 200, body: JSON.stringify({ policy: { ttl_seconds: 120, pii_mode: "skip" } }) };
    try {
      const res = await runOnThisMachine(["policy", "set"], "--ttl-seconds", "120");
      expect(res.code, res.stdout).toBe(1);
      expect(res.stderr).toContain("ETag");
      expect(received.map((r) => r.method)).toEqual(["GET"]);
    } finally {
      answer = before;
    }
  });

  it("audit list puts its filters in the URL, and nothing of the global options (the token above all)", async () => {
    received.length = 0;
    const res = await runOnThisMachine(["audit", "list"], "--action", "key.create", "--limit", "5");
    expect(res.code, res.stderr).toBe(0);
    expect(received).toHaveLength(1);
    const url = new URL(received[0]!.url, "http://x");
    expect(url.pathname).toBe("/v1/audit");
    expect([...url.searchParams.keys()].sort()).toEqual(["action", "limit"]);
    expect(received[0]!.url).not.toContain(SECRET);
    expect(received[0]!.authorization).toBe(`Bearer ${SECRET}`);
    expect(received[0]!.host).toBe(`acme.localhost:${port}`);
  });

  it("audit list shows a row whose stored event cannot be read in its place, marked, and the rows around it", async () => {
    const before = answer;
    const at = (seq: number) => Date.UTC(2026, 0, 1, 0, 0, seq);
    const event = (seq: number, action: string) => ({
      v: 2,
      seq,
      ts: at(seq),
      actor: "operator",
      action,
      outcome: "allowed",
      status: 200,
      code: null,
      target: null,
    });
    // Its copied columns, without the event's other fields (code, target…).
    const unreadable = {
      v: null,
      unreadable: "not_json",
      seq: 2,
      ts: at(2),
      actor: "operator",
      action: "key.revoke",
      outcome: "allowed",
      status: 200,
    };
    answer = () => ({
      status: 200,
      body: JSON.stringify({ object: "list", data: [event(3, "key.create"), unreadable, event(1, "key.list")] }),
    });
    try {
      const res = await runOnThisMachine(["audit", "list"]);
      expect(res.code, res.stderr).toBe(0);
      const rows = res.stdout.trim().split("\n").slice(1);
      expect(rows).toHaveLength(3);
      expect(rows[0]).toContain("key.create");
      expect(rows[1]).toMatch(
        /2026-01-01T00:00:02\.000Z +operator +key\.revoke +allowed +200 +UNREADABLE \(not_json\)$/,
      );
      expect(rows[2]).toContain("key.list");
    } finally {
      answer = before;
    }
  });

  // Regression: a chain longer than one request verifies (1,000,000 events) was reported "intact … so far" with exit
  // code 0 and "run again (resume from seq N)", which the command had no way to do: run again, it started over, so
  // the events past the first million were never checked. It now follows resume_from_seq until the walk is complete.
  it("audit verify follows resume_from_seq until the whole chain is checked, with the checkpoint each time", async () => {
    received.length = 0;
    const before = answer;
    answer = (req) => {
      const from = new URL(req.url ?? "", "http://x").searchParams.get("from_seq");
      const page =
        from === null
          ? { ok: true, complete: false, checked: 1_000_000, resume_from_seq: 1_000_001 }
          : { ok: false, complete: true, checked: 41, first_break: { seq: 1_000_042, reason: "edited" } };
      const body = {
        object: "audit.verification",
        head: { seq: 1_000_100, hash: "a".repeat(64) },
        checkpoint: "match",
      };
      return { status: 200, body: JSON.stringify({ ...body, ...page }) };
    };
    try {
      const res = await runOnThisMachine(
        ["audit", "verify"],
        "--checkpoint-seq",
        "7",
        "--checkpoint-hash",
        "b".repeat(64),
      );
      expect(res.code).toBe(1);
      expect(res.stdout).toContain("BROKEN at seq 1000042: edited");
      const asked = received.map((r) => Object.fromEntries(new URL(r.url, "http://x").searchParams));
      expect(asked).toEqual([
        { checkpoint_seq: "7", checkpoint_hash: "b".repeat(64) },
        { checkpoint_seq: "7", checkpoint_hash: "b".repeat(64), from_seq: "1000001" },
      ]);
    } finally {
      answer = before;
    }
  });

  it("sends no credential over plain HTTP to another machine: refused before any request", async () => {
    received.length = 0;
    for (const url of [`http://cordon.example.com:${port}`, `http://10.0.0.8:${port}`]) {
      const res = await keysList(url, "--connect", "127.0.0.1");
      expect(res.code, url).toBe(2);
      expect(res.stderr).toContain("Plain HTTP is for a gateway on this machine");
      expect(res.stderr).not.toContain(SECRET);
    }
    expect(received).toEqual([]);
  });

  // Regression: only --url's host was checked, so `--url http://localhost:8787 --connect 192.0.2.2` (or a
  // CORDON_CONNECT left in the environment) sent the token in clear to another machine. --connect is now held to
  // the same rule as --url over plain HTTP.
  it("sends no credential over plain HTTP to another machine named by --connect or CORDON_CONNECT", async () => {
    const elsewhere = createServer((req, res) => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        host: req.headers.host ?? "",
        authorization: req.headers.authorization ?? "",
        ifMatch: "",
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [], next_cursor: null }));
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "0.0.0.0", resolve));
    const otherPort = (elsewhere.address() as AddressInfo).port;
    // This machine's address on its network: not loopback, so to the CLI another machine.
    const address =
      Object.values(networkInterfaces())
        .flat()
        .find((a) => a && !a.internal && a.family === "IPv4")?.address ?? "192.0.2.1";
    try {
      received.length = 0;
      const viaOption = await keysList(`http://localhost:${otherPort}`, "--connect", address);
      const viaEnv = await run(["keys", "list", "--tenant", "acme", "--url", `http://localhost:${otherPort}`], {
        CORDON_TOKEN: SECRET,
        CORDON_CONNECT: address,
      });
      for (const res of [viaOption, viaEnv]) {
        expect(res.code, res.stderr).toBe(2);
        expect(res.stderr).toContain("Plain HTTP is for a gateway on this machine");
        expect(res.stderr).not.toContain(SECRET);
      }
      expect(received).toEqual([]);
      // Loopback addresses stay allowed.
      for (const loopback of ["127.0.0.1", "localhost"]) {
        const res = await keysList(`http://localhost:${otherPort}`, "--connect", loopback);
        expect(res.code, res.stderr).toBe(0);
      }
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  // Regression: a response cut off mid-body (the connection reset, the gateway restarting) neither ended nor
  // failed the request: the process ran out of work with its exit status unset, so `cache export` printed
  // nothing, or half an export, and exited 0.
  it("takes a response cut off mid-body for a failure, not a success", async () => {
    const cutting = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson", "content-length": "100000" });
      res.write('{"id":"first"}\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await new Promise<void>((resolve) => cutting.listen(0, "127.0.0.1", resolve));
    const cutPort = (cutting.address() as AddressInfo).port;
    try {
      const res = await run([
        "cache",
        "export",
        "--user",
        "u",
        ...["--tenant", "acme", "--token", SECRET, "--url", `http://localhost:${cutPort}`],
      ]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("cut off");
      expect(res.stdout).toBe("");
      expect(res.stderr).not.toContain(SECRET);
    } finally {
      await new Promise((resolve) => cutting.close(resolve));
    }
  });

  // Regression: the CLI wrote what the server answered to the terminal as it came, so an answer holding escape
  // sequences (a title set, the screen cleared, text hidden or recoloured, a hyperlink) acted on the operator's
  // terminal. Control characters of an answer are now shown escaped, in listings, records and error messages.
  it("writes no control character of an answer to the terminal: listings, records and errors show them escaped", async () => {
    const hostile = "\u001b]0;owned\u0007\u001b[2J\u009b31m\u202eevil\r";
    const key = {
      id: "key_1",
      name: `ops${hostile}`,
      role: "admin",
      status: "active",
      created_at: "2026-01-01T00:00:00.000Z",
      expires_at: null,
      last_used_at: null,
    };
    const before = answer;
    try {
      answer = (req) =>
        req.url === "/v1/admin/keys"
          ? { status: 200, body: JSON.stringify({ object: "list", data: [key] }) }
          : req.url === "/v1/admin/keys/key_1"
            ? { status: 200, body: JSON.stringify(key) }
            : req.url === "/v1/admin/keys/key_2"
              ? {
                  status: 403,
                  body: JSON.stringify({
                    error: {
                      type: "permission_error",
                      code: `x${hostile}`,
                      message: `no${hostile}`,
                      request_id: hostile,
                    },
                  }),
                }
              : { status: 502, body: `bad gateway${hostile}`, headers: { "content-type": "text/plain" } };
      const outputs = [
        await runOnThisMachine(["keys", "list"]),
        await runOnThisMachine(["keys", "get", "key_1"]),
        await runOnThisMachine(["keys", "get", "key_2"]),
        await runOnThisMachine(["keys", "get", "key_3"]),
      ];
      expect(outputs.map((o) => o.code)).toEqual([0, 0, 1, 1]);
      for (const { stdout, stderr } of outputs) {
        // Only the CLI's own line ends: no other C0 or C1 control, nor a bidirectional override.
        expect(`${stdout}${stderr}`).not.toMatch(/(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
      }
      // Still there to see, escaped.
      expect(outputs[0]!.stdout).toContain("ops\\u001b]0;owned\\u0007");
      expect(outputs[1]!.stdout).toContain("\\u202eevil\\u000d");
      expect(outputs[2]!.stderr).toContain("no\\u001b");
      expect(outputs[3]!.stderr).toContain("bad gateway\\u001b");
    } finally {
      answer = before;
    }
  });

  // Regression: the CLI kept every byte of an answer in memory, however many came, so a server that never ended its
  // answer (or sent gigabytes) held the command, growing, until the process ran out of memory. An answer of the admin
  // API is a bounded page; one past 16 MiB is now refused and the connection closed.
  it("refuses an answer larger than the admin API ever sends, and closes the connection", async () => {
    let sent = 0;
    let closed = false;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const more = () => {
        // Never more than 64 MiB, so that a CLI that keeps reading ends too (and the test sees how much it took).
        while (!closed && sent < 64 << 20) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      res.on("close", () => {
        closed = true;
      });
      res.write('{"data":[');
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, "127.0.0.1", resolve));
    const endlessPort = (endless.address() as AddressInfo).port;
    try {
      const res = await keysList(`http://localhost:${endlessPort}`);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("larger than");
      expect(res.stdout).toBe("");
      expect(sent).toBeLessThan(64 << 20);
    } finally {
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it("takes a redirect for a failure, with a hint, not for an empty success", async () => {
    answer = () => ({ status: 301, body: "", headers: { location: "https://acme.cordon.example/v1/admin/keys" } });
    try {
      const res = await keysList(`http://localhost:${port}`);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("HTTP 301");
      expect(res.stderr).toContain("redirect");
    } finally {
      answer = () => ({ status: 200, body: JSON.stringify({ data: [], next_cursor: null }) });
    }
  });
});

// Regression: `--url http://[::1]:8787` passed "[::1]", brackets and all, as the name to connect to (ENOTFOUND),
// and so did `--connect [::1]`. IPv6 loopback now works as 127.0.0.1 does; the Host header keeps its brackets.
describe.runIf(hasIpv6Loopback)("the CLI over IPv6 loopback (skipped where this machine has no ::1)", () => {
  let v6: Server;
  let v6Port = 0;
  const hosts: string[] = [];

  beforeAll(async () => {
    v6 = createServer((req, res) => {
      hosts.push(req.headers.host ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [], next_cursor: null }));
    });
    await new Promise<void>((resolve) => v6.listen(0, "::1", resolve));
    v6Port = (v6.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => v6.close(resolve));
  });

  it("reaches a gateway at --url http://[::1]:PORT, sending Host [::1]:PORT", async () => {
    hosts.length = 0;
    const res = await run(["tenants", "list", "--token", SECRET, "--url", `http://[::1]:${v6Port}`]);
    expect(res.code, res.stderr).toBe(0);
    expect(hosts).toEqual([`[::1]:${v6Port}`]);
  });

  it("reaches a gateway at --connect ::1 or [::1], still naming the tenant's host", async () => {
    for (const address of ["::1", "[::1]", "0:0:0:0:0:0:0:1"]) {
      hosts.length = 0;
      const res = await keysList(`http://localhost:${v6Port}`, "--connect", address);
      expect(res.code, `${address}: ${res.stderr}`).toBe(0);
      expect(hosts).toEqual([`acme.localhost:${v6Port}`]);
    }
  });

  it("refuses a --connect with a port, and plain HTTP to an IPv6 address of another machine", async () => {
    hosts.length = 0;
    const withPort = await keysList(`http://localhost:${v6Port}`, "--connect", `[::1]:${v6Port}`);
    expect(withPort.code).toBe(2);
    expect(withPort.stderr).toContain("without a port");
    for (const args of [
      ["--url", `http://[2001:db8::1]:${v6Port}`],
      ["--url", `http://localhost:${v6Port}`, "--connect", "2001:db8::1"],
      ["--url", `http://localhost:${v6Port}`, "--connect", "[2001:db8::1]"],
    ]) {
      const res = await run(["keys", "list", "--tenant", "acme", "--token", SECRET, ...args]);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr).toContain("Plain HTTP is for a gateway on this machine");
      expect(res.stderr).not.toContain(SECRET);
    }
    expect(hosts).toEqual([]);
  });
});
