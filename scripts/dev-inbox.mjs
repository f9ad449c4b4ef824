// The development inbox: every code the Cognito emulator would have emailed, kept where a developer
// reaches it without reading the first terminal. A development tool only: `npm run dev` starts it with
// the emulator; nothing of it is in the Worker or in a deployed app.
// - `.local/dev-inbox.jsonl` in the data folder (DEV_DATA_DIR or the repository): one JSON line per
//   code, read by `npm run -s code -- ann@example.com` (scripts/code.mjs);
// - an HTTP server on 127.0.0.1 (a free port) answering GET /codes/<address> with the last code sent
//   there, for the web app's development banner (its page is built with this URL only under
//   `npm run dev`: scripts/build-assets.mjs, DEV_INBOX_URL).
import { appendFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

const HOST = "127.0.0.1";

/** Where the inbox's file is, for a data folder. */
export const inboxFile = (dataDir) => path.join(dataDir, ".local", "dev-inbox.jsonl");

/** `allowOrigin`: the API's origin, whose pages (the app) may read the codes. */
export async function startDevInbox({ dataDir, allowOrigin }) {
  const file = inboxFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const last = new Map();
  const server = createServer((req, res) => {
    const address = decodeURIComponent(/^\/codes\/([^/?]+)$/.exec(req.url ?? "")?.[1] ?? "").toLowerCase();
    const headers = { "content-type": "application/json", "cache-control": "no-store", "access-control-allow-origin": allowOrigin, vary: "Origin" };
    if (req.method !== "GET" || !address) return res.writeHead(404, headers).end('{"error":"GET /codes/<address>"}');
    // 200 with null until a code was sent: the app asks before one is, and that is no error.
    res.writeHead(200, headers).end(JSON.stringify(last.get(address) ?? { code: null }));
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${server.address().port}`,
    /** A code the emulator would have emailed: { kind, code, destination }. */
    record({ kind, code, destination }) {
      const entry = { at: new Date().toISOString(), to: destination.toLowerCase(), kind, code };
      last.set(entry.to, entry);
      appendFileSync(file, JSON.stringify(entry) + "\n");
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
