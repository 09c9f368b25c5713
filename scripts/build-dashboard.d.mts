// Types of scripts/build-dashboard.mjs, for the Node-side tests that build the dashboard.
export const DEFAULT_OUTDIR: string;
export const PAGE_BUDGET_BYTES: number;
export interface BuiltFile {
  /** Relative to the output directory. */
  path: string;
  bytes: number;
  gzipBytes: number;
}
export function buildDashboard(options?: { outdir?: string }): Promise<{
  outdir: string;
  files: BuiltFile[];
  gzipBytes: number;
  budgetBytes: number;
}>;
