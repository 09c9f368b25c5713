// Provider port: one attempt at one upstream request (AI Gateway in production, the local provider Worker in
// development and tests; adapters/provider-http.ts). Retries, fallbacks and the circuit breaker sit above it
// (upstream/call.ts).

import type { UpstreamPath } from "../protocol/upstream";

export type { UpstreamPath } from "../protocol/upstream";

/**
 * What one attempt asks: a POST of `body` to the path (the default), or a GET, DELETE or body-less POST (an
 * action such as `/cancel`) of one stored object.
 */
export type UpstreamAttemptRequest = AttemptCommon &
  (
    | { readonly method?: "POST"; readonly body: Record<string, unknown> }
    | {
        readonly method: "GET" | "DELETE" | "POST";
        /**
         * Appended to the path's URL: `/{id}` of an object the provider stores, an action or list under it
         * (`/{id}/cancel`, `/{id}/input_items`), and the query, if any.
         */
        readonly resource: string;
      }
  );

interface AttemptCommon {
  readonly path: UpstreamPath;
  readonly tenant: string;
  /** A virtual key, sent as the provider credential in place of the deployment's. */
  readonly credential?: string;
  /** The client's request: aborting it aborts the attempt at once. */
  readonly signal?: AbortSignal;
  /** The time allowed for the response head (a stream then runs for as long as it flows). */
  readonly timeoutMs: number;
  /**
   * The longest silence allowed between two chunks of the body once the head came (timeoutMs when absent): the
   * head is held to what is left of the request's budget, a flowing stream only to the provider timeout.
   */
  readonly idleTimeoutMs?: number;
}

/** Why an attempt produced no response. */
export type AttemptFailure = "timeout" | "network" | "aborted";

export class UpstreamAttemptError extends Error {
  override name = "UpstreamAttemptError";
  constructor(readonly failure: AttemptFailure) {
    super(`upstream attempt failed: ${failure}`);
  }
}

export interface Provider {
  /**
   * One attempt: the upstream response (any status), its body unread. Throws UpstreamAttemptError when there
   * is no response: the head did not come within timeoutMs, the network failed, or the client went away.
   */
  send(req: UpstreamAttemptRequest): Promise<Response>;
}
