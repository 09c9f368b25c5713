// The logger's configuration, parsed once per isolate from its bindings' plain-text vars. A bad value fails
// loudly (the handler that needs it throws) instead of falling back to a guess.
import * as z from "zod";

export const RETENTION_DAYS_DEFAULT = 400;

export interface LoggerConfig {
  /** Events older than this many days are pruned by the hourly cron (see retention.ts). */
  readonly retentionDays: number;
}

const ConfigSchema = z.object({
  AUDIT_RETENTION_DAYS: z
    .string()
    .regex(/^[1-9][0-9]{0,4}$/, "a whole number of days, 1–99999")
    .optional()
    .transform((v) => (v === undefined ? RETENTION_DAYS_DEFAULT : Number(v))),
});

const parsed = new WeakMap<object, LoggerConfig>();

export function loggerConfig(env: { AUDIT_RETENTION_DAYS?: string }): LoggerConfig {
  const known = parsed.get(env);
  if (known) return known;
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`logger configuration: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const config = Object.freeze({ retentionDays: result.data.AUDIT_RETENTION_DAYS });
  parsed.set(env, config);
  return config;
}
