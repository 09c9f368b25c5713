// Small pieces every view uses: error notes, a two-step confirmation button, formatting.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure } from "./api";

export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  const request = error instanceof ApiFailure && error.requestId ? ` (request ${error.requestId})` : "";
  return (
    <p class="note error" role="alert">
      {message}
      {request}
    </p>
  );
}

export function Note({ children, kind = "info" }: { children: ComponentChildren; kind?: "info" | "ok" | "warn" }) {
  return (
    <p class={`note ${kind}`} role="status">
      {children}
    </p>
  );
}

/** A button that asks once more before acting: the first press shows "Confirm" and "Cancel". */
export function ConfirmButton(props: { label: string; confirm: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        ref={confirmRef}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A table of records: a scrolling wrapper, a header row of column headings, and the rows given as children. */
export function DataTable({ columns, children }: { columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A view's heading, focused when the view opens so that keyboard and screen-reader users land on it. */
export function ViewHeading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export const fmtTime = (iso: string | number | null): string =>
  iso === null ? "—" : new Date(iso).toISOString().replace("T", " ").slice(0, 19);
export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const fmtPct = (r: number): string => `${(r * 100).toFixed(1)} %`;
export const fmtUsd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`;

export const inputValue = (e: Event): string =>
  (e.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
