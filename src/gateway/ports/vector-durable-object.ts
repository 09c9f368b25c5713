// Embedded vector-index adapter: the tenant's own Durable Object (namespace = tenant id → one object), so
// one tenant's vectors are not even in the same database as another's.
import type { TenantStore } from "../tenant-store";
import type { VectorIndex, VectorMatch, VectorQuery, VectorRecord } from "./vector-index";

export class DurableObjectVectorIndex implements VectorIndex {
  constructor(private readonly ns: DurableObjectNamespace<TenantStore>) {}

  private stub(namespace: string) {
    if (!namespace) throw new Error("vector index used without a tenant namespace");
    return this.ns.get(this.ns.idFromName(namespace));
  }

  async upsert(namespace: string, records: readonly VectorRecord[]): Promise<void> {
    await this.stub(namespace).vectorUpsert([...records]);
  }

  async query(namespace: string, query: VectorQuery): Promise<VectorMatch[]> {
    return this.stub(namespace).vectorQuery(query);
  }

  async delete(namespace: string, ids: readonly string[]): Promise<void> {
    await this.stub(namespace).vectorDelete([...ids]);
  }
}
