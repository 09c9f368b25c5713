// The tenant policy as the API has it (GET /v1/admin/policy), edited as a whole and put back (PUT, every field).
// A change whose ip_allowlist would lock the editor out is refused by the gateway (409 policy_locks_out_caller);
// the page then says so and offers to save anyway (?confirm=true). A save is sent with the ETag of the policy the
// editor loaded (If-Match): if someone changed it since, the gateway refuses (409 policy_changed) instead of
// silently undoing that change, and the page asks to reload.
import { useEffect, useState } from "preact/hooks";
import { ApiFailure, apiTagged } from "../api";
import { ErrorNote, inputValue, Note, ViewHeading } from "../ui";

type Policy = Record<string, unknown>;

export function PolicyEditor() {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [lockout, setLockout] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [etag, setEtag] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);

  const load = async () => {
    setError(null);
    setLockout(null);
    setChanged(false);
    try {
      const r = await apiTagged<{ policy: Policy }>("GET", "/v1/admin/policy");
      setText(JSON.stringify(r.value.policy, null, 2));
      setEtag(r.etag);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const save = async (confirm: boolean) => {
    setError(null);
    setSaved(false);
    let policy: Policy;
    try {
      policy = JSON.parse(text ?? "") as Policy;
    } catch (e) {
      setError(new Error(`The policy is not valid JSON: ${e instanceof Error ? e.message : String(e)}.`));
      return;
    }
    // The save is conditional on the policy loaded, or not made: without an ETag it would be last-writer-wins.
    if (etag === null) {
      setError(
        new Error(
          "The gateway's answer to the policy read carried no ETag, so the save could not be made conditional; nothing was saved. Reload the policy.",
        ),
      );
      return;
    }
    try {
      const path = `/v1/admin/policy${confirm ? "?confirm=true" : ""}`;
      const r = await apiTagged<{ policy: Policy }>("PUT", path, policy, etag);
      setText(JSON.stringify(r.value.policy, null, 2));
      setEtag(r.etag);
      setLockout(null);
      setSaved(true);
    } catch (e) {
      if (e instanceof ApiFailure && e.code === "policy_locks_out_caller") setLockout(e.message);
      else if (e instanceof ApiFailure && e.code === "policy_changed") {
        setLockout(null);
        setChanged(true);
      } else setError(e);
    }
  };

  return (
    <section>
      <ViewHeading>Policy</ViewHeading>
      <p class="hint">
        The whole policy, as the API returns it: similarity threshold, TTL, cache scope, IP allowlist, PII mode, consent
        default, timing protection, rate limit, key age, single sign-on (oidc) and fallbacks. Saving replaces it; the
        gateway checks every field. Single sign-on, the IP allowlist, the rate limit and the key age decide who may
        reach the tenant at all: only an owner changes them.
      </p>
      <ErrorNote error={error} />
      {saved && <Note kind="ok">Policy saved.</Note>}
      {lockout && (
        <div class="panel warn" role="alert">
          <p>{lockout}</p>
          <button type="button" class="danger" onClick={() => void save(true)}>
            Save anyway and lock me out
          </button>{" "}
          <button type="button" onClick={() => setLockout(null)}>
            Keep editing
          </button>
        </div>
      )}
      {changed && (
        <div class="panel warn" role="alert">
          <p>
            The policy was changed by someone else since this page loaded it; nothing was saved. Reload it, then make
            your change again.
          </p>
          <button type="button" onClick={() => void load()}>
            Reload the policy
          </button>
        </div>
      )}
      {text === null ? (
        <p>Loading…</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save(false);
          }}
        >
          <label class="block">
            Policy (JSON)
            <textarea
              class="code"
              rows={24}
              spellcheck={false}
              value={text}
              onInput={(e) => {
                setText(inputValue(e));
                setSaved(false);
              }}
            />
          </label>
          <button type="submit" class="primary">
            Save policy
          </button>{" "}
          <button type="button" onClick={() => void load()}>
            Discard changes
          </button>
        </form>
      )}
    </section>
  );
}
