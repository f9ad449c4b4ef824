import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import { withBroker, type BrokerVariables } from "../middleware/broker";
import { readsHeaders } from "../middleware/client-headers";
import { limit } from "../middleware/rate-limit";
import { requireAuth, type AuthVariables } from "../middleware/require-auth";
import { validHeader, validQuery } from "../middleware/validate";
import { EventsHeaders, EventsQuery } from "../schemas/live-events";
import { openLiveStream, streamTicket, ticketHolder, type StreamHolder } from "../services/live-events";
import { requestActor } from "./actor";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

type Streaming = PlatformEnv & { Variables: BrokerVariables & { holder: StreamHolder } };

const DETAIL = "Too many requests for this account; retry later.";

/**
 * The stream's holder: with `?ticket=`, the ticket's (used up here, whatever follows); otherwise the
 * bearer token's. Either way the stream ends when that access token expires. A route guard: the
 * ticket is a flow's to take.
 */
const streamHolder = createMiddleware<Streaming & { Variables: AuthVariables }>(async (c, next) => {
  const ticket = c.req.query("ticket");
  if (ticket !== undefined) {
    c.set("holder", await ticketHolder(c.get("deps"), ticket));
    return next();
  }
  // requireAuth reads the header and sets the user on this same context.
  await requireAuth(c as never, async () => {
    c.set("holder", { sub: c.get("user").sub, expiresAt: c.get("auth").exp * 1000 });
    await next();
  });
});
readsHeaders(streamHolder, "authorization");

const lastEventId = validHeader(EventsHeaders);
readsHeaders(lastEventId, "last-event-id");

/**
 * The signed-in user's live stream of changes (Server-Sent Events), and the tickets that open it for
 * EventSource. No route takes an account or user id: the stream is the holder's own.
 */
export const liveEventRoutes = new Hono<PlatformEnv>()
  // Its rules by hand, not rules(): its holder is a ticket's or the bearer token's, and the query and
  // Last-Event-ID are checked before the holder, so that a malformed request does not use up its ticket.
  .get(
    "/accounts/me/events",
    withBroker,
    validQuery(EventsQuery),
    lastEventId,
    streamHolder,
    limit<Streaming>({ counter: "BROKERAGE_RATE_LIMITER", key: (c) => `events|${c.get("holder").sub}`, detail: DETAIL }),
    async (c) => {
      const after = c.req.valid("header")["last-event-id"] ?? c.req.valid("query").last_event_id;
      const stream = await openLiveStream(c.get("deps"), c.get("holder"), after);
      return c.body(stream, 200, { "content-type": "text/event-stream" });
    },
  )
  .post("/accounts/me/events/ticket", ...rules({ uses: "broker", limit: { brokerage: "ticket" } }), async (c) => {
    return c.json(await streamTicket(c.get("deps"), requestActor(c), c.get("auth").exp * 1000), 200);
  });
