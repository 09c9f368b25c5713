// Embedded vector-index adapter: the tenant's own Durable Object (namespace = tenant id → one object, SQLite),
// so one tenant's vectors are not even in the same database as another's. Writes are visible to the next query
// at once (unlike Vectorize). Calls are checked here with the object's own checks before they cross RPC — a bad
// one fails in the caller's isolate, with no exception in the object — and the object checks them again.

import type { VectorIndex, VectorMatch, VectorQuery, VectorRecord } from "../ports/vector-index";
import { checkId } from "../storage/tenant-object/checks";
import type { TenantObject } from "../storage/tenant-object/index";
import { checkQuery, checkVectorBatch } from "../storage/tenant-object/vectors";

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
    checkVectorBatch(records);
    if (records.length) await stub.vectorUpsert([...records]);
  }

  async query(namespace: string, query: VectorQuery): Promise<VectorMatch[]> {
    const stub = this.stub(namespace);
    checkQuery(query);
    return stub.vectorQuery(query);
  }

  async delete(namespace: string, ids: readonly string[]): Promise<void> {
    const stub = this.stub(namespace);
    for (const id of ids) checkId(id);
    if (ids.length) await stub.vectorDelete([...ids]);
  }
}
