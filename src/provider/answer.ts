// Deterministic answers of the local provider: the same request (stream flag aside) always gets the same
// content; different questions get different content.
import { canonicalJson } from "../shared/canonical-json";
import { sha256Hex } from "../shared/sha256";

export interface ProviderRequest {
  model: string;
  messages: { role: string; content?: unknown }[];
  [key: string]: unknown;
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p) => (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : "")).join(" ")
      : "";

export async function answerFor(req: ProviderRequest): Promise<{ content: string; promptTokens: number; completionTokens: number }> {
  const { stream: _s, stream_options: _o, ...rest } = req;
  const fingerprint = (await sha256Hex(canonicalJson(rest))).slice(0, 8);
  const lastUser = [...req.messages].reverse().find((m) => m.role === "user");
  const question = textOf(lastUser?.content).replace(/\s+/g, " ").trim();
  const restated = question.length > 200 ? `${question.slice(0, 197)}...` : question;
  const content = `Local answer ${fingerprint}: you asked "${restated}". This deterministic reply comes from Cordon's local provider.`;
  const promptChars = req.messages.reduce((n, m) => n + textOf(m.content).length, 0);
  return { content, promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(content.length / 4) };
}
