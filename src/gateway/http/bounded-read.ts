// Reading a body no further than a limit: request bodies (http/respond.ts) and what an OpenID Provider answers
// (auth/jwks-cache.ts, auth/oidc-login.ts). A declared length can lie or be absent; this counts what arrives.

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
