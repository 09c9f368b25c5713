// Objects a request names that the provider stores under the credential that made them: files (`file_id`,
// `file_ids`), vector stores (`vector_store_ids`), code-interpreter containers (`container`) and conversations
// (`conversation`). A tenant without a virtual key for the provider shares the deployment's credential, so an
// id it knows would open the deployment account's object — another tenant's upload, say, or the operator's own.
// None of them can be made through Cordon, which serves no files, vector store or conversation API: under the
// deployment's credential a request that names one is refused (chat/answer.ts), and with the tenant's own
// virtual key it is passed on. Responses a tenant's requests stored are checked by id instead
// (storage/tenant-object/provider-responses.ts).
//
// The whole body is walked, so that a new place for a file id is not missed, but not the parts that are the
// caller's own data or a JSON Schema (`metadata`, a tool's `parameters`, a response format's `schema`), where a
// property of one of those names is no reference.

/** Keys whose string value (or array of strings) names a stored object. */
const REFERENCE_KEYS = new Set(["file_id", "file_ids", "vector_store_ids", "container"]);
/** Subtrees that hold the caller's data or a JSON Schema, never a reference. */
const OPAQUE_KEYS = new Set(["metadata", "parameters", "schema", "json_schema", "input_schema", "output_schema"]);
/** Deeper than any request shape; a body nested past it is not walked further (its depth is bounded by JSON's). */
const MAX_DEPTH = 64;

/** The stored objects a request body names (`kind:id`, in the order found; at most `limit`). */
export function providerObjectsNamed(body: Readonly<Record<string, unknown>>, limit = 8): string[] {
  const found: string[] = [];
  const conversation = body.conversation;
  const conversationId =
    typeof conversation === "string"
      ? conversation
      : conversation !== null && typeof conversation === "object"
        ? (conversation as Record<string, unknown>).id
        : null;
  if (typeof conversationId === "string" && conversationId !== "") found.push(`conversation:${conversationId}`);
  const walk = (value: unknown, depth: number): void => {
    if (found.length >= limit || depth > MAX_DEPTH || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      if (OPAQUE_KEYS.has(key) || (depth === 0 && key === "conversation")) continue;
      if (REFERENCE_KEYS.has(key)) {
        for (const id of typeof v === "string" ? [v] : Array.isArray(v) ? v : []) {
          if (typeof id === "string" && id !== "" && found.length < limit) found.push(`${key}:${id}`);
        }
        // A container given as an object (`{type: "auto", file_ids}`) is walked for its files.
        if (typeof v === "object") walk(v, depth + 1);
        continue;
      }
      walk(v, depth + 1);
    }
  };
  walk(body, 0);
  return found;
}
