// The audit trail (GET /v1/audit, newest first, paged by cursor, filtered by actor, action and outcome) and the
// hash chain's verification (GET /v1/audit/verify).
import { useEffect, useState } from "preact/hooks";
import { api, query, type Verification, verifyWholeChain } from "../api";
import { DataTable, ErrorNote, fmtTime, inputValue, Note, ViewHeading } from "../ui";

interface AuditEvent {
  id: string;
  ts: number;
  actor: string;
  action: string;
  outcome: "allowed" | "denied" | "error";
  status: number;
  code: string | null;
  reason: string | null;
  target: string | null;
  route: string;
  cache: string | null;
  client_ip: string | null;
  /** Set on a row whose stored event cannot be read: its other fields are the row's copied columns, unchecked. */
  unreadable?: "not_json" | "invalid_event";
}
interface Page {
  data: AuditEvent[];
  next_cursor: string | null;
}

const PAGE = 50;

export function AuditTrail() {
  const [filters, setFilters] = useState({ actor: "", action: "", outcome: "" });
  const [applied, setApplied] = useState(filters);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifying, setVerifying] = useState(false);

  const fetchPage = (after: string | null) =>
    api<Page>("GET", `/v1/audit${query({ ...applied, limit: PAGE, cursor: after })}`);

  useEffect(() => {
    setError(null);
    setEvents(null);
    fetchPage(null)
      .then((p) => {
        setEvents(p.data);
        setCursor(p.next_cursor);
      })
      .catch(setError);
  }, [applied]);

  const older = async () => {
    try {
      const p = await fetchPage(cursor);
      setEvents([...(events ?? []), ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  const verify = async () => {
    setVerifying(true);
    setVerification(null);
    try {
      setVerification(await verifyWholeChain());
    } catch (e) {
      setError(e);
    } finally {
      setVerifying(false);
    }
  };
  const field = (name: keyof typeof filters) => (e: Event) => setFilters({ ...filters, [name]: inputValue(e) });

  return (
    <section>
      <ViewHeading>Audit trail</ViewHeading>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => void verify()} disabled={verifying}>
          Verify chain
        </button>
        {verifying && <span role="status">Verifying…</span>}
      </div>
      {verification &&
        (verification.ok ? (
          <Note kind="ok">
            Chain intact: {verification.checked} events checked
            {verification.complete ? "." : " so far; the gateway did not say where to continue."}
          </Note>
        ) : (
          <Note kind="warn">
            Chain broken at event {verification.first_break?.seq}: {verification.first_break?.reason}.
          </Note>
        ))}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label>
          Actor
          <input value={filters.actor} onInput={field("actor")} placeholder="key:key_… or sso:…" />
        </label>
        <label>
          Action
          <input value={filters.action} onInput={field("action")} placeholder="key.create" />
        </label>
        <label>
          Outcome
          <select value={filters.outcome} onChange={field("outcome")}>
            <option value="">any</option>
            <option value="allowed">allowed</option>
            <option value="denied">denied</option>
            <option value="error">error</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      {events === null ? (
        <p>Loading…</p>
      ) : (
        <>
          <DataTable
            columns={["Time (UTC)", "Actor", "Action", "Outcome", "Status", "Code / reason", "Target", "Client"]}
          >
            {events.map((e) => (
              <tr key={e.id}>
                <td>{fmtTime(e.ts)}</td>
                <td>
                  <code>{e.actor}</code>
                </td>
                <td>{e.action}</td>
                <td class={`outcome ${e.outcome}`}>{e.outcome}</td>
                <td>{e.status}</td>
                <td>
                  {e.unreadable ? (
                    <span class="unreadable">unreadable event ({e.unreadable})</span>
                  ) : (
                    [e.code, e.reason].filter(Boolean).join(" · ") || "—"
                  )}
                </td>
                <td>{e.target ?? "—"}</td>
                <td>{e.client_ip ?? "—"}</td>
              </tr>
            ))}
          </DataTable>
          {events.length === 0 && <p>No events.</p>}
          {cursor && (
            <button type="button" onClick={() => void older()}>
              Older events
            </button>
          )}
        </>
      )}
    </section>
  );
}
