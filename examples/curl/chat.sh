#!/usr/bin/env bash
# Cordon with curl: the OpenAI-style endpoints, with the cache's verdict from the x-cache header.
#   CORDON_BASE_URL=http://demo.localhost:8787/v1 CORDON_API_KEY=cdn_dev_… bash examples/curl/chat.sh
# (curl resolves *.localhost to the loopback address by itself.) Needs curl 7.84 or later for %header{}.
set -euo pipefail
: "${CORDON_BASE_URL:?Set CORDON_BASE_URL, e.g. http://demo.localhost:8787/v1}"
: "${CORDON_API_KEY:?Set CORDON_API_KEY to a Cordon API key (cdn_…)}"
base="${CORDON_BASE_URL%/}"

cordon() {
  # POST $1 with the JSON body $2; prints the answer (a stream as it arrives), then the x-cache header.
  curl -sS --fail-with-body -H "authorization: Bearer ${CORDON_API_KEY}" -H "content-type: application/json" \
    -d "$2" -w '\nx-cache: %header{x-cache}\n' "${base}$1"
}

question='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of France?"}]}'

echo "== POST /chat/completions"
cordon /chat/completions "$question"

echo "== POST /chat/completions (the same question: answered from the cache once stored)"
sleep 1
cordon /chat/completions "$question"

echo "== POST /chat/completions (streamed)"
cordon /chat/completions \
  '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Name three rivers in Europe."}]}'

echo "== POST /embeddings"
cordon /embeddings '{"model":"text-embedding-3-small","input":"Paris in spring","dimensions":8}'

echo "== POST /responses"
cordon /responses '{"model":"gpt-4o-mini","input":"What is 2 + 2?","store":false}'

echo "== GET /models"
curl -sS --fail-with-body -H "authorization: Bearer ${CORDON_API_KEY}" "${base}/models"
echo
