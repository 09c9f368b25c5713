// Worker secrets of the gateway (`wrangler secret put`; `.dev.vars` in development). Generated types cover
// only wrangler.toml, so these are declared here.
declare namespace CordonGateway {
  interface Env {
    /** Platform operator's bearer token: tenant lifecycle and key creation. */
    ROOT_TOKEN: string;
    /** Base64 of 32 random bytes: wraps tenant data keys and derives the API-key hashing key. */
    MASTER_KEY: string;
    /** Earlier master keys, base64, comma-separated: kept while stored keys are re-wrapped (key rotation). */
    MASTER_KEY_PREVIOUS?: string;
    /** Signs OAuth access tokens: a private EC P-256 JWK with a `kid` (JSON). */
    JWT_SIGNING_KEY: string;
    /** Public JWKs of earlier signing keys (JSON array), published and accepted until their tokens expire. */
    JWT_PREVIOUS_KEYS?: string;
    /** Lifetime of OAuth access tokens in seconds (default 900). */
    ACCESS_TOKEN_TTL_SECONDS?: string;
    /** AI Gateway authentication token (`cf-aig-authorization`) for an authenticated gateway. */
    AI_GATEWAY_TOKEN?: string;
    /** Provider API key sent through AI Gateway, when the gateway does not store provider keys itself. */
    PROVIDER_API_KEY?: string;
  }
}
