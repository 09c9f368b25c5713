// The gateway's token-signing keys: the one that signs Cordon's access tokens and dashboard sessions, and the
// public keys that verify them, published at /.well-known/jwks.json.
//
// JWT_SIGNING_KEY is a private EC P-256 JWK with a `kid`; JWT_PREVIOUS_KEYS (optional) is a JSON array
// of earlier keys' JWKs. Rotation: generate a new key, move the old one into JWT_PREVIOUS_KEYS (its private
// part `d`, if left in, is dropped at parse time), and remove it from there once the longest token lifetime
// has passed. Until then, tokens signed by it still verify and its public key stays in the JWKS.
import { importJWK } from "jose";
import * as z from "zod";
import { utf8 } from "../crypto/encoding";

export const SIGNING_ALG = "ES256";
/** Earlier keys kept for verification (JWT_PREVIOUS_KEYS); rotation rarely needs more than one. */
export const MAX_PREVIOUS_KEYS = 10;

/** A public key as published at /.well-known/jwks.json. */
export interface PublicJwk {
  readonly kty: "EC";
  readonly crv: "P-256";
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: "ES256";
  readonly use: "sig";
}

export type AccessTokenConfigErrorCode =
  | "signing_key_invalid"
  | "previous_keys_invalid"
  | "duplicate_kid"
  | "key_pair_mismatch";

/** A bad JWT_SIGNING_KEY or JWT_PREVIOUS_KEYS. The message never contains key material. */
export class AccessTokenConfigError extends Error {
  override name = "AccessTokenConfigError";
  constructor(
    readonly code: AccessTokenConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Printable ASCII without spaces: what any key generator emits, and nothing a log could misread. */
export const KID = z.string().regex(/^[\x21-\x7e]{1,128}$/);
const COORDINATE = z.string().regex(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
const PublicEcJwkSchema = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: COORDINATE,
  y: COORDINATE,
  kid: KID,
  alg: z.literal(SIGNING_ALG).optional(),
  use: z.literal("sig").optional(),
});
const PrivateEcJwkSchema = PublicEcJwkSchema.extend({ d: COORDINATE });
// z.object drops unknown members: a private `d` left in a previous key is discarded here.
const PreviousKeysSchema = z.array(PublicEcJwkSchema).max(MAX_PREVIOUS_KEYS);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const publicJwk = (k: z.infer<typeof PublicEcJwkSchema>): PublicJwk =>
  Object.freeze({ kty: "EC", crv: "P-256", x: k.x, y: k.y, kid: k.kid, alg: SIGNING_ALG, use: "sig" });

const importPublic = (k: PublicJwk) =>
  importJWK({ kty: k.kty, crv: k.crv, x: k.x, y: k.y }, SIGNING_ALG) as Promise<CryptoKey>;

/** The gateway's signing key and the public keys that verify its tokens (current first, then previous). */
export class AccessTokenKeys {
  private constructor(
    private readonly signing: { readonly kid: string; readonly key: CryptoKey },
    private readonly verifying: ReadonlyMap<string, CryptoKey>,
    private readonly published: readonly PublicJwk[],
  ) {}

  /**
   * Parses JWT_SIGNING_KEY (and JWT_PREVIOUS_KEYS when set and not blank). Throws AccessTokenConfigError:
   * the gateway must not start half-configured. Checks that the private key matches its public part.
   */
  static async fromConfig(current: string, previous?: string): Promise<AccessTokenKeys> {
    const signing = PrivateEcJwkSchema.safeParse(parseJson(current));
    if (!signing.success) {
      throw new AccessTokenConfigError(
        "signing_key_invalid",
        "JWT_SIGNING_KEY must be a private EC P-256 JWK (kty, crv, x, y, d) with a kid",
      );
    }
    let earlier: z.infer<typeof PublicEcJwkSchema>[] = [];
    if (previous !== undefined && previous.trim() !== "") {
      const parsed = PreviousKeysSchema.safeParse(parseJson(previous));
      if (!parsed.success) {
        throw new AccessTokenConfigError(
          "previous_keys_invalid",
          `JWT_PREVIOUS_KEYS must be a JSON array of at most ${MAX_PREVIOUS_KEYS} EC P-256 JWKs, each with a kid`,
        );
      }
      earlier = parsed.data;
    }
    const published = [publicJwk(signing.data), ...earlier.map(publicJwk)];
    const kids = new Set(published.map((k) => k.kid));
    if (kids.size !== published.length) {
      throw new AccessTokenConfigError("duplicate_kid", "JWT_SIGNING_KEY and JWT_PREVIOUS_KEYS repeat a kid");
    }

    let privateKey: CryptoKey;
    const verifying = new Map<string, CryptoKey>();
    try {
      const { kty, crv, x, y, d } = signing.data;
      privateKey = (await importJWK({ kty, crv, x, y, d }, SIGNING_ALG)) as CryptoKey;
      for (const k of published) verifying.set(k.kid, await importPublic(k));
    } catch {
      throw new AccessTokenConfigError("signing_key_invalid", "a configured JWT key is not a valid P-256 key");
    }
    // A private key pasted next to another key's x/y would sign tokens nobody can verify: catch it at start.
    const probe = utf8("cordon/access-token-key-check");
    const ecdsa = { name: "ECDSA", hash: "SHA-256" };
    const signature = await crypto.subtle.sign(ecdsa, privateKey, probe);
    if (!(await crypto.subtle.verify(ecdsa, verifying.get(signing.data.kid)!, signature, probe))) {
      throw new AccessTokenConfigError("key_pair_mismatch", "JWT_SIGNING_KEY's d does not match its x and y");
    }
    return new AccessTokenKeys({ kid: signing.data.kid, key: privateKey }, verifying, Object.freeze(published));
  }

  get currentKid(): string {
    return this.signing.kid;
  }

  /** The JSON Web Key Set for /.well-known/jwks.json: public parts only, current key first. A fresh copy. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.published.map((k) => ({ ...k })) };
  }

  /** For issueAccessToken only. */
  signingKey(): { readonly kid: string; readonly key: CryptoKey } {
    return this.signing;
  }

  /** For verifyAccessToken only: the public key of `kid`, or undefined when it is not in the ring. */
  verificationKey(kid: string): CryptoKey | undefined {
    return this.verifying.get(kid);
  }
}
