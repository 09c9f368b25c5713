// Objects the provider stores under the credential that made them (files, vector stores, containers,
// conversations; policy/provider-objects.ts): a tenant without a virtual key shares the deployment's credential,
// so a request naming one is refused before the provider is asked; with the tenant's own key it goes through.
// Regression: a chat file part's `file_id` was passed on under the deployment's credential, so a tenant that knew
// an id read a file of the deployment's account — another tenant's upload through it, or the operator's.

import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getRuntime } from "../../src/gateway/runtime";
import { call, rootToken, settle, tenantWithKey } from "../helpers";
import { eventOf } from "./gateway-helpers";

const withFile = (fileId: string) => ({
  model: "gpt-4o-mini",
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Summarise the attached report." },
        { type: "file", file: { file_id: fileId } },
      ],
    },
  ],
});

describe("provider-stored objects", async () => {
  const t = await tenantWithKey("pobj");

  it("a chat request naming a file is refused under the deployment's credential, sent with the tenant's own", async () => {
    const rt = await getRuntime(env);
    const sent = vi.spyOn(rt.provider, "send");
    const refused = await call(t.host, "/v1/chat/completions", { token: t.key, body: withFile("file-theirs123") });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: "provider_object_not_found", type: "invalid_request_error" });
    expect(body.error.message).toContain("file-theirs123");
    expect(sent).not.toHaveBeenCalled();
    const event = await eventOf(refused);
    expect(event).toMatchObject({ outcome: "denied", reason: "provider_object:file_id" });

    const vk = await call(t.host, "/v1/admin/virtual-keys", {
      token: rootToken(),
      body: { name: "own", provider: "openai", api_key: "sk-the-tenants-own-account-0000" },
    });
    expect(vk.status).toBe(201);
    const own = ((await vk.json()) as { id: string }).id;
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: withFile("file-mine123"),
      headers: { "x-cordon-virtual-key": own },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(sent).toHaveBeenCalledTimes(1);
    await settle();
  });
});
