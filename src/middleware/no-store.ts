import type { MiddlewareHandler } from "hono";

/** Token and identity responses must never sit in a browser or proxy cache (RFC 6749 section 5.1). */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("cache-control", "no-store");
  c.res.headers.set("pragma", "no-cache");
};
