// `npm run bench`'s event part: a burst of Broker trade events through the consumer (the Durable
// Object under `wrangler dev --env bench`) into its local D1. The stand-in sends the burst at once on
// the open trades stream; the Worker logs one line per event applied, which this counts. Reports
// events per second (wall clock, burst sent to last event applied) and the CPU time per event of the
// workerd process running the Worker (its D1 is SQLite inside that process, so D1's own work counts too).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { cpuClockAvailable, cpuNs } from "./cpu.mjs";

/** How many users' accounts the burst's orders belong to. */
const ACCOUNTS = 50;

/** Rows for `ACCOUNTS` users whose Broker accounts are ACTIVE, in the local D1 `wrangler dev --persist-to` serves: the events' owners. */
export async function seedAccounts({ wrangler, persistArgs, env = "bench" }) {
  const ids = Array.from({ length: ACCOUNTS }, () => crypto.randomUUID());
  const now = new Date().toISOString();
  const values = ids.map((id, i) => `('bench-events-${id}', '${id}', '${900100000 + i}', 'ACTIVE', '${now}', '${now}')`).join(", ");
  const sql = `INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, created_at, updated_at) VALUES ${values};`;
  await promisify(execFile)(process.execPath, [wrangler, "d1", "execute", "DB", "--local", "--env", env, ...persistArgs, "--command", sql], { env: process.env, maxBuffer: 10 * 2 ** 20 });
  return ids;
}

const APPLIED_LINE = /"message":"broker event","stream":"trades"/g;
const appliedIn = (logFile) => (readFileSync(logFile, "utf8").match(APPLIED_LINE) ?? []).length;

async function until(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`events bench: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The burst: the consumers started by a request (EVENT_CONSUMERS_ON_REQUEST), then `count` events at
 * once. `pids`: the workerd processes of the API's `wrangler dev`.
 */
export async function measureEventBurst({ base, standin, accounts, logFile, pids, count }) {
  await fetch(`${base}/`);
  await until(() => standin.streamsOpen() >= 3, "the three consumers did not connect to the stand-in", 30_000);
  const before = appliedIn(logFile);
  const cpuBefore = cpuNs(pids());
  const started = performance.now();
  const res = await fetch(`${standin.url}/_standin/events/burst`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ count, accounts }) });
  if (!res.ok) throw new Error(`events bench: the burst control answered ${res.status} ${await res.text()}`);
  await until(() => appliedIn(logFile) - before >= count, `${appliedIn(logFile) - before} of ${count} events were applied; the API's log ends:\n${readFileSync(logFile, "utf8").slice(-2000)}\n`, 120_000);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (cpuNs(pids()) - cpuBefore) / 1e6;
  return {
    events: count,
    seconds,
    eventsPerSecond: count / seconds,
    cpuMsPerEvent: cpuClockAvailable ? cpuMs / count : undefined,
    clock: cpuClockAvailable ? "CPU time of the API's workerd processes" : "no CPU clock here: wall time only",
  };
}

export const eventsRow = (result) =>
  `Events: ${result.events} trade events through the consumer into local D1 in ${result.seconds.toFixed(2)} s: ${result.eventsPerSecond.toFixed(0)} events/s` +
  (result.cpuMsPerEvent === undefined ? "" : `, ${(result.cpuMsPerEvent * 1000).toFixed(0)} us CPU per event`) +
  " (one D1 batch each: test/budgets.test.ts)";

export const eventsLogFile = (dir) => path.join(dir, "api.log");
