// Cordon gateway Worker.
import { handleRequest } from "./pipeline";

export { AuthGuard } from "./storage/auth-guard";
export { TenantObject } from "./storage/tenant-object/index";
export { UpstreamCircuit } from "./storage/upstream-circuit";

export default {
  fetch: handleRequest,
} satisfies ExportedHandler<CordonGateway.Env>;
