// The refusal reasons shared by Cordon's access tokens and tenant single sign-on, and the mapping of jose's
// verification errors onto them. Reasons go to the audit trail; clients get one generic 401.
import { errors } from "jose";

export type JwtFailureReason =
  | "expired"
  | "not_yet_valid"
  | "wrong_audience"
  | "wrong_issuer"
  | "bad_signature"
  | "algorithm_not_allowed"
  | "malformed"
  | "missing_claim";

/** Longest token either verifier reads; anything longer is refused as malformed before it is parsed. */
export const MAX_TOKEN_CHARS = 16 * 1024;

/** Three base64url segments; the signature may be empty so that `alg: none` is reported as such. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export const looksLikeCompactJws = (token: string, maxChars: number): boolean =>
  token.length <= maxChars && COMPACT_JWS.test(token);

/**
 * The reason for an error thrown by jose's `jwtVerify`. Anything unrecognised is `malformed`: the token is
 * refused either way, and no error text reaches the client.
 */
export function reasonFromJoseError(err: unknown): JwtFailureReason {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  // JOSENotSupported (an unrecognised `crit` extension, for one) falls through to malformed: both verifiers
  // check `alg` against their own list before jose sees the token.
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return "missing_claim";
    if (err.reason !== "check_failed") return "malformed"; // present but of the wrong type
    switch (err.claim) {
      case "iss":
        return "wrong_issuer";
      case "aud":
        return "wrong_audience";
      case "nbf":
      case "iat": // issued in the future (beyond the tolerance)
        return "not_yet_valid";
      default:
        return "malformed"; // `typ` and anything else
    }
  }
  return "malformed";
}
