// Layering of Cordon's source: a file may import only from its own layer or below. The lists are the
// architecture in one place; `npm run lint` fails on any import that goes up a layer, across Workers, or in a
// cycle.
const LAYERS = [
  // 0 — shared by all three Workers: the audit event, ids, canonical JSON, hashing
  ["^src/shared/"],
  // 1 — gateway basics: HTTP shapes and errors, wire protocol, configuration, hosts, prices, audit fact types
  [
    "^src/gateway/http/",
    "^src/gateway/protocol/",
    "^src/gateway/config\\.ts$",
    "^src/gateway/hosts\\.ts$",
    "^src/gateway/models\\.ts$",
    "^src/gateway/audit/facts\\.ts$",
    "^src/gateway/text/",
  ],
  // 2 — pure security and policy decisions, crypto, PII detection, port interfaces
  ["^src/gateway/policy/", "^src/gateway/crypto/", "^src/gateway/pii/", "^src/gateway/ports/"],
  // 3 — storage (KV records, the tenant Durable Object), the adapters behind the ports, and the credential
  //     machinery that needs no runtime: key secrets, token signing and verification, JWKS cache, guard, usage
  [
    "^src/gateway/storage/",
    "^src/gateway/adapters/",
    "^src/gateway/auth/(access-token|signing-keys|api-key-secret|credential|guard|jwks-cache|jwt-failure|key-usage|oidc|oidc-login|session-cookie)\\.ts$",
  ],
  // 4 — the runtime (configuration + adapters + stores), request context, audit event building
  ["^src/gateway/runtime\\.ts$", "^src/gateway/context\\.ts$", "^src/gateway/audit/(event|send)\\.ts$"],
  // 5 — authentication and admission over the runtime, and the cache tiers
  [
    "^src/gateway/auth/(admission|authenticate|dashboard-session|identify)\\.ts$",
    "^src/gateway/cache/",
    "^src/gateway/upstream/",
  ],
  // 6 — answering a request from the cache or the provider: chat completions, embeddings
  ["^src/gateway/chat/", "^src/gateway/embeddings/"],
  // 7 — route handlers and the route table; the dashboard's page, sessions and single sign-on
  ["^src/gateway/routes/", "^src/gateway/dashboard/"],
  // 8 — the pipeline and the Worker entry
  ["^src/gateway/pipeline\\.ts$", "^src/gateway/index\\.ts$"],
];

const above = (i) => LAYERS.slice(i + 1).flat();

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${i}-imports-upward`,
      comment: "A file imports from a higher layer (see .dependency-cruiser.cjs for the layers).",
      severity: "error",
      from: { path: layer },
      to: { path: above(i) },
    })),
    {
      name: "workers-stay-apart",
      comment: "The gateway, logger and provider share only src/shared.",
      severity: "error",
      from: { path: "^src/(gateway|logger|provider)/" },
      to: { path: "^src/(gateway|logger|provider)/", pathNot: "^src/$1/" },
    },
    {
      name: "unlayered-gateway-file",
      comment: "Every gateway file belongs to a layer; add new folders to LAYERS.",
      severity: "error",
      from: { path: "^src/gateway/", pathNot: [...LAYERS.flat(), "\\.d\\.ts$"] },
      to: {},
    },
    { name: "no-circular", severity: "error", from: { path: "^src/" }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "worker-configuration\\.d\\.ts$" },
  },
};
