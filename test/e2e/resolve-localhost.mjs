// Resolves `*.localhost` to 127.0.0.1 in this Node process, as browsers and curl already do (RFC 6761 §6.3):
// this machine's resolver answers ENOTFOUND for `{tenant}.localhost`, the names under which `wrangler dev`
// serves Cordon's tenants.
//
// Why this way: the clients under test must be used as their users use them, changed only by `baseURL`. Node's
// sockets (and so the global fetch that the `openai` SDK, the AI SDK and LangChain call) look a host name up
// through `dns.lookup` at connect time, so replacing it for `*.localhost` alone makes those names work without
// giving any client a custom fetch, agent or dispatcher; every other name is looked up as before. Test files
// import this module for its effect; the examples' subprocesses load it with `NODE_OPTIONS=--import …`.
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
