// The user's live stream of changes (issue 23 item 6): opening one at the user's own Durable Object,
// and the one-use tickets that let EventSource, which cannot send an Authorization header, open it.
import type { Actor } from "../actor";
import type { Deps } from "../deps";
import { Failure } from "../failures";

/** How long a ticket is good for, once. */
export const TICKET_SECONDS = 60;

/** Who a stream is for, and when it ends: when the access token that opened it (or asked for its ticket) expires. */
export interface StreamHolder {
  sub: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Only the ticket's hash is kept: a read of D1 opens no stream. */
async function ticketHash(ticket: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ticket)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * A ticket for `?ticket=`: 256 random bits, base64url (43 characters), good for TICKET_SECONDS and
 * one stream, which ends when `tokenExpiresAt` (the asking token's expiry, ms) comes.
 */
export async function streamTicket(deps: Pick<Deps, "stores" | "now">, actor: Actor, tokenExpiresAt: number): Promise<{ ticket: string; expires_in: number }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const ticket = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const now = deps.now();
  await deps.stores.streamTickets.issue(await ticketHash(ticket), { sub: actor.sub, expiresAt: now + TICKET_SECONDS * 1000, tokenExpiresAt }, now);
  return { ticket, expires_in: TICKET_SECONDS };
}

/** The holder of a ticket, which is used up by this call; unknown, used and expired are one answer: 401 invalid_ticket. */
export async function ticketHolder(deps: Pick<Deps, "stores" | "now">, ticket: string): Promise<StreamHolder> {
  const taken = await deps.stores.streamTickets.take(await ticketHash(ticket));
  if (!taken || taken.expiresAt <= deps.now()) throw new Failure("invalid_ticket");
  return { sub: taken.sub, expiresAt: taken.tokenExpiresAt };
}

/**
 * The holder's new stream, from after `after` (a Last-Event-ID, replayed from D1) or from now;
 * 429 too_many_streams when the user has as many open as allowed.
 */
export async function openLiveStream(deps: Pick<Deps, "liveStreams">, holder: StreamHolder, after: number | undefined): Promise<ReadableStream<Uint8Array>> {
  const stream = await deps.liveStreams.open({ ...holder, ...(after === undefined ? {} : { after }) });
  if (!stream) throw new Failure("too_many_streams");
  return stream;
}
