import { DurableObject } from "cloudflare:workers";
export class TenantStore extends DurableObject {}
