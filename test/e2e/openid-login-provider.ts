// A real OpenID Provider (oidc-provider) that people sign in to in a browser, for the dashboard's single
// sign-on: the authorization code flow with PKCE required, one public client (no secret: the gateway redeems
// the code with its PKCE verifier) registered with the dashboard's callback, and the provider's own development
// sign-in and consent pages (any login, any password; the login becomes `sub`). Each login's groups come from
// `users` and are put into the ID token's `groups` claim. On loopback, its key made at start, state in memory.
import { randomBytes } from "node:crypto";
import Provider from "oidc-provider";
import { GROUPS_CLAIM, memoryAdapter, providerServer, signingKey } from "./openid-provider";

export interface LoginProviderOptions {
  readonly clientId: string;
  /** The dashboard's callback at each host that may sign in (http://{tenant}.localhost:{port}/dashboard/sso/callback). */
  readonly redirectUris: readonly string[];
  /** login → the groups of that user. */
  readonly users: Readonly<Record<string, readonly string[]>>;
}

export interface LoginProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  stop(): Promise<void>;
}

export async function startLoginProvider(options: LoginProviderOptions): Promise<LoginProvider> {
  const server = await providerServer();
  const { issuer } = server;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [...options.redirectUris],
      },
    ],
    jwks: { keys: [signingKey("RS256")] },
    adapter: memoryAdapter(),
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    // The role claim goes into the ID token, which is what the dashboard's sign-in reads.
    claims: { openid: ["sub", GROUPS_CLAIM] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, [GROUPS_CLAIM]: [...(options.users[sub] ?? [])] }),
    }),
    features: { devInteractions: { enabled: true } },
    // Lifetimes and an error page of its own, so that the provider prints no notices about its defaults.
    ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
    renderError: (ctx, out) => {
      ctx.type = "text/plain";
      ctx.body = `${out.error}: ${out.error_description ?? ""}`;
    },
  });
  server.serve(provider);
  return { issuer, jwksUri: `${issuer}/jwks`, stop: () => server.stop() };
}
