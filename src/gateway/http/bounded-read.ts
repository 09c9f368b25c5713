// Reading a body no further than a limit: request bodies (http/respond.ts), what an OpenID Provider answers
// (auth/jwks-cache.ts, auth/oidc-login.ts) and what the model provider answers (upstream/errors.ts). A declared
// length can lie or be absent; this counts what arrives.

/** The body's bytes, or null once more than `maxBytes` arrive (the rest is not read: the stream is cancelled). */
export async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * A response's body as text (UTF-8), or null when it is longer than `maxBytes`: declared so (nothing is read) or
 * found so while reading (reading stops there). The body is always consumed or cancelled.
 */
export async function readTextAtMost(res: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    return null;
  }
  if (res.body === null) return "";
  const bytes = await readAtMost(res.body, maxBytes);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}
