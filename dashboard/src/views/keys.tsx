// API keys: list, create (the secret is shown once, here, and kept nowhere), rotate (a new secret, shown once;
// the old one works for the grace period), revoke.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { ConfirmButton, DataTable, ErrorNote, fmtTime, inputValue, Note, ViewHeading } from "../ui";

interface Key {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  status: string;
  cache_scope: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
}

const ROLES = ["viewer", "developer", "service", "admin", "owner"];
const GRACE = [
  { label: "no grace period", seconds: 0 },
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 604_800 },
];

export function Keys() {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<{ id: string; name: string; key: string; rotated: boolean } | null>(null);
  const [grace, setGrace] = useState(86_400);

  const load = () =>
    api<{ data: Key[] }>("GET", "/v1/admin/keys")
      .then((r) => setKeys(r.data))
      .catch(setError);
  useEffect(() => {
    void load();
  }, []);

  const act = async (f: () => Promise<void>) => {
    setError(null);
    try {
      await f();
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const rotate = (k: Key) =>
    act(async () => {
      const r = await api<Key & { key: string }>("POST", `/v1/admin/keys/${k.id}/rotate`, { grace_seconds: grace });
      setSecret({ id: r.id, name: r.name, key: r.key, rotated: true });
    });
  const revoke = (k: Key) =>
    act(async () => {
      await api("DELETE", `/v1/admin/keys/${k.id}`);
      if (secret?.id === k.id) setSecret(null);
    });

  return (
    <section>
      <ViewHeading>API keys</ViewHeading>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <ErrorNote error={error} />
      <CreateKey
        onCreated={(k) =>
          act(async () => {
            setSecret({ ...k, rotated: false });
          })
        }
        onError={setError}
      />
      <h2>Keys of this tenant</h2>
      <label class="inline">
        Grace period when rotating{" "}
        <select value={String(grace)} onChange={(e) => setGrace(Number(inputValue(e)))}>
          {GRACE.map((g) => (
            <option value={String(g.seconds)}>{g.label}</option>
          ))}
        </select>
      </label>
      {keys === null ? (
        <p>Loading…</p>
      ) : (
        <DataTable columns={["Name", "Id", "Role", "Status", "Created", "Expires", "Last used", "Actions"]}>
          {keys.map((k) => (
            <tr key={k.id} data-key-id={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.id}</code>
              </td>
              <td>{k.role}</td>
              <td>{k.status}</td>
              <td>{fmtTime(k.created_at)}</td>
              <td>{fmtTime(k.expires_at)}</td>
              <td>{fmtTime(k.last_used_at)}</td>
              <td class="actions">
                {k.status !== "revoked" && k.status !== "expired" && (
                  <>
                    <button type="button" onClick={() => void rotate(k)}>
                      Rotate <span class="visually-hidden">{k.name}</span>
                    </button>
                    <ConfirmButton label={`Revoke`} confirm="Confirm revoke" onConfirm={() => void revoke(k)} />
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function CreateKey(props: {
  onCreated: (k: { id: string; name: string; key: string }) => void;
  onError: (e: unknown) => void;
}) {
  const [name, setName] = useState("");
  const [role, setRole] = useState("developer");
  const [expires, setExpires] = useState("");
  const [cacheScope, setCacheScope] = useState("tenant");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    props.onError(null);
    try {
      const body = {
        name,
        role,
        cache_scope: cacheScope,
        ...(expires ? { expires_at: new Date(`${expires}T00:00:00Z`).toISOString() } : {}),
      };
      const made = await api<{ id: string; name: string; key: string }>("POST", "/v1/admin/keys", body);
      setName("");
      props.onCreated(made);
    } catch (err) {
      props.onError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <div class="fields">
        <label>
          Name
          <input required maxLength={64} value={name} onInput={(e) => setName(inputValue(e))} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(inputValue(e))}>
            {ROLES.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Cache scope
          <select value={cacheScope} onChange={(e) => setCacheScope(inputValue(e))}>
            <option value="tenant">tenant</option>
            <option value="user">user</option>
          </select>
        </label>
        <label>
          Expires (optional)
          <input type="date" value={expires} onInput={(e) => setExpires(inputValue(e))} />
        </label>
      </div>
      <button type="submit" class="primary" disabled={busy}>
        Create key
      </button>
    </form>
  );
}

/** The secret of a key just created or rotated: shown this once, never stored by the page. */
function SecretOnce(props: {
  secret: { id: string; name: string; key: string; rotated: boolean };
  onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section class="panel secret" ref={ref} tabIndex={-1} aria-labelledby="secret-title">
      <h2 id="secret-title">
        {props.secret.rotated ? "New secret" : "New key"} “{props.secret.name}”
      </h2>
      <Note kind="warn">Copy this secret now: it is shown only once, and Cordon keeps only its hash.</Note>
      <p>
        <code class="secret-value" data-testid="secret">
          {props.secret.key}
        </code>
      </p>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(props.secret.key).then(() => setCopied(true));
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>{" "}
      <button type="button" onClick={props.onDone}>
        Done
      </button>
    </section>
  );
}
