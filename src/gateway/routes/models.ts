// GET /v1/models and GET /v1/models/{id}, in OpenAI's shape, for any valid credential of the tenant (clients
// call it first to check their key and the model they mean to use). The list is the deployment's catalogue
// (models.ts); behind AI Gateway its ids carry the provider prefix chat requests must name (`openai/gpt-4o`).
// A model's id may be given with or without that prefix; an unknown one is 404 `model_not_found`, as OpenAI does.

import * as z from "zod";
import { decodedSegment } from "../../shared/path-segment";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json } from "../http/respond";
import { KNOWN_MODELS, type KnownModel } from "../models";

/** A model in OpenAI's shape. */
export const ModelObjectSchema = z.strictObject({
  id: z.string(),
  object: z.literal("model"),
  created: z.int(),
  owned_by: z.string(),
});
type ModelObject = z.infer<typeof ModelObjectSchema>;
export const ModelListSchema = z.strictObject({ object: z.literal("list"), data: z.array(ModelObjectSchema) });

function view(rc: AuthedContext, m: KnownModel): ModelObject {
  const prefixed = rc.rt.config.provider.kind === "ai-gateway";
  return { id: prefixed ? `${m.provider}/${m.id}` : m.id, object: "model", created: m.created, owned_by: m.provider };
}

export async function listModels(rc: AuthedContext): Promise<Handled> {
  const list: z.infer<typeof ModelListSchema> = { object: "list", data: KNOWN_MODELS.map((m) => view(rc, m)) };
  return { response: json(list) };
}

export async function getModel(rc: AuthedContext): Promise<Handled> {
  const id = decodedSegment(rc.params.id ?? "");
  const slash = id.indexOf("/");
  const name = slash === -1 ? id : id.slice(slash + 1);
  const provider = slash === -1 ? null : id.slice(0, slash);
  const found = KNOWN_MODELS.find((m) => m.id === name && (provider === null || m.provider === provider));
  if (!found) {
    throw fail("model_not_found", {
      message: `The model '${id.slice(0, 100)}' does not exist or you do not have access to it.`,
      facts: { model: id },
    });
  }
  return { response: json(view(rc, found)), facts: { model: view(rc, found).id } };
}
