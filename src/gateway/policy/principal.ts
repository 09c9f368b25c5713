// Who is calling: what authentication established, and all that authorization decides from.
import type { Role, Scope } from "./scopes";

export type CacheScope = "tenant" | "user";

export type Principal =
  | {
      readonly kind: "api_key";
      readonly keyId: string;
      readonly tenant: string;
      readonly role: Role;
      readonly scopes: ReadonlySet<Scope>;
      readonly cacheScope: CacheScope;
      /** ms since the epoch; null = never expires. */
      readonly expiresAt: number | null;
    }
  | { readonly kind: "operator" };

/** The audit trail's name for a principal (a public id, never a secret). */
export function actorOf(p: Principal | null): string {
  if (p === null) return "anonymous";
  return p.kind === "operator" ? "operator" : `key:${p.keyId}`;
}
