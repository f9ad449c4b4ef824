// The check scripts' own `npm run dev` (quickstart-check.mjs, browser-check.mjs): a developer's own
// `npm run dev` may be running, and a check must never sign users up on it or pass because of it.
// So each check starts one on ports that were free just before (PORT, COGNITO_LOCAL_PORT and
// BROKER_STANDIN_PORT when set, otherwise free ones), with a data folder of its own (DEV_DATA_DIR),
// uses it only once that very process says it serves the port with an emulator it started itself,
// and stops it by its process group, whatever happens.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort, portTaken } from "./cognito-local.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Generous for a 2-core machine shared with other work; the wait ends as soon as the server answers. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
/** The settings `npm run dev` reads its ports from. */
const PORT_VARIABLES = ["PORT", "COGNITO_LOCAL_PORT", "BROKER_STANDIN_PORT"];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each port variable as set, or a free port; all different. Throws with a sentence to show. */
async function choosePorts() {
  const ports = {};
  for (const name of PORT_VARIABLES.filter((name) => process.env[name] !== undefined)) {
    const set = process.env[name];
    if (!/^\d{1,5}$/.test(set)) throw new Error(`${name} must be a port number, not "${set}"`);
    const clash = Object.keys(ports).find((other) => ports[other] === Number(set));
    if (clash) throw new Error(`${clash} and ${name} are both ${set}: give each its own port`);
    ports[name] = Number(set);
  }
  for (const name of PORT_VARIABLES.filter((name) => !(name in ports))) {
    let port;
    do port = await freePort();
    while (Object.values(ports).includes(port));
    ports[name] = port;
  }
  return ports;
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `npm run dev` (with `env` added to its environment, e.g. CORS_ORIGINS) and resolves once it
 * answers `GET /`, with `{ base, ports, lines, stop, dataDir }` (its DEV_DATA_DIR):
 * `lines` grows with its output, `stop()` (Ctrl-C, then SIGKILL after 10 s) resolves to whether it
 * stopped on Ctrl-C (or on the signal to npm's PID) with every process it started. Rejects, having stopped what it started, with a message meant for the person
 * running the check: a port taken, `npm run dev` exiting, or not its own emulator.
 */
export async function startOwnDevServer({ env: extraEnv = {} } = {}) {
  const ports = await choosePorts();
  for (const name of PORT_VARIABLES) {
    if (await portTaken(ports[name])) {
      const choice = process.env[name] === undefined ? "run the check again" : `unset ${name} and the check picks a free port`;
      throw new Error(`port ${ports[name]} is taken by a server this check did not start (${name}): stop it, or ${choice}`);
    }
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "edge-auth-check-"));
  const env = { ...process.env, ...extraEnv, DEV_DATA_DIR: dataDir, ...Object.fromEntries(PORT_VARIABLES.map((name) => [name, String(ports[name])])) };
  // Its own process group, so that stopping it reaches wrangler, workerd and the emulator too.
  const child = spawn("npm", ["run", "dev"], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => lines.push(line));
  const exited = new Promise((resolve) => child.once("exit", resolve));

  // Last resort if this process ends without stop() (an uncaught error): nothing of it stays behind.
  const killOnExit = () => {
    if (groupAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once("exit", killOnExit);
  // Interrupted (Ctrl-C, a CI timeout): stop it as the developer would, then end.
  const onSignal = () => stop().then(() => process.exit(130));
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, onSignal);

  let stopping;
  /**
   * Ctrl-C (SIGINT to the whole process group, as a terminal sends it), or with `{ npmSignal }` that
   * signal to npm's own PID only, as `kill <pid>` does: either must stop every process it started.
   */
  function stop({ npmSignal } = {}) {
    stopping ??= (async () => {
      if (groupAlive(child.pid)) {
        if (npmSignal) process.kill(child.pid, npmSignal);
        else process.kill(-child.pid, "SIGINT");
      }
      for (let waited = 0; waited < STOP_TIMEOUT_MS && groupAlive(child.pid); waited += 100) await sleep(100);
      const stopped = !groupAlive(child.pid);
      if (!stopped) process.kill(-child.pid, "SIGKILL");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
      process.off("exit", killOnExit);
      for (const signal of ["SIGINT", "SIGTERM"]) process.off(signal, onSignal);
      return stopped;
    })();
    return stopping;
  }

  const base = `http://127.0.0.1:${ports.PORT}`;
  const output = () => `its output:\n${lines.join("\n")}`;
  const ownEmulator = `[dev] cognito-local running on http://127.0.0.1:${ports.COGNITO_LOCAL_PORT}/ `;
  const ownApi = `Ready on ${base}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let problem = `npm run dev did not answer on ${base}/ within ${START_TIMEOUT_MS / 1000} s; ${output()}`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      problem = `npm run dev exited (${child.exitCode ?? child.signalCode}) before it answered; ${output()}`;
      break;
    }
    const notOwnEmulator = lines.find((line) => /^\[dev\] (using the cognito-local already running|\.dev\.vars names user pool)/.test(line));
    if (notOwnEmulator) {
      problem = notOwnEmulator.includes(".dev.vars")
        ? `npm run dev started no emulator: "${notOwnEmulator}". This check runs against an emulator of its own: move .dev.vars aside (mv .dev.vars .dev.vars.off) and run it again`
        : `port ${ports.COGNITO_LOCAL_PORT} is taken by a server this check did not start (COGNITO_LOCAL_PORT): "${notOwnEmulator}"`;
      break;
    }
    // Only once this very process says it has bound the port: nothing else can be answering there.
    if (lines.some((line) => line.startsWith(ownEmulator)) && lines.some((line) => line.trimEnd().endsWith(ownApi))) {
      try {
        if ((await fetch(`${base}/`, { signal: AbortSignal.timeout(1_000) })).ok) return { base, ports, lines, stop, dataDir };
      } catch {
        // bound, not answering yet
      }
    }
    await sleep(250);
  }
  await stop();
  throw new Error(problem);
}
