// Sign-in: with an API key (posted once to /dashboard/session, which answers with an HttpOnly session cookie;
// the key is not kept), or with the tenant's single sign-on (a plain link: the gateway runs the OpenID Connect
// flow and comes back to /dashboard signed in).
import { useEffect, useRef, useState } from "preact/hooks";
import { type Session, signIn } from "../api";
import { ErrorNote, inputValue } from "../ui";

export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(key.trim());
      setKey("");
      onSignedIn(session);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>Sign in to Cordon</h1>
      <p class="hint">{location.host}</p>
      {notice && (
        <p class="note info" role="status">
          {notice}
        </p>
      )}
      <form class="panel" onSubmit={submit}>
        <label class="block">
          API key
          {/* Masked, but no password to keep: browsers ignore autocomplete="off" on a password field, while
              Chromium takes "one-time-code" as a field not to offer saving (docs/dashboard.md says what else does). */}
          <input
            ref={input}
            type="password"
            name="api_key"
            autocomplete="one-time-code"
            required
            placeholder="cdn_…"
            value={key}
            onInput={(e) => setKey(inputValue(e))}
          />
        </label>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="or">or</p>
      <p>
        <a class="button" href="/dashboard/sso/start">
          Sign in with single sign-on
        </a>
      </p>
      <p class="hint">
        The session lasts at most an hour and lives in a cookie scripts cannot read; the key you type is not stored.
      </p>
    </main>
  );
}
