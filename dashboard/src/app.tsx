// The dashboard's shell: the session (asked of the gateway at start, since the page keeps nothing across
// reloads), the views the session's scopes open, and navigation between them by the URL's fragment.
import { useEffect, useState } from "preact/hooks";
import { currentSession, type Session, signOut, whenSignedOut } from "./api";
import { fmtTime } from "./ui";
import { AuditTrail } from "./views/audit";
import { CacheEntries } from "./views/cache";
import { Keys } from "./views/keys";
import { Overview } from "./views/overview";
import { PolicyEditor } from "./views/policy";
import { SignIn } from "./views/signin";

interface View {
  id: string;
  label: string;
  scope: string;
}

const VIEWS: View[] = [
  { id: "overview", label: "Usage", scope: "analytics:read" },
  { id: "keys", label: "Keys", scope: "keys:manage" },
  { id: "policy", label: "Policy", scope: "policy:manage" },
  { id: "audit", label: "Audit trail", scope: "audit:read" },
  { id: "cache", label: "Cache", scope: "cache:read" },
];

const viewInHash = () => location.hash.replace(/^#\/?/, "");

export function App() {
  const [session, setSession] = useState<Session | null | "loading">("loading");
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [hash, setHash] = useState(viewInHash());

  useEffect(() => {
    whenSignedOut(() => {
      setNotice("Your session has ended: sign in again.");
      setSession(null);
    });
    currentSession()
      .then(setSession)
      .catch((e) => setFailure(e instanceof Error ? e.message : String(e)));
    const onHash = () => setHash(viewInHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const leave = async () => {
    if (!(await signOut())) {
      setNotice("Signing out failed: this browser is still signed in. Try again.");
      return;
    }
    setFailure(null);
    setNotice("Signed out.");
    setSession(null);
  };

  // The gateway would not say who is signed in (the session's key too old, the address not allowed, a rate limit):
  // the browser may still hold a session cookie, which only a sign-out can clear.
  if (failure) {
    return (
      <main>
        <p class="note error" role="alert">
          {failure}
        </p>
        {notice && (
          <p class="note error" role="alert">
            {notice}
          </p>
        )}
        <button type="button" onClick={() => void leave()}>
          Sign out
        </button>
      </main>
    );
  }
  if (session === "loading") return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }

  const views = VIEWS.filter((v) => session.scopes.includes(v.scope));
  const current = views.find((v) => v.id === hash) ?? views[0];

  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Cordon</span>
        <span class="tenant">{session.tenant_name || session.tenant}</span>
        <nav aria-label="Dashboard">
          <ul>
            {views.map((v) => (
              <li key={v.id}>
                <a href={`#/${v.id}`} aria-current={v === current ? "page" : undefined}>
                  {v.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" title={`Session ends ${fmtTime(session.expires_at)} UTC`}>
          {session.key_name ? `${session.key_name} · ` : ""}
          <code>{session.actor}</code> · {session.role ?? "token"}
        </span>
        <button type="button" onClick={() => void leave()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {notice && (
          <p class="note error" role="alert">
            {notice}
          </p>
        )}
        {current === undefined && <p>This session's scopes open none of the dashboard's views.</p>}
        {current?.id === "overview" && <Overview />}
        {current?.id === "keys" && <Keys />}
        {current?.id === "policy" && <PolicyEditor />}
        {current?.id === "audit" && <AuditTrail />}
        {current?.id === "cache" && (
          <CacheEntries
            canDelete={session.scopes.includes("cache:delete")}
            userBound={session.cache_scope === "user"}
          />
        )}
      </main>
    </>
  );
}
