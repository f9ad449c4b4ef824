// The request headers CORS allows are the ones the middleware declares it reads (readsHeaders in
// src/middleware/client-headers.ts). Checked on the source: a header read anywhere in src/ that no
// middleware declares would be refused in every browser's preflight.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

/** Set by Cloudflare (CF-*) or by the browser itself (Origin, Content-Length): never a script's to send. */
const NOT_A_CLIENTS = /^(cf-.*|origin|content-length)$/;

describe("the client headers the routes read", () => {
  it("are each declared by the middleware that reads them, so CORS allows them", () => {
    const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && !file.startsWith("docs/"));
    const text = files.map((file) => readFileSync(path.join(SRC, file), "utf8")).join("\n");
    const read = new Set([...text.matchAll(/\breq\.header\("([^"]+)"\)/g)].map((match) => match[1]!.toLowerCase()));
    const declared = new Set([...text.matchAll(/\breadsHeaders\(\w+((?:,\s*"[^"]+")+)\)/g)].flatMap((match) => [...match[1]!.matchAll(/"([^"]+)"/g)].map((name) => name[1]!)));
    expect(read.size).toBeGreaterThan(3);
    expect([...read].filter((name) => !NOT_A_CLIENTS.test(name) && !declared.has(name))).toEqual([]);
    // Hono's requestId reads X-Request-Id itself, out of sight of the scan.
    expect([...declared].sort()).toEqual(["authorization", "content-type", "idempotency-key", "last-event-id", "x-request-id"]);
  });
});
