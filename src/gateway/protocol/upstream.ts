// The provider endpoints Cordon calls: OpenAI's paths, relative to the provider's /v1 base.
export type UpstreamPath = "chat/completions" | "embeddings" | "responses";
