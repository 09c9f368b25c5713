// Resolves `*.localhost` to 127.0.0.1 in this Node process, as browsers and curl already do (RFC 6761 §6.3).
// Many systems' resolvers answer ENOTFOUND for `{tenant}.localhost`, the names under which `npm run dev` serves
// Cordon's tenants; where yours does, preload this module:
//
//   NODE_OPTIONS=--import=./examples/resolve-localhost.mjs node examples/openai-node/chat.mjs
//
// (or add `127.0.0.1 demo.localhost` to /etc/hosts). Against a deployed Cordon it is not needed.
//
// Why this way: a client must be usable as its users use it, changed only by `baseURL`. Node's sockets (and so
// the global fetch that the `openai` SDK, the AI SDK and LangChain call) look a host name up through
// `dns.lookup` at connect time, so replacing it for `*.localhost` alone makes those names work without giving
// any client a custom fetch, agent or dispatcher; every other name is looked up as before. The end-to-end tests
// import this module for its effect (test/e2e/sdk.ts) and preload it into the examples they run.
import dns from "node:dns";

const LOOPBACK = "127.0.0.1";
const isLocalhost = (name) => typeof name === "string" && /\.localhost\.?$/i.test(name);

if (!dns.lookup.cordonLocalhost) {
  const lookup = dns.lookup;
  const resolving = function resolving(hostname, options, callback) {
    if (!isLocalhost(hostname)) return lookup.call(this, hostname, options, callback);
    const done = typeof options === "function" ? options : callback;
    const all = typeof options === "object" && options !== null && options.all === true;
    process.nextTick(() => (all ? done(null, [{ address: LOOPBACK, family: 4 }]) : done(null, LOOPBACK, 4)));
  };
  resolving.cordonLocalhost = true;
  dns.lookup = resolving;
}
