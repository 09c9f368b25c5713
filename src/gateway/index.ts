// Cordon gateway Worker.
import { handleRequest } from "./pipeline";

export { TenantStore } from "./tenant-store";

export default {
  fetch: handleRequest,
} satisfies ExportedHandler<CordonGateway.Env>;
