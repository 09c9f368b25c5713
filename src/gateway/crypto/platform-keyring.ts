// The platform key: 32 random bytes created once per deployment (by the platform's object, so that two isolates
// starting together agree), stored only wrapped under the master key, re-wrapped when the master rotates. It
// derives the keys whose outputs are stored and must outlive a master-key rotation:
//   - the HMAC key under which API-key secrets are hashed before they are stored or looked up;
//   - the HMAC key for pseudonyms of identifiers the audit trail must not name (SSO subjects);
//   - the dashboard's keys: the HMAC key that derives a session's CSRF token from the session, and the AES key
//     that seals a single sign-on attempt (state, nonce, PKCE verifier) into its short-lived cookie.
import { deriveAes, deriveHmac, hkdfBase, hmac, open, seal } from "./aead";
import { toBase64Url, toHex, utf8 } from "./encoding";

export class PlatformKeyring {
  private constructor(
    private readonly apiKeyHmac: CryptoKey,
    private readonly pseudonymHmac: CryptoKey,
    private readonly csrfHmac: CryptoKey,
    private readonly ssoFlowKey: CryptoKey,
  ) {}

  static async fromRaw(raw: Uint8Array): Promise<PlatformKeyring> {
    if (raw.length !== 32) throw new RangeError("the platform key must be 32 bytes");
    const base = await hkdfBase(raw);
    return new PlatformKeyring(
      await deriveHmac(base, "cordon/api-key-hash/v1"),
      await deriveHmac(base, "cordon/pseudonym/v1"),
      await deriveHmac(base, "cordon/dashboard-csrf/v1"),
      await deriveAes(base, "cordon/dashboard-sso-flow/v1"),
    );
  }

  /** Keyed hash of an API-key secret: what KV stores and looks keys up by. */
  async hashApiKey(secret: string): Promise<string> {
    return toHex(await hmac(this.apiKeyHmac, secret));
  }

  /**
   * A stable pseudonym (128 bits, base64url) for an identifier that must appear in the audit trail without
   * being named there, such as an SSO subject; domain-separated.
   */
  async pseudonym(domain: string, data: string): Promise<string> {
    return toBase64Url((await hmac(this.pseudonymHmac, `${domain}\n${data}`)).subarray(0, 16));
  }

  /** The CSRF token of a dashboard session: a MAC of the session cookie's value (256 bits, base64url). */
  async csrfToken(session: string): Promise<string> {
    return toBase64Url(await hmac(this.csrfHmac, `dashboard-csrf\n${session}`));
  }

  /** Seals a single sign-on attempt for its cookie; `aad` binds it to where it may be opened (the tenant). */
  sealSsoFlow(plaintext: string, aad: string): Promise<string> {
    return seal(this.ssoFlowKey, utf8(plaintext), aad);
  }

  /** Opens what sealSsoFlow sealed under the same `aad`; throws when it was altered or is from elsewhere. */
  async openSsoFlow(sealed: string, aad: string): Promise<string> {
    return new TextDecoder().decode(await open(this.ssoFlowKey, sealed, aad));
  }
}
