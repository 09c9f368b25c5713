// What every Node example needs: where Cordon is and the key to call it with, from the environment.
//   CORDON_BASE_URL  the OpenAI-style base URL, e.g. http://demo.localhost:8787/v1 (npm run dev) or
//                    https://acme.cordon.example.com/v1
//   CORDON_API_KEY   a Cordon API key with the `completions` scope (cdn_…)

export function cordonEnv() {
  const baseURL = process.env.CORDON_BASE_URL;
  const apiKey = process.env.CORDON_API_KEY;
  if (!baseURL || !apiKey) {
    process.stderr.write("Set CORDON_BASE_URL (e.g. http://demo.localhost:8787/v1) and CORDON_API_KEY.\n");
    process.exit(2);
  }
  return { baseURL: baseURL.replace(/\/+$/, ""), apiKey };
}

/** One line of output: `label: value`. */
export const say = (label, value) => process.stdout.write(`${label}: ${value}\n`);
