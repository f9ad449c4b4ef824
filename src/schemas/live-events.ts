// The live stream's query, header and ticket answer: one definition of each (routes/live-events.ts
// validates with them; the docs and the test harness check answers against them).
import * as z from "zod/mini";

/** A change's seq, the `id:` of its message: what Last-Event-ID (or last_event_id) sends back. */
const seq = (field: string) =>
  z.optional(z.pipe(z.string().check(z.regex(/^\d{1,15}$/, { error: `${field} must be the id of an event of this stream` })), z.transform(Number)));

/** GET /accounts/me/events?ticket=&last_event_id= */
export const EventsQuery = z.strictObject({
  ticket: z.optional(z.string().check(z.regex(/^[\w-]{43}$/, { error: "ticket must be a ticket from POST /platform/accounts/me/events/ticket" }))),
  // For a new EventSource after a ticket's stream ended: it sends Last-Event-ID only on its own reconnects.
  last_event_id: seq("last_event_id"),
});

/** The header an EventSource sends when it reconnects by itself; it wins over last_event_id. */
export const EventsHeaders = z.object({ "last-event-id": seq("Last-Event-ID") });

export const TicketResponse = z.strictObject({
  ticket: z.string(),
  /** Seconds the ticket is good for, once. */
  expires_in: z.number(),
});
export type TicketResponse = z.output<typeof TicketResponse>;
