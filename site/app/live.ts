// The user's live stream (GET /platform/accounts/me/events): orders, transfers, bank links and the
// account change on the page as the Broker moves them, without asking again. EventSource cannot send
// the bearer token, so each connection takes a one-use ticket (POST …/events/ticket); after a break
// (the token expired, the network went) a new ticket opens a new stream from the last change seen,
// which the API replays from D1. While no stream is open, the screens ask again every few seconds.
import { api, onSessionChange, send, signedIn } from "./api";

export type Kind = "order" | "transfer" | "bank_link" | "account";
type Listener = (kind: Kind, body: { id?: string; status?: string }) => void;

const KINDS: Kind[] = ["order", "transfer", "bank_link", "account"];
const listeners = new Set<Listener>();
const connectionListeners = new Set<() => void>();
let source: EventSource | undefined;
let lastEventId: string | undefined;
let retry: ReturnType<typeof setTimeout> | undefined;
let failures = 0;
let open = false;

/** Whether a stream is open now: the screens then stop asking again. */
export function live(): boolean {
  return open;
}

/** `listener` gets each change; the returned function stops it. */
export function onChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called when the stream opens or closes. */
export function onConnection(listener: () => void): () => void {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

function setOpen(value: boolean) {
  if (open === value) return;
  open = value;
  for (const listener of connectionListeners) listener();
}

/** Opens the stream for the signed-in user (again, after a break); nothing when one is open. */
export async function follow(): Promise<void> {
  if (source || !signedIn()) return;
  clearTimeout(retry);
  let ticket: string;
  try {
    ticket = (await send(api.platform.accounts.me.events.ticket.$post())).ticket;
  } catch {
    return again();
  }
  if (source || !signedIn()) return;
  const url = api.platform.accounts.me.events.$url({ query: { ticket, ...(lastEventId ? { last_event_id: lastEventId } : {}) } });
  const stream = new EventSource(url.pathname + url.search);
  source = stream;
  stream.onopen = () => {
    failures = 0;
    setOpen(true);
  };
  for (const kind of KINDS) {
    stream.addEventListener(kind, (event) => {
      const message = event as MessageEvent<string>;
      lastEventId = message.lastEventId || lastEventId;
      const body = JSON.parse(message.data) as { id?: string; status?: string };
      for (const listener of listeners) listener(kind, body);
    });
  }
  // Its own reconnect would send the used ticket again: a new ticket instead, from the last id seen.
  stream.onerror = () => {
    stop();
    again();
  };
}

/** Another try after a break, later each time (1 s, 2 s, 4 s… at most 30 s). */
function again() {
  if (!signedIn()) return;
  const delay = Math.min(30_000, 1_000 * 2 ** failures++);
  retry = setTimeout(() => void follow(), delay);
}

function stop() {
  source?.close();
  source = undefined;
  setOpen(false);
}

// Signing out closes the stream and forgets where it was; the screens are going, nothing to tell them.
onSessionChange(() => {
  if (signedIn()) return;
  clearTimeout(retry);
  source?.close();
  source = undefined;
  open = false;
  lastEventId = undefined;
  failures = 0;
});
