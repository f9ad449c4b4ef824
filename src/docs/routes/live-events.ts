import type * as z from "zod/mini";
import type { AppliedChange } from "../../events/types";
import type { liveEventRoutes } from "../../routes/live-events";
import { AccountStatusResponse } from "../../schemas/brokerage-responses";
import { BankLinkResponse, OrderResponse, TransferResponse } from "../../schemas/funding-responses";
import { TicketResponse } from "../../schemas/live-events";
import { ANY, BODY, PLATFORM, TOKEN, type RouterDocs } from "../route-docs";
import { ORDER, TRANSFER } from "./funding";

/** Each message's `event:` and the schema of its `data:`: the body of the GET that answers for that object. */
export const EVENT_BODIES = {
  order: { schema: OrderResponse, get: "GET /platform/accounts/me/orders/{id}" },
  transfer: { schema: TransferResponse, get: "GET /platform/accounts/me/transfers/{id}" },
  bank_link: { schema: BankLinkResponse, get: "GET /platform/accounts/me/bank-links (one of its bank_links)" },
  account: { schema: AccountStatusResponse, get: "GET /platform/accounts/me/status" },
} satisfies Record<AppliedChange["kind"], { schema: z.ZodMiniType; get: string }>;

const STREAM_EXAMPLE = [
  `id: 1042\nevent: order\ndata: ${JSON.stringify(ORDER)}\n`,
  ": heartbeat\n",
  `id: 1043\nevent: transfer\ndata: ${JSON.stringify({ ...TRANSFER, status: "COMPLETE" })}\n`,
].join("\n");

const kinds = Object.entries(EVENT_BODIES)
  .map(([kind, { get }]) => `\`${kind}\` (the body of ${get})`)
  .join(", ");

export const liveEventDocs: RouterDocs<typeof liveEventRoutes> = {
  "/accounts/me/events": {
    $get: {
      operationId: "streamAccountEvents",
      summary: `The signed-in user's own changes as they are applied, as Server-Sent Events: each message has an \`id:\` (resume after it with the Last-Event-ID header, or \`last_event_id\`), an \`event:\` naming the object, ${kinds}, and \`data:\` that body as JSON. A \`: heartbeat\` comment every 15 seconds. The stream ends when the access token that opened it expires; at most 5 open per user. Authenticate with a bearer token or, for EventSource, \`?ticket=\` from POST /platform/accounts/me/events/ticket`,
      auth: true,
      query: {
        ticket: { description: "A one-use ticket from POST /platform/accounts/me/events/ticket, good for 60 seconds, instead of the Authorization header (EventSource cannot send one)" },
        last_event_id: { description: "Resume after this event id (the Last-Event-ID header wins when both are sent): the changes since are replayed from the server's records first" },
      },
      responses: { 200: { description: `text/event-stream. Messages: ${kinds}`, events: { example: STREAM_EXAMPLE } } },
      problems: [...PLATFORM, ...TOKEN, "validation_failed", "invalid_ticket", "too_many_streams", ...ANY],
    },
  },
  "/accounts/me/events/ticket": {
    $post: {
      operationId: "createEventStreamTicket",
      summary: "A ticket that opens one live stream (GET /platform/accounts/me/events?ticket=) within 60 seconds, for EventSource, which cannot send an Authorization header. The stream it opens ends when this request's access token expires",
      auth: true,
      responses: { 200: { description: "The ticket", body: { schema: TicketResponse, example: { ticket: "pJ2sXh0m1q9Z4xFvYb7Kc3Lw8Nd5Tg6Re0Ua2So4Ip_", expires_in: 60 } } } },
      problems: [...PLATFORM, ...TOKEN, ...BODY, ...ANY],
    },
  },
};
