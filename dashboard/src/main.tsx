// The Cordon tenant dashboard: Preact and uPlot, bundled by scripts/build-dashboard.mjs, served by the gateway
// at /dashboard under a CSP that allows this origin's script and style only.
import { render } from "preact";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
