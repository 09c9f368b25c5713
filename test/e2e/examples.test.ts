// The client examples in examples/ run as a user runs them — a subprocess with CORDON_BASE_URL and
// CORDON_API_KEY in its environment — against Cordon under `wrangler dev`, each with a tenant of its own; what
// they print is checked line by line. Node examples get examples/resolve-localhost.mjs preloaded (this machine
// does not resolve *.localhost); curl resolves it by itself. The Python example cannot run here (its SDK is not
// installable): it is only compiled.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { sdkTenant } from "./sdk";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const RESOLVER = pathToFileURL(resolve(ROOT, "examples/resolve-localhost.mjs")).href;

/** Runs an example against a fresh tenant; its output as `label → value` (the last of each label). */
async function runExample(command: string, args: string[]) {
  const t = await sdkTenant("example");
  const { stdout, stderr } = await run(command, args, {
    cwd: ROOT,
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CORDON_BASE_URL: t.baseURL,
      CORDON_API_KEY: t.key,
      NODE_OPTIONS: `--import=${RESOLVER}`,
    },
  });
  const lines = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const at = line.indexOf(": ");
    if (at > 0) lines.set(line.slice(0, at), line.slice(at + 2));
  }
  return { stdout, stderr, lines };
}

const SENTENCE =
  /^Local answer [0-9a-f]+: you asked ".+"\. This deterministic reply comes from Cordon's local provider\.$/;

describe("Node examples", () => {
  it("openai-node/chat.mjs: chat, cache, stream, embeddings, responses, models", async () => {
    const { lines } = await runExample("node", ["examples/openai-node/chat.mjs"]);
    expect(lines.get("chat")).toMatch(SENTENCE);
    expect(lines.get("x-cache")).toBe("MISS");
    expect(lines.get("again x-cache")).toMatch(/^(MISS|HIT-EXACT)$/);
    expect(lines.get("stream")).toContain("Name three rivers in Europe.");
    expect(lines.get("stream usage")).toMatch(/^\d+ prompt \+ \d+ completion tokens$/);
    expect(lines.get("embedding")).toBe("1536 dimensions");
    expect(lines.get("responses")).toContain("What is 2 + 2?");
    expect(lines.get("models")).toMatch(/gpt-4o-mini/);
  });

  it("ai-sdk/generate.mjs: generateText, streamText, the chat model, embed", async () => {
    const { lines } = await runExample("node", ["examples/ai-sdk/generate.mjs"]);
    expect(lines.get("generateText")).toMatch(SENTENCE);
    expect(lines.get("usage")).toMatch(/^\d+ input \+ \d+ output tokens$/);
    expect(lines.get("x-cache")).toBe("MISS");
    expect(lines.get("streamText")).toContain("Name three rivers in Europe.");
    expect(lines.get("finishReason")).toBe("stop");
    expect(lines.get("chat model")).toMatch(SENTENCE);
    expect(lines.get("embedding")).toBe("1536 dimensions");
  });

  it("langchain/chat.mjs: ChatOpenAI invoke and stream, OpenAIEmbeddings", async () => {
    const { lines } = await runExample("node", ["examples/langchain/chat.mjs"]);
    expect(lines.get("invoke")).toMatch(SENTENCE);
    expect(lines.get("usage")).toMatch(/^\d+ input \+ \d+ output tokens$/);
    expect(lines.get("stream")).toContain("Name three rivers in Europe.");
    expect(lines.get("embedQuery")).toBe("1536 dimensions");
    expect(lines.get("embedDocuments")).toBe("2 vectors of 1536 dimensions");
  });

  it("a Node example without its environment says what to set and exits 2", async () => {
    const failed = await run("node", ["examples/openai-node/chat.mjs"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("CORDON_BASE_URL") });
  });
});

describe("curl", () => {
  it("curl/chat.sh: chat twice, a stream, embeddings, responses, models", async () => {
    const { stdout } = await runExample("bash", ["examples/curl/chat.sh"]);
    const sections = stdout.split(/^== /m).slice(1);
    expect(sections.map((s) => s.split("\n")[0])).toEqual([
      "POST /chat/completions",
      "POST /chat/completions (the same question: answered from the cache once stored)",
      "POST /chat/completions (streamed)",
      "POST /embeddings",
      "POST /responses",
      "GET /models",
    ]);
    const [chat, again, stream, embeddings, responses, models] = sections.map((s) => s.split("\n").slice(1));
    const body = (lines: string[] | undefined) => JSON.parse(lines![0]!);
    expect(body(chat)).toMatchObject({ object: "chat.completion" });
    expect(chat).toContain("x-cache: MISS");
    expect(body(again).choices[0].message.content).toBe(body(chat).choices[0].message.content);
    // The script waits a second for the first answer to be stored; a slow machine may still miss.
    expect(again!.find((l) => l.startsWith("x-cache: "))).toMatch(/^x-cache: (HIT-EXACT|MISS)$/);
    expect(stream!.filter((l) => l.startsWith("data: ")).at(-1)).toBe("data: [DONE]");
    expect(stream).toContain("x-cache: MISS");
    expect(body(embeddings).data[0].embedding).toHaveLength(8);
    expect(body(responses)).toMatchObject({ object: "response", status: "completed" });
    expect(body(models)).toMatchObject({ object: "list", data: expect.arrayContaining([expect.any(Object)]) });
  });
});

describe("Python", () => {
  it("python/chat.py compiles (its SDK is not installable here, so it is not run)", async () => {
    const python = await run("python3", ["--version"]).catch(() => null);
    if (!python) return;
    await run("python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", "examples/python/chat.py"], {
      cwd: ROOT,
    });
  });
});
