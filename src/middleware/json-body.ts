import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { Failure } from "../failures";
import { readsHeaders } from "./client-headers";

const MAX_BODY_BYTES = 16 * 1024;

/** 413 past 16 KiB, counted on the stream, whatever Content-Length claims. */
export const limitBodySize = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new Failure("payload_too_large");
  },
});

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A body must be JSON (415 otherwise) and well-formed (400 otherwise); parsing here once lets the
 * validators reuse Hono's cached result.
 */
export const parseJsonBody = createMiddleware(async (c, next) => {
  if (c.req.raw.body === null || c.req.header("content-length") === "0") return next();
  const mediaType = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
  if (!JSON_MEDIA_TYPE.test(mediaType)) throw new Failure("unsupported_media_type", { headers: { "accept-post": "application/json" } });
  try {
    await c.req.json();
  } catch (error) {
    // Anything but a parse error (the body limit cutting the stream) belongs to its own handler.
    if (!(error instanceof SyntaxError)) throw error;
    throw new Failure("malformed_json");
  }
  return next();
});
readsHeaders(parseJsonBody, "content-type");
