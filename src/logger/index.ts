import { WorkerEntrypoint } from "cloudflare:workers";
export class AuditLog extends WorkerEntrypoint {}
export default { async queue() {} };
