// Types of scripts/deploy-config.mjs, for the Node-side tests of the deployment check.
export const GATEWAY_SECRETS: readonly string[];
export function checkDeployConfig(options?: {
  /** The repository (default: this one); the paths below are relative to it. */
  root?: string;
  gatewayConfig?: string;
  gatewayEnv?: string;
  loggerConfig?: string;
}): Promise<{ errors: string[]; warnings: string[] }>;
