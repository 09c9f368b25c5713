// The brute-force guard around authentication: failures are counted per client address and per key prefix in
// AuthGuard objects (policy/auth-burst.ts says what a burst earns); a block is remembered in the isolate, so
// that a blocked client is refused before its credential is even looked at — valid or not, so that guessing
// learns nothing while blocked. Another isolate learns of the block at the client's next failure there.
import type { ErrorCode } from "../http/errors";
import { formatIp, parseIp } from "../policy/network";
import type { AuthGuard } from "../storage/auth-guard";

/** Refusals that count as a failed guess (an honest mistake — a provider key, a missing header — does not). */
const COUNTED: ReadonlySet<ErrorCode> = new Set([
  "invalid_api_key",
  "malformed_api_key",
  "wrong_environment",
  "invalid_token",
  "invalid_session",
]);

/**
 * Refusals of those codes that are nobody's guess, and must not block the addresses of the tenant's users:
 * - the tenant's OpenID Provider's key set could not be had (down, in its backoff, or a jwks_uri only
 *   development may use), so no SSO token could have been checked: an outage of the provider;
 * - a genuine credential, its signature checked, that is not accepted here: Cordon's access token for another
 *   tenant (or a deleted tenant's), the provider's token for another of its applications or issuers, or for a
 *   user the role map gives no role. Such a token cannot be come by through trying, and another tenant's API key
 *   (403 tenant_mismatch) is not counted either: a client pointed at the wrong tenant is a mistake.
 */
const NOT_GUESSES: ReadonlySet<string> = new Set([
  "sso:jwks_unavailable",
  "sso:insecure_jwks_uri",
  "token:wrong_issuer",
  "token:wrong_audience",
  "token:wrong_tenant",
  "sso:wrong_issuer",
  "sso:wrong_audience",
  "sso:no_role",
]);

/** Whether a refusal counts as a failed guess (`reason` as the error carries it; a session's has `session:` first). */
export const countsAsFailure = (code: ErrorCode, reason: string | null = null) =>
  COUNTED.has(code) && !(reason !== null && NOT_GUESSES.has(reason.replace(/^session:/, "")));

const MAX_REMEMBERED = 10_000;

export interface FailureOutcome {
  readonly delayMs: number;
  /** When the block ends, if the client is (now) blocked; 0 otherwise. */
  readonly blockedUntil: number;
  /** Which counters this failure tipped into a block (for audit alerts). */
  readonly newlyBlocked: readonly ("ip" | "prefix")[];
}

export class Guard {
  private readonly blocks = new Map<string, number>();

  constructor(private readonly ns: DurableObjectNamespace<AuthGuard>) {}

  /** When a known block of this client ends (ms), or 0. */
  blockedUntil(ip: string | null, prefix: string | null, now: number): number {
    let until = 0;
    for (const name of names(ip, prefix)) {
      const t = this.blocks.get(name);
      if (t === undefined) continue;
      if (t <= now) this.blocks.delete(name);
      else until = Math.max(until, t);
    }
    return until;
  }

  async failure(ip: string | null, prefix: string | null, now: number): Promise<FailureOutcome> {
    const list = names(ip, prefix);
    const verdicts = await Promise.all(list.map((n) => this.ns.get(this.ns.idFromName(n)).recordFailure(now)));
    let delayMs = 0;
    let blockedUntil = 0;
    const newlyBlocked: ("ip" | "prefix")[] = [];
    for (const [i, v] of verdicts.entries()) {
      delayMs = Math.max(delayMs, v.delayMs);
      if (v.blockedUntil > now) {
        blockedUntil = Math.max(blockedUntil, v.blockedUntil);
        this.remember(list[i]!, v.blockedUntil);
      }
      if (v.newlyBlocked) newlyBlocked.push(list[i]!.startsWith("ip:") ? "ip" : "prefix");
    }
    return { delayMs, blockedUntil, newlyBlocked };
  }

  private remember(name: string, until: number): void {
    if (this.blocks.size >= MAX_REMEMBERED) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(name, until);
  }
}

function names(ip: string | null, prefix: string | null): string[] {
  return [...(ip ? [`ip:${addressBlock(ip)}`] : []), ...(prefix ? [`prefix:${prefix}`] : [])];
}

/**
 * Where failures are counted: an IPv4 address, or the /64 an IPv6 address is in — a client is given a whole /64,
 * and could otherwise guess from a new address every time.
 */
function addressBlock(ip: string): string {
  const parsed = parseIp(ip);
  if (parsed === null || parsed.version === 4) return ip;
  return `${formatIp({ version: 6, value: (parsed.value >> 64n) << 64n })}/64`;
}
