import { WorkerEntrypoint } from "cloudflare:workers";
export class LocalProvider extends WorkerEntrypoint {}
export default { async fetch(): Promise<Response> { return new Response("not yet", { status: 503 }); } };
