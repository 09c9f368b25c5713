// Operational metrics to Workers Analytics Engine (binding METRICS, production): one data point per request —
// liveness probes and unrouted requests included, which the audit trail leaves out — and one per audit event
// that could not be sent. Operators chart them in Grafana through Analytics Engine's SQL API (docs/operations.md).
// Without the binding (local development, tests) nothing is written.

export interface RequestMetric {
  readonly tenant: string | null;
  readonly action: string;
  readonly status: number;
  readonly cache: string | null;
  readonly model: string | null;
  readonly latencyMs: number;
  readonly costSaved: number;
  readonly tokens: number;
}

export class Metrics {
  constructor(private readonly dataset: AnalyticsEngineDataset | undefined) {}

  request(m: RequestMetric): void {
    this.dataset?.writeDataPoint({
      indexes: [m.tenant ?? "_none"],
      blobs: ["request", m.tenant ?? "", m.action, String(m.status), m.cache ?? "", m.model ?? ""],
      doubles: [m.latencyMs, m.costSaved, m.tokens],
    });
  }

  /** An audit event that could not be sent (cache traffic fails open; an operator must see the gap). */
  auditEventLost(tenant: string | null, action: string): void {
    this.dataset?.writeDataPoint({
      indexes: [tenant ?? "_none"],
      blobs: ["audit_event_lost", tenant ?? "", action],
      doubles: [1],
    });
  }
}
