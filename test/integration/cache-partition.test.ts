// What must match exactly for two requests to share an answer, beyond the semantic tier's prose: the last
// message's own fields and its code, on both tiers.
import { describe, expect, it } from "vitest";
import { call, settle, tenantWithKey } from "../helpers";

async function ask(t: { host: string; key: string }, messages: unknown[]) {
  const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: { model: "gpt-4o-mini", messages } });
  await res.text();
  await settle();
  return res.headers.get("x-cache");
}

describe("cache partition", async () => {
  const t = await tenantWithKey("part");
  await settle();

  it("regression: two users' 'what is my name?' never share an entry (the last message's name counts)", async () => {
    expect(await ask(t, [{ role: "user", name: "alice", content: "What is my name?" }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", name: "alice", content: "What is my name?" }])).toBe("HIT-EXACT");
    expect(await ask(t, [{ role: "user", name: "bob", content: "What is my name?" }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", name: "bob", content: "what's my name" }])).toBe("HIT-SEMANTIC");
    expect(await ask(t, [{ role: "user", content: "What is my name?" }])).toBe("MISS");
  });

  it("regression: code that differs only in indentation never shares an entry on either tier", async () => {
    const a = "Why does this print nothing?\n\n```python\nfor x in xs:\n    if x:\n        print(x)\n```";
    const b = "Why does this print nothing?\n\n```python\nfor x in xs:\n    if x:\n    print(x)\n```";
    const indented = "Why does this print nothing?\n\n    for x in xs:\n        print(x)\n";
    const dedented = "Why does this print nothing?\n\n    for x in xs:\n    print(x)\n";
    expect(await ask(t, [{ role: "user", content: a }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: a }])).toBe("HIT-EXACT");
    expect(await ask(t, [{ role: "user", content: b }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: indented }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: dedented }])).toBe("MISS");
  });

  // Regression: prose lines were folded into one, on both tiers, so code pasted without a fence or a blank line
  // before it (Markdown reads it as prose) shared an entry with the same code indented otherwise.
  it("regression: code pasted as prose that differs only in indentation never shares an entry on either tier", async () => {
    const program = (last: string) => `What does this print?\nfor x in [0, 1]:\n    if x:\n${last}\nprint("done")`;
    expect(await ask(t, [{ role: "user", content: program("        print(x)") }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: program("        print(x)") }])).toBe("HIT-EXACT");
    expect(await ask(t, [{ role: "user", content: program("    print(x)") }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: program("print(x)") }])).toBe("MISS");
    // Reworded prose over the same lines, indented alike, is still the same question.
    const reworded = `what does this print\nfor x in [0, 1]:\n    if x:\n        print(x)\nprint("done")`;
    expect(await ask(t, [{ role: "user", content: reworded }])).toBe("HIT-SEMANTIC");
  });

  // Regression: code blocks were normalised to NFC with the prose, so that code whose strings differ ('e\u0301' is
  // two characters to any language, 'é' one; the angstrom sign U+212B is not the letter U+00C5) shared an entry.
  it("regression: code that differs only in Unicode normalisation never shares an entry on either tier", async () => {
    const ask1 = (code: string) =>
      ask(t, [{ role: "user", content: `What does this print?\n\n\`\`\`python\n${code}\n\`\`\`` }]);
    expect(await ask1("print(len('e\u0301'))")).toBe("MISS");
    expect(await ask1("print(len('e\u0301'))")).toBe("HIT-EXACT");
    expect(await ask1("print(len('\u00e9'))")).toBe("MISS");
    expect(await ask1("print('\u212b' == '\u00c5')")).toBe("MISS");
    expect(await ask1("print('\u00c5' == '\u00c5')")).toBe("MISS");
    // Prose still reads two spellings of one text as one.
    expect(await ask(t, [{ role: "user", content: "Describe the Caf\u00e9 de Flore." }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: "Describe the Cafe\u0301 de Flore." }])).toBe("HIT-EXACT");
  });

  it("the same code with reworded prose is a semantic hit; a code-only prompt uses the exact tier", async () => {
    const code = "```js\nconst x = [3, 1, 2].sort();\n```";
    expect(await ask(t, [{ role: "user", content: `What does this return?\n${code}` }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: `what does this return\n${code}` }])).toBe("HIT-SEMANTIC");
    const only = "```sql\nSELECT 1;\n```";
    expect(await ask(t, [{ role: "user", content: only }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: only }])).toBe("HIT-EXACT");
  });

  it("prose keeps folding white space on the exact tier", async () => {
    expect(await ask(t, [{ role: "user", content: "Name three  primary\tcolours." }])).toBe("MISS");
    expect(await ask(t, [{ role: "user", content: "  Name three primary colours.  " }])).toBe("HIT-EXACT");
  });
});
