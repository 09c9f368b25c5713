// GET /docs/errors — the error catalogue as a page, rendered from the same table the gateway raises errors
// from, so every error message's link ("See …/docs/errors#code") lands on its entry.
// GET /openapi.json — the OpenAPI 3.1 document (openapi.ts), built on the first request an isolate gets for it
// and kept, so that no other request pays for it.
import type { Handled, RequestContext } from "../context";
import { ERROR_CATALOG, ERROR_CODES, errorTypeFor } from "../http/error-catalog";
import { buildOpenApi } from "./openapi";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const PAGE = (() => {
  const rows = ERROR_CODES.map((code) => {
    const e = ERROR_CATALOG[code];
    const cells = [`<code>${code}</code>`, e.status, errorTypeFor(e.status), escapeHtml(e.message), escapeHtml(e.fix)];
    return `<tr id="${code}">${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cordon error codes</title></head>
<body><h1>Cordon error codes</h1>
<p>Every error response is <code>{"error":{"type","code","message","request_id"}}</code>. Give the operator the
<code>request_id</code> when asking about one.</p>
<table><thead><tr><th>code</th><th>status</th><th>type</th><th>meaning</th><th>what to do</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
})();

export async function errorCatalogPage(): Promise<Handled> {
  return { response: new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }) };
}

let openApi: { baseDomain: string; text: string } | null = null;

export async function openApiDocument(rc: RequestContext): Promise<Handled> {
  const { baseDomain } = rc.rt.config;
  if (openApi?.baseDomain !== baseDomain) openApi = { baseDomain, text: JSON.stringify(buildOpenApi({ baseDomain })) };
  return { response: new Response(openApi.text, { headers: { "content-type": "application/json; charset=utf-8" } }) };
}
