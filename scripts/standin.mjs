// `npm run standin -- <control>`: the local Broker API stand-in's development controls, for what the
// real Broker does on its own time (scripts/broker-standin.mjs). Finds the stand-in `npm run dev`
// started through the `url` file in its data folder (.local/broker-standin/, or DEV_DATA_DIR's).
//   npm run standin -- fill <order-id> [price]   fills a resting limit or stop order
//   npm run standin -- settle <transfer-id>      settles a QUEUED transfer now (COMPLETE)
//   npm run standin -- return <transfer-id>      returns a COMPLETE transfer (RETURNED)
//   npm run standin -- age <account-id> <months> opens the account that many months earlier (statements)
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CONTROLS = {
  fill: (id, price) => [`/_standin/orders/${id}/fill`, price === undefined ? undefined : { price }],
  settle: (id) => [`/_standin/transfers/${id}/settle`, undefined],
  return: (id) => [`/_standin/transfers/${id}/return`, undefined],
  age: (id, months) => [`/_standin/accounts/${id}/age`, { months: Number(months) }],
};

const [name, id, ...rest] = process.argv.slice(2);
if (!CONTROLS[name] || !id) {
  console.error("usage: npm run standin -- fill <order-id> [price] | settle <transfer-id> | return <transfer-id> | age <account-id> <months>");
  process.exit(2);
}
const urlFile = path.join(path.resolve(process.env.DEV_DATA_DIR ?? root), ".local", "broker-standin", "url");
let base;
try {
  base = readFileSync(urlFile, "utf8").trim();
} catch {
  console.error(`[standin] no stand-in has run here (${urlFile} is missing): start \`npm run dev\` first`);
  process.exit(1);
}
const [route, body] = CONTROLS[name](id, ...rest);
let res;
try {
  res = await fetch(base + route, { method: "POST", ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}) });
} catch {
  console.error(`[standin] the stand-in at ${base} does not answer: is \`npm run dev\` running?`);
  process.exit(1);
}
const text = await res.text();
console.log(res.ok ? text : `[standin] ${res.status}: ${text}`);
process.exitCode = res.ok ? 0 : 1;
