// Provider port: sends an OpenAI-compatible request upstream (AI Gateway in production, the local provider
// Worker in development and tests; see adapters/provider-http.ts).

export interface Provider {
  /**
   * Returns the upstream response when it is 2xx, its body unread. Throws ApiError 502 (provider error,
   * unreachable) or 504 (timeout). Retries once, before any byte is returned, on network errors and 5xx/429.
   */
  chat(
    body: Record<string, unknown>,
    opts: {
      signal?: AbortSignal;
      tenant: string /** A virtual key, sent as the provider credential. */;
      credential?: string;
    },
  ): Promise<Response>;
}
