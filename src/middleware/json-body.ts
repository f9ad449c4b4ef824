import type { Context } from "hono";
import { routePath } from "hono/route";
import { Failure, isFailure } from "../failures";
import { MAX_UPLOAD_BODY_BYTES } from "../limits";

const MAX_BODY_BYTES = 16 * 1024;

/** The routes whose body may pass 16 KiB, each with its own limit, by method and route: a KYC document's upload. */
const LARGER_BODIES: Record<string, number> = { "POST /platform/accounts/me/documents": MAX_UPLOAD_BODY_BYTES };

/** The body limit of the route the request matched. */
function bodyLimitOf(c: Context): number {
  return LARGER_BODIES[`${c.req.method} ${routePath(c, -1)}`] ?? MAX_BODY_BYTES;
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

const utf8 = new TextDecoder();

/**
 * A body without a Content-Length (chunked, or HTTP/2 without one), read until it ends or passes
 * `max` bytes (413): a client cannot make the Worker buffer more than that.
 */
async function readAtMost(stream: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => undefined);
      throw new Failure("payload_too_large");
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return utf8.decode(chunks[0]);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return utf8.decode(bytes);
}

/**
 * The body, read once: at most 16 KiB, or the route's own limit (LARGER_BODIES) (413; a
 * Content-Length over it is refused unread, a body without one is counted on the stream and
 * stopped at the limit, as hono/body-limit does), JSON
 * (415 otherwise) and well-formed (400 otherwise). Its text is kept where Hono's `c.req.json()`
 * reads it (the request's body cache), so the validators parse it without a second read, and the
 * request is never copied (hono/body-limit copies it into a new Request after counting).
 */
export async function readJsonBody(c: Context): Promise<void> {
  const stream = c.req.raw.body;
  const length = c.req.header("content-length");
  if (stream === null || length === "0") return;
  const max = bodyLimitOf(c);
  let text: string;
  try {
    if (length !== undefined && !c.req.raw.headers.has("transfer-encoding")) {
      if (Number.parseInt(length, 10) > max) throw new Failure("payload_too_large");
      text = await c.req.text();
    } else {
      text = await readAtMost(stream, max);
      // Where c.req.text() and c.req.json() look first (Hono types the cache as Body, but keeps promises in it).
      (c.req.bodyCache as Record<string, Promise<unknown>>).text = Promise.resolve(text);
    }
  } catch (error) {
    // A body the client broke off (or a stream that failed) is the client's malformed request, not our fault.
    throw isFailure(error) ? error : new Failure("malformed_json", { cause: error });
  }
  // An empty body without a Content-Length (chunked, HTTP/2) is no body, as one of Content-Length 0 is.
  if (text === "") return;
  const mediaType = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
  if (!JSON_MEDIA_TYPE.test(mediaType)) throw new Failure("unsupported_media_type", { headers: { "accept-post": "application/json" } });
  try {
    JSON.parse(text);
  } catch {
    throw new Failure("malformed_json");
  }
}
