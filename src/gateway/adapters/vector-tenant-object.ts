// Embedded vector-index adapter: the tenant's own Durable Object (namespace = tenant id → one object, SQLite),
// so one tenant's vectors are not even in the same database as another's. Writes are visible to the next query
// at once (unlike Vectorize); the object validates every call (see TenantObject).

import type { VectorIndex, VectorMatch, VectorQuery, VectorRecord } from "../ports/vector-index";
import type { TenantObject } from "../storage/tenant-object/index";

export class TenantObjectVectorIndex implements VectorIndex {
  constructor(private readonly ns: DurableObjectNamespace<TenantObject>) {}

  private stub(namespace: string) {
    // Fail closed: without a tenant there is no object to ask.
    if (typeof namespace !== "string" || !namespace)
      throw new TypeError("vector index used without a tenant namespace");
    return this.ns.get(this.ns.idFromName(namespace));
  }

  async upsert(namespace: string, records: readonly VectorRecord[]): Promise<void> {
    const stub = this.stub(namespace);
    if (records.length) await stub.vectorUpsert([...records]);
  }

  async query(namespace: string, query: VectorQuery): Promise<VectorMatch[]> {
    return this.stub(namespace).vectorQuery(query);
  }

  async delete(namespace: string, ids: readonly string[]): Promise<void> {
    const stub = this.stub(namespace);
    if (ids.length) await stub.vectorDelete([...ids]);
  }
}
