// The app's form pieces: every input has a label, its error beside it (aria-describedby, aria-invalid),
// and a form's own error in a live region that screen readers read out.
import type { Child } from "hono/jsx/dom";
import { createContext, useContext, useEffect, useRef, useState } from "hono/jsx/dom";
import { ApiError } from "./api";
import { type Kind, live, onChange, onConnection } from "./live";

/** The field errors of the form around a Field, by the API's field path. */
const FieldErrors = createContext<Record<string, string>>({});

type FieldProps = {
  /** The API's field path ("contact.city"); also the input's name and id. */
  name: string;
  label: string;
  type?: string;
  autocomplete?: string;
  inputmode?: "numeric" | "decimal" | "text" | "email" | "tel";
  required?: boolean;
  value?: string;
  placeholder?: string;
  hint?: string;
  pattern?: string;
};

const idOf = (name: string) => `f-${name.replaceAll(".", "-")}`;

export function Field({ name, label, type = "text", hint, ...input }: FieldProps) {
  const error = useContext(FieldErrors)[name];
  const id = idOf(name);
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{label}</label>
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      <input id={id} name={name} type={type} aria-invalid={error ? "true" : undefined} aria-describedby={described} {...input} />
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Select({ name, label, options, value }: { name: string; label: string; options: [string, string][]; value?: string }) {
  const error = useContext(FieldErrors)[name];
  const id = idOf(name);
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
        {options.map(([optionValue, text]) => (
          <option value={optionValue} selected={optionValue === value}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Check({ name, label, checked }: { name: string; label: string; checked?: boolean }) {
  const error = useContext(FieldErrors)[name];
  const id = idOf(name);
  return (
    <div class={error ? "check invalid" : "check"}>
      <input id={id} name={name} type="checkbox" checked={checked} aria-describedby={error ? `${id}-error` : undefined} />
      <label for={id}>{label}</label>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * A form that sends what `onSend` makes of its values: the button is busy while it runs, an ApiError's
 * field errors go beside their fields and its message above the button; the first invalid field gets
 * the focus, so a keyboard user lands where the fix is.
 */
export function Form({ label, submit, onSend, children, fieldsFor }: {
  label: string;
  submit: string;
  onSend: (values: FormData) => Promise<void>;
  children: Child;
  /** Where a field error goes when the API's field is not one of this form's inputs (e.g. "qty" for "notional"). */
  fieldsFor?: (fields: Record<string, string>) => Record<string, string>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [fields, setFields] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setFields({});
    try {
      await onSend(new FormData(form.current!));
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      const found = fieldsFor ? fieldsFor(caught.fields) : caught.fields;
      setFields(found);
      setError(caught.message);
      requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"], .form-error')?.focus());
    } finally {
      setBusy(false);
    }
  };

  return (
    <FieldErrors.Provider value={fields}>
      <form ref={form} aria-label={label} onSubmit={onSubmit} novalidate>
        {children}
        {error && (
          <p class="form-error" role="alert" tabindex={-1}>
            {error}
          </p>
        )}
        <button type="submit" disabled={busy} aria-busy={busy ? "true" : undefined}>
          {busy ? "Please wait…" : submit}
        </button>
      </form>
    </FieldErrors.Provider>
  );
}

/** A value of a form's field, as text; trimmed. */
export const text = (values: FormData, name: string): string => String(values.get(name) ?? "").trim();
/** The value, or undefined when the field is empty (optional fields are left out of the body). */
export const optional = (values: FormData, name: string): string | undefined => text(values, name) || undefined;

/** A status or message line that screen readers announce. */
export function Notice({ children, kind = "info" }: { children: Child; kind?: "info" | "ok" | "error" }) {
  return (
    <p class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}

/** "1234.5" as "$1,234.50": amounts stay strings end to end, formatted for display only. */
export function money(amount: string | null | undefined): string {
  if (amount == null || amount === "") return "—";
  const [whole = "0", fraction = ""] = amount.replace(/^-/, "").split(".");
  const sign = amount.startsWith("-") ? "−" : "";
  return `${sign}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${(fraction + "00").slice(0, Math.max(2, fraction.replace(/0+$/, "").length))}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  // A bare date is a calendar day, not midnight UTC shown in the reader's zone.
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * Data from the API for a screen: loaded on mount and on `reload()`; `error` in the user's words;
 * `update` changes it in place (a change the live stream brought). While `again(data)` holds (a
 * transfer on its way, an order resting) and no live stream is open, it is loaded again every few
 * seconds; and once when the stream opens or breaks.
 */
export function useLoad<T>(load: () => Promise<T>, again?: (data: T) => boolean) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [count, setCount] = useState(0);
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    load().then(
      (data) => {
        if (!current) return;
        setState({ data, loading: false });
        if (again?.(data) && !live()) timer = setTimeout(() => setCount((n) => n + 1), POLL_MS);
      },
      (error: unknown) => current && setState((previous) => ({ ...previous, error: error instanceof ApiError ? error.message : String(error), loading: false })),
    );
    // A stream that opens starts from now: what changed since this load is read once. One that
    // breaks leaves the asking again to this load.
    const stopWatching = again ? onConnection(() => setCount((n) => n + 1)) : undefined;
    return () => {
      current = false;
      clearTimeout(timer);
      stopWatching?.();
    };
  }, [count]);
  const update = (change: (data: T) => T) => setState((previous) => (previous.data === undefined ? previous : { ...previous, data: change(previous.data) }));
  return { ...state, reload: () => setCount((n) => n + 1), update };
}

/** `handler` gets each change of these kinds the live stream brings while the screen shows. */
export function useLive(kinds: Kind[], handler: (kind: Kind, body: { id?: string; status?: string }) => void) {
  useEffect(() => onChange((kind, body) => kinds.includes(kind) && handler(kind, body)), []);
}

/** A list with `item` in it: in its place when its id is there, else first. */
export function upsert<T extends { id: string }>(list: T[], item: T): T[] {
  return list.some((entry) => entry.id === item.id) ? list.map((entry) => (entry.id === item.id ? item : entry)) : [item, ...list];
}

/** Within every per-route limit of the API (30 a minute). */
const POLL_MS = 3_000;
