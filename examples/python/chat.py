"""The official OpenAI Python SDK (`pip install openai`, 1.x) with Cordon: only base_url and api_key change.

    CORDON_BASE_URL=http://demo.localhost:8787/v1 CORDON_API_KEY=cdn_dev_... python examples/python/chat.py

Written against the SDK's documented API; it is not run by Cordon's CI (the Python package cannot be installed
there), unlike the Node and curl examples. If your system does not resolve `*.localhost`, add
`127.0.0.1 demo.localhost` to /etc/hosts.
"""

import os
import sys

from openai import OpenAI


def main() -> int:
    base_url = os.environ.get("CORDON_BASE_URL")
    api_key = os.environ.get("CORDON_API_KEY")
    if not base_url or not api_key:
        print("Set CORDON_BASE_URL (e.g. http://demo.localhost:8787/v1) and CORDON_API_KEY.", file=sys.stderr)
        return 2
    client = OpenAI(base_url=base_url.rstrip("/"), api_key=api_key)
    messages = [{"role": "user", "content": "What is the capital of France?"}]

    # A chat completion; with_raw_response also gives the headers, where Cordon says how the cache answered.
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages)
    completion = raw.parse()
    print("chat:", completion.choices[0].message.content)
    print("x-cache:", raw.headers.get("x-cache"))

    # Streamed, with the usage chunk at the end (its `choices` is empty).
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Name three rivers in Europe."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    streamed, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            streamed += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    print("stream:", streamed)
    if usage:
        print("stream usage:", usage.prompt_tokens, "prompt +", usage.completion_tokens, "completion tokens")

    # Embeddings.
    embedding = client.embeddings.create(model="text-embedding-3-small", input="Paris in spring")
    print("embedding:", len(embedding.data[0].embedding), "dimensions")

    # The Responses API: stateless requests (store=False) are cached like chat completions.
    answer = client.responses.create(model="gpt-4o-mini", input="What is 2 + 2?", store=False)
    print("responses:", answer.output_text)

    # The models this key may call.
    print("models:", ", ".join(model.id for model in client.models.list()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
