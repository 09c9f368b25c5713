// Cordon gateway Worker.
import { handleRequest } from "./pipeline";

export { TenantObject } from "./storage/tenant-object/index";

export default {
  fetch: handleRequest,
} satisfies ExportedHandler<CordonGateway.Env>;
