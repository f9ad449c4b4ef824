// Documents: the broker's statements and confirmations, listed and downloaded. A download goes
// through the API with the bearer token (a link cannot carry it), then is handed to the browser as a
// file; the PDF is never kept by the page after that.
import { useState } from "hono/jsx/dom";
import { ApiError, api, send } from "../api";
import { Notice, useLoad, when } from "../ui";

export function Documents() {
  const documents = useLoad(() => send(api.platform.accounts.me.documents.$get({ query: {} })));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  const download = async (id: string, name: string) => {
    setError(undefined);
    setBusy(id);
    try {
      const res = await api.platform.accounts.me.documents[":id"].$get({ param: { id } });
      if (!res.ok) await send(Promise.resolve(res));
      const url = URL.createObjectURL(await res.blob());
      const link = Object.assign(document.createElement("a"), { href: url, download: `${name}.pdf` });
      link.click();
      // After the browser has taken the file.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "The download failed. Try again.");
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section aria-labelledby="documents-title">
      <h1 id="documents-title">Documents</h1>
      {(documents.error || error) && <Notice kind="error">{documents.error ?? error}</Notice>}
      {documents.data && documents.data.documents.length === 0 && <p>No documents yet. A statement comes after each month the account was open.</p>}
      <ul class="rows" aria-label="Documents">
        {(documents.data?.documents ?? []).map((entry) => {
          const name = entry.name ?? `${entry.type.replaceAll("_", " ")} ${entry.date}`;
          return (
            <li data-testid="document">
              <span>
                {name} · {when(entry.date)}
              </span>
              <button type="button" class="link" disabled={busy === entry.id} aria-label={`Download ${name} (PDF)`} onClick={() => download(entry.id, name)}>
                {busy === entry.id ? "Downloading…" : "Download PDF"}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
