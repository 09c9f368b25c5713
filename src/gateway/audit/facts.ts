// What the request path reports to the audit trail. Plain types, imported by every layer that reports facts;
// the event itself is built in event.ts.
import type { CacheStatus, UpstreamAttempt } from "../../shared/audit-event";

/** What a handler knows that the trail should record. Every field optional; all are ids, codes or numbers. */
export interface AuditFacts {
  readonly cache?: CacheStatus;
  readonly cacheReason?: string;
  readonly model?: string;
  readonly promptHash?: string;
  readonly entryId?: string;
  readonly similarity?: number;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly costSaved?: number;
  /** Prompt tokens the cache saved on an answer it served only in part (a partly cached embeddings batch). */
  readonly promptTokensSaved?: number;
  /** What an administrative action acted on (a key id, entry id, tenant id). */
  readonly target?: string;
  /** Who acted, when the route authenticates its caller itself (the OAuth client at /oauth/token). */
  readonly actor?: string;
  /** Tenant an operator action concerned (tenant creation and deletion on the platform host). */
  readonly tenant?: string;
  readonly pii?: readonly string[];
  readonly upstream?: readonly UpstreamAttempt[];
  /** Why an allowed request took the path it did (e.g. `cache_bypassed:last_message_not_user`). */
  readonly reason?: string;
}

/** The caller's network facts, from the platform (CF-Connecting-IP, request.cf). */
export interface ClientFacts {
  readonly ip: string | null;
  readonly country: string | null;
  readonly asn: number | null;
}
