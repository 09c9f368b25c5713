// One Durable Object per tenant (`idFromName(tenantId)`, SQLite storage), holding the tenant's cache catalog
// (catalog.ts) and the embedded vector index (vectors.ts). Every RPC input is validated before anything is
// written (checks.ts); each write method runs in one transaction.
import { DurableObject } from "cloudflare:workers";
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { type CatalogEntry, countEntries, deleteEntry, getEntry, putEntry } from "./catalog";
import { migrate } from "./schema";
import { countVectors, deleteVectors, queryVectors, upsertVectors } from "./vectors";

export type { CatalogEntry } from "./catalog";
export { TENANT_OBJECT_LIMITS, TenantObjectInputError } from "./checks";
export { TENANT_OBJECT_SCHEMA_VERSION } from "./schema";

export class TenantObject extends DurableObject<CordonGateway.Env> {
  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  catalogPut(e: CatalogEntry): void {
    putEntry(this.ctx.storage.sql, e);
  }

  catalogGet(id: string): CatalogEntry | null {
    return getEntry(this.ctx.storage.sql, id);
  }

  catalogDelete(id: string): CatalogEntry | null {
    return deleteEntry(this.ctx.storage, id);
  }

  catalogCount(): number {
    return countEntries(this.ctx.storage.sql);
  }

  vectorUpsert(records: VectorRecord[]): void {
    upsertVectors(this.ctx.storage, records, Date.now());
  }

  vectorQuery(q: VectorQuery): VectorMatch[] {
    return queryVectors(this.ctx.storage.sql, q);
  }

  vectorDelete(ids: string[]): void {
    deleteVectors(this.ctx.storage, ids);
  }

  vectorCount(): number {
    return countVectors(this.ctx.storage.sql);
  }

  /** Deletes everything this tenant's object holds (tenant deletion), leaving empty tables behind. */
  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAll();
    migrate(this.ctx.storage);
  }
}
