// GET /v1/models and GET /v1/models/{id}, in OpenAI's shape. The list is fixed: the OpenAI models Cordon's
// tests and examples name, the local `echo` and `refuse` models, and one example of each fault model. Any
// fault name (slow-250, flaky-30-a…) and any listed id, with or without a `provider/` prefix, can be
// retrieved; other ids answer 404 `model_not_found`, as OpenAI does.
import { isFaultModel, modelName } from "./faults";
import { notFound } from "./http";

export interface Model {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** When the local models were "created" (a fixed date, so the list never changes). */
const LOCAL_CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z

const openai = (id: string, created: number): Model => ({ id, object: "model", created, owned_by: "system" });
const local = (id: string): Model => ({ id, object: "model", created: LOCAL_CREATED, owned_by: "cordon" });

export const MODELS: readonly Model[] = [
  openai("gpt-4o-mini", 1_721_172_741),
  openai("gpt-4o", 1_715_367_049),
  openai("gpt-4.1-mini", 1_744_318_173),
  openai("text-embedding-3-small", 1_705_948_997),
  openai("text-embedding-3-large", 1_705_953_180),
  openai("text-embedding-ada-002", 1_671_217_299),
  ...[
    "echo",
    "refuse",
    "slow-1000",
    "slow-stream-200",
    "error-429",
    "error-500",
    "error-503",
    "error-after-2",
    "flaky-50",
    "hang",
    "broken-stream",
  ].map(local),
];

export function listModels(): Response {
  return Response.json({ object: "list", data: MODELS });
}

export function retrieveModel(id: string): Response {
  const name = modelName(id);
  const known = MODELS.find((m) => m.id === name) ?? (isFaultModel(name) ? local(name) : undefined);
  if (!known) {
    throw notFound(
      `The model '${id.slice(0, 100)}' does not exist or you do not have access to it.`,
      "model",
      "model_not_found",
    );
  }
  return Response.json(known);
}
