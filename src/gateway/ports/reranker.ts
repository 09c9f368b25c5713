// Reranker port: a second opinion on a semantic match, after the vector search and before hit verification. A
// cross-encoder reads the query and a candidate prompt together, so it can tell apart what an embedding blurs
// (who does what, scope, a changed detail) better than cosine similarity can. One adapter today: Workers AI
// (`@cf/baai/bge-reranker-base`); tests use a fake of that binding.

export interface Reranker {
  /** Identifies the model, so that a threshold tuned for one reranker is never applied to another's scores. */
  readonly id: string;
  /** Relevance of `candidate` to `query`, from 0 (unrelated) to 1 (the same question). */
  score(query: string, candidate: string): Promise<number>;
}
