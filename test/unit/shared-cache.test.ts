import { describe, expect, it } from "vitest";
import { hideCachedTokens, withCachedTokensHidden } from "../../src/gateway/upstream/shared-cache";

describe("the cached prompt tokens of a call under the shared credential", () => {
  it("are set to 0 in chat's and the Responses API's usage, and nothing else changes", () => {
    const chat = { prompt_tokens: 1300, prompt_tokens_details: { cached_tokens: 1152, audio_tokens: 0 } };
    expect(hideCachedTokens(chat)).toBe(true);
    expect(chat).toEqual({ prompt_tokens: 1300, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 } });
    const responses = { input_tokens: 9, input_tokens_details: { cached_tokens: 4 }, output_tokens_details: {} };
    expect(hideCachedTokens(responses)).toBe(true);
    expect(responses.input_tokens_details.cached_tokens).toBe(0);
    for (const none of [null, undefined, 3, "x", {}, { prompt_tokens_details: null }, { input_tokens_details: [] }]) {
      expect(hideCachedTokens(none)).toBe(false);
    }
    expect(hideCachedTokens({ prompt_tokens_details: { cached_tokens: 0 } })).toBe(false);
  });

  it("are hidden in a stream's events: a chunk's usage, a Responses event's response", () => {
    const chunk = JSON.stringify({ choices: [], usage: { prompt_tokens_details: { cached_tokens: 64 } } });
    expect(JSON.parse(withCachedTokensHidden(chunk)).usage.prompt_tokens_details.cached_tokens).toBe(0);
    const done = JSON.stringify({
      type: "response.completed",
      usage: { prompt_tokens_details: { cached_tokens: 1 } },
      response: { usage: { input_tokens_details: { cached_tokens: 64 } } },
    });
    const hidden = JSON.parse(withCachedTokensHidden(done));
    expect(hidden.response.usage.input_tokens_details.cached_tokens).toBe(0);
    expect(hidden.usage.prompt_tokens_details.cached_tokens).toBe(0);
    // An event that says nothing of cached tokens, or is not JSON, is the same string.
    for (const data of ['{"choices":[{"delta":{"content":"cached_tokens"}}]}', "[DONE]", '"cached_tokens": {']) {
      expect(withCachedTokensHidden(data)).toBe(data);
    }
  });
});
