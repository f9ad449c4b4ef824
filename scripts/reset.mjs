// `npm run reset`: start from nothing. Removes every local state `npm run dev` keeps, together, so no
// part remembers a user the others forgot: the Cognito emulator's users and pool (.cognito/), the
// Broker API stand-in's accounts (.local/broker-standin/), the development inbox's codes
// (.local/dev-inbox*), and wrangler's local state: the D1 database and the rate-limit counts
// (.wrangler/state/). The SES stand-in keeps nothing. DEV_DATA_DIR=<folder>: that folder's instead.
// Refuses while `npm run dev` runs: it would go on with the state it has in memory and on its ports.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.resolve(process.env.DEV_DATA_DIR ?? root);
const STATE = [".cognito", path.join(".local", "broker-standin"), path.join(".local", "dev-inbox.jsonl"), path.join(".local", "dev-inbox.read.json"), path.join(".wrangler", "state")];

async function answers(url) {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

const api = `http://127.0.0.1:${process.env.PORT ?? 8787}/`;
const emulator = `http://127.0.0.1:${process.env.COGNITO_LOCAL_PORT ?? 9229}/health`;
const running = (await answers(api)) ? api : (await answers(emulator)) ? emulator : undefined;
if (running) {
  console.error(`[reset] something answers on ${running}: stop npm run dev (Ctrl-C in its terminal) first, then run npm run reset again`);
  process.exit(1);
}

const removed = STATE.filter((entry) => existsSync(path.join(dataDir, entry)));
for (const entry of removed) rmSync(path.join(dataDir, entry), { recursive: true, force: true });
console.log(
  removed.length
    ? `[reset] removed ${removed.join(", ")}${process.env.DEV_DATA_DIR ? ` in ${dataDir}` : ""}: the next npm run dev starts from nothing`
    : "[reset] nothing to remove: the next npm run dev starts from nothing",
);
