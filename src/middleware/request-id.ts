import { requestId } from "hono/request-id";
import { readsHeaders } from "./client-headers";

/** Hono keeps a client's X-Request-Id only when it is 1 to 128 of [A-Za-z0-9_=-]; cf-ray must pass the same rule. */
const MAX_LENGTH = 128;
const REQUEST_ID = /^[\w=-]{1,128}$/;

/**
 * An id for every request, in `c.get("requestId")`, the X-Request-Id header, problem bodies and the log:
 * a well-formed client id (for correlation across services), else Cloudflare's ray id, else a UUID.
 * Ids are validated here, once, so the log writes them as they are.
 */
export const requestIds = requestId({
  limitLength: MAX_LENGTH,
  generator: (c) => {
    const ray = c.req.header("cf-ray");
    return ray && REQUEST_ID.test(ray) ? ray : crypto.randomUUID();
  },
});
readsHeaders(requestIds, "x-request-id");
