// Cache entries (GET /v1/cache/entries: metadata only, never content) with delete, and GDPR requests for one
// user: export their entries (NDJSON download) and erase them.
import { useEffect, useState } from "preact/hooks";
import { api, download, query } from "../api";
import { ConfirmButton, DataTable, ErrorNote, fmtTime, inputValue, Note, ViewHeading } from "../ui";

interface Entry {
  id: string;
  model: string;
  scope: "tenant" | "user";
  created_at: string;
  expires_at: string;
  expired: boolean;
}
interface Page {
  data: Entry[];
  next_cursor: string | null;
}

const PAGE = 50;

export function CacheEntries({ canDelete, userBound }: { canDelete: boolean; userBound: boolean }) {
  const [user, setUser] = useState("");
  const [shownUser, setShownUser] = useState("");
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const cursor = pages[pages.length - 1] ?? null;

  const load = async () => {
    if (userBound && shownUser === "") {
      setPage({ data: [], next_cursor: null });
      return;
    }
    try {
      setPage(await api<Page>("GET", `/v1/cache/entries${query({ limit: PAGE, user: shownUser, cursor })}`));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setError(null);
    void load();
  }, [shownUser, cursor]);

  const remove = async (id: string) => {
    setError(null);
    setDone(null);
    try {
      await api("DELETE", `/v1/cache/entries/${id}`);
      setDone(`Entry ${id} deleted.`);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  // The user as "Show entries" lists them: the name without the whitespace around it (a different user to the API).
  const subject = user.trim();
  const exportUser = async () => {
    setError(null);
    setDone(null);
    try {
      const bytes = await download(`/v1/cache/export${query({ user: subject })}`, `cordon-export-${subject}.ndjson`);
      setDone(`Exported ${bytes} bytes of ${subject}'s entries.`);
    } catch (e) {
      setError(e);
    }
  };
  const erase = async () => {
    setError(null);
    setDone(null);
    try {
      const r = await api<{ erased_entries: number }>("POST", "/v1/cache/erase", { user: subject });
      setDone(`Erased ${r.erased_entries} entries of ${subject}.`);
      await load();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <ViewHeading>Cache entries</ViewHeading>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPages([null]);
          setShownUser(subject);
        }}
      >
        <label>
          User {userBound ? "(required: this session is bound to one user's cache)" : "(optional)"}
          <input value={user} onInput={(e) => setUser(inputValue(e))} maxLength={256} />
        </label>
        <button type="submit">Show entries</button>
      </form>
      <section class="panel" aria-labelledby="gdpr-title">
        <h2 id="gdpr-title">Data subject requests</h2>
        <p class="hint">For the user named above: download everything cached for them, or erase it.</p>
        <button type="button" disabled={subject === ""} onClick={() => void exportUser()}>
          Export user's entries
        </button>{" "}
        {canDelete && (
          <ConfirmButton
            label="Erase user"
            confirm="Confirm erasure"
            disabled={subject === ""}
            onConfirm={() => void erase()}
          />
        )}
      </section>
      <ErrorNote error={error} />
      {done && <Note kind="ok">{done}</Note>}
      {page === null ? (
        <p>Loading…</p>
      ) : (
        <>
          <DataTable columns={["Entry", "Model", "Scope", "Created", "Expires", ...(canDelete ? ["Actions"] : [])]}>
            {page.data.map((e) => (
              <tr key={e.id} data-entry-id={e.id}>
                <td>
                  <code>{e.id}</code>
                </td>
                <td>{e.model}</td>
                <td>{e.scope}</td>
                <td>{fmtTime(e.created_at)}</td>
                <td>
                  {fmtTime(e.expires_at)}
                  {e.expired ? " (expired)" : ""}
                </td>
                {canDelete && (
                  <td class="actions">
                    <ConfirmButton label="Delete" confirm="Confirm delete" onConfirm={() => void remove(e.id)} />
                  </td>
                )}
              </tr>
            ))}
          </DataTable>
          {page.data.length === 0 && <p>No entries.</p>}
          <div class="toolbar">
            {pages.length > 1 && (
              <button type="button" onClick={() => setPages(pages.slice(0, -1))}>
                Previous page
              </button>
            )}
            {page.next_cursor && (
              <button type="button" onClick={() => setPages([...pages, page.next_cursor])}>
                Next page
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
