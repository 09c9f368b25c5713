// Turns a schema failure into the contract's 400, naming the field but never echoing its value.
import type { z } from "zod";
import { fail } from "./errors";

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw fail("invalid_request");
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const where = path ? ` in "${path}"` : "";
    const keys = issue.keys
      .slice(0, 5)
      .map((k) => `"${truncate(k, 64)}"`)
      .join(", ");
    throw fail("unknown_field", { message: `Unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}${where}.` });
  }
  if (path === "") throw fail("invalid_request", { message: `The request body is invalid: ${issue.message}.` });
  throw fail("invalid_field", { message: `Invalid value for "${path}": ${issue.message}.` });
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
