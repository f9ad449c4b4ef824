import type { RouterRoute } from "hono/types";

/**
 * The request headers a client sets that each middleware reads, declared beside the middleware, so
 * that CORS allows exactly the headers the app's routes read (cors.ts). Headers that Cloudflare or the
 * browser sets (CF-*, Origin, Content-Length) are no client's to send and are not declared.
 * test/node/cors.test.ts finds every header read in src/ and fails for one that is not declared.
 */
const declared = new WeakMap<object, readonly string[]>();

/** Declares that `handler` reads the client headers `names` (lower case), besides any declared before. */
export function readsHeaders(handler: object, ...names: string[]): void {
  declared.set(handler, [...(declared.get(handler) ?? []), ...names]);
}

/** The client headers the routes' handlers read, each once. */
export function headersReadBy(routes: readonly RouterRoute[]): string[] {
  return [...new Set(routes.flatMap((route) => declared.get(route.handler) ?? []))];
}
