// An OpenID Provider for the workerd tests of the dashboard's single sign-on, reached through the global fetch
// (the gateway looks it up per call): discovery, JWKS, and an authorization-code token endpoint that follows
// RFC 7636 — a code is redeemed once, by its client, with its redirect URI, and with the verifier whose S256
// digest was the challenge — issuing RS256 ID tokens with the nonce of the authorization request. What the
// browser does at the provider (sign in, consent) is `authorize`: it turns the authorization URL the gateway
// redirected to into the callback URL, as the provider's redirect would. The real thing runs in the e2e suite
// (oidc-provider, test/e2e/openid-provider.ts).
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export interface FakeUser {
  sub: string;
  groups: string[];
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  user: FakeUser;
}

export interface FakeOpenIdProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Signs `user` in at the authorization URL: the callback URL the provider redirects the browser to. */
  authorize(authorizationUrl: string, user: FakeUser, opts?: { nonce?: string }): string;
  /** An ID token for `user`, as the token endpoint issues one (an SSO bearer token for `audience`). */
  idToken(user: FakeUser, audience: string, claims?: Record<string, unknown>): Promise<string>;
  /** Every token request the provider received (form fields). */
  readonly tokenRequests: Record<string, string>[];
  /** Makes the discovery document name another issuer (a misconfigured or impersonating provider). */
  discoveryIssuer: string;
  /** Answers fetches to the provider's host; returns null for any other URL. */
  handle(url: string, init?: RequestInit): Promise<Response | null>;
}

export async function fakeOpenIdProvider(host: string): Promise<FakeOpenIdProvider> {
  const issuer = `https://${host}`;
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = `fake-${crypto.randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const grants = new Map<string, Grant>();
  const tokenRequests: Record<string, string>[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

  const provider: FakeOpenIdProvider = {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenRequests,
    discoveryIssuer: issuer,
    authorize(authorizationUrl, user, opts = {}) {
      const u = new URL(authorizationUrl);
      const p = (name: string) => u.searchParams.get(name) ?? "";
      if (u.origin !== issuer || u.pathname !== "/authorize") throw new Error(`not this provider: ${u.href}`);
      if (p("response_type") !== "code" || p("code_challenge_method") !== "S256") throw new Error("not code + PKCE");
      const code = crypto.randomUUID();
      grants.set(code, {
        clientId: p("client_id"),
        redirectUri: p("redirect_uri"),
        challenge: p("code_challenge"),
        nonce: opts.nonce ?? p("nonce"),
        user,
      });
      const back = new URL(p("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", p("state"));
      return back.href;
    },
    idToken(user, audience, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims, groups: user.groups })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(user.sub)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
    },
    async handle(url, init) {
      const u = new URL(url);
      if (u.origin !== issuer) return null;
      if (u.pathname === "/.well-known/openid-configuration") {
        return json({
          issuer: provider.discoveryIssuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: provider.jwksUri,
          code_challenge_methods_supported: ["S256"],
        });
      }
      if (u.pathname === "/jwks") return json({ keys: [jwk] });
      if (u.pathname === "/token" && init?.method === "POST") {
        const form = Object.fromEntries(new URLSearchParams(String(init.body)));
        tokenRequests.push(form);
        const grant = grants.get(form.code ?? "");
        grants.delete(form.code ?? "");
        const digest = new Uint8Array(
          await crypto.subtle.digest("SHA-256", new TextEncoder().encode(form.code_verifier ?? "")),
        );
        const challenge = btoa(String.fromCharCode(...digest))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
        if (
          form.grant_type !== "authorization_code" ||
          !grant ||
          grant.clientId !== form.client_id ||
          grant.redirectUri !== form.redirect_uri ||
          grant.challenge !== challenge
        ) {
          return json({ error: "invalid_grant" }, 400);
        }
        const idToken = await provider.idToken(grant.user, grant.clientId, { nonce: grant.nonce });
        return json({ access_token: crypto.randomUUID(), token_type: "Bearer", expires_in: 3600, id_token: idToken });
      }
      return json({ error: "not_found" }, 404);
    },
  };
  return provider;
}
