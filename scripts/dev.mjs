// `npm run dev`: the API on 127.0.0.1:8787 (`--port N` or PORT=N for another). Against the pool named
// in .dev.vars when there is one, otherwise against cognito-local on 127.0.0.1:9229 (COGNITO_LOCAL_PORT;
// data in .cognito/), set up on first run. DEV_DATA_DIR=<folder> keeps the emulator's data and
// wrangler's local state (rate-limit counts, the D1 database) there instead of in the repository, as
// the check scripts do. Against the Broker API whose key .dev.vars names, otherwise against the local
// stand-in (BROKER_STANDIN_PORT; data in .local/broker-standin/). The D1 migrations are applied to the
// local database first. Security notices through Amazon SES when .dev.vars sets SES_FROM_ADDRESS,
// otherwise to the local SES stand-in (a free port), which prints them.
// CORS_ORIGINS=<origins> in its environment is the Worker's CORS_ORIGINS (a page served on another
// port, as the browser check's is). One line per request: readable on a terminal, the Worker's JSON
// line otherwise; and one line per code the emulator would have emailed and per notice the SES
// stand-in took; and one line per Broker event the consumers applied (the stand-in's streams, or the Broker's).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LOCAL_KEY_ID, LOCAL_PLAID_CLIENT_ID, LOCAL_PLAID_SECRET, LOCAL_SECRET, standinVars, startBrokerStandin } from "./broker-standin.mjs";
import { emulatorVars, ensurePoolAndClient, freePort, portTaken, startCognitoLocal } from "./cognito-local.mjs";
import { startDevInbox } from "./dev-inbox.mjs";
import { sesStandinVars, startSesStandin } from "./ses-standin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function refuse(message) {
  console.error(`[dev] ${message}`);
  process.exit(1);
}

/** `npm run dev -- --port 8788`, as wrangler advises when its port is taken, is the same as PORT=8788. */
function portOption() {
  try {
    return parseArgs({ options: { port: { type: "string" } } }).values.port;
  } catch (error) {
    return refuse(`${error.message}. npm run dev takes --port N (the API's port, like PORT=N); COGNITO_LOCAL_PORT=N sets the emulator's.`);
  }
}

function port(name, value) {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) refuse(`${name} must be a port number (1 to 65535), not "${value}"`);
  return Number(value);
}

const portArgument = portOption();
const API_PORT = portArgument === undefined ? port("PORT", process.env.PORT ?? "8787") : port("--port", portArgument);
const EMULATOR_PORT = port("COGNITO_LOCAL_PORT", process.env.COGNITO_LOCAL_PORT ?? "9229");
const dataDir = path.resolve(process.env.DEV_DATA_DIR ?? root);
const emulatorDataDir = path.join(dataDir, ".cognito");
// 0: a free port, printed on start.
const STANDIN_PORT = process.env.BROKER_STANDIN_PORT ? port("BROKER_STANDIN_PORT", process.env.BROKER_STANDIN_PORT) : 0;
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const wranglerBin = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
// Offline: no usage metrics, no Request.cf download.
const wranglerEnv = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env };
// Local state (rate-limit counts, D1) in DEV_DATA_DIR when set, else wrangler's own .wrangler/state.
const persistArgs = process.env.DEV_DATA_DIR ? ["--persist-to", path.join(dataDir, ".wrangler", "state")] : [];

/** KEY=value lines, as wrangler reads them; quotes around a value are removed. */
function readDevVars(file) {
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return vars;
}

async function emulatorAlreadyRunning(endpoint) {
  try {
    return (await fetch(new URL("health", endpoint), { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

/** Codes the emulator would have emailed, for `npm run -s code` and the app's development banner. */
let inbox;

async function startEmulator() {
  const endpoint = `http://127.0.0.1:${EMULATOR_PORT}/`;
  let emulator;
  if (await emulatorAlreadyRunning(endpoint)) {
    console.log(`[dev] using the cognito-local already running on ${endpoint} (its codes print on its own console)`);
  } else if (await portTaken(EMULATOR_PORT)) {
    refuse(
      `port ${EMULATOR_PORT}, for cognito-local, is taken by another program: stop it, or pick a free port with ` +
        `COGNITO_LOCAL_PORT=<port> npm run dev (README, "Troubleshooting").`,
    );
  } else {
    inbox = await startDevInbox({ dataDir, allowOrigin: `http://127.0.0.1:${API_PORT}` });
    emulator = await startCognitoLocal({
      dir: dataDir,
      port: EMULATOR_PORT,
      onCodeDelivery: (delivery) => {
        // With AUTO_CONFIRM on, the API confirms each sign-up itself: that code is never asked for.
        if (autoConfirm && delivery.kind === "sign-up confirmation code") return;
        inbox.record(delivery);
        // The whole address: this console is the developer's own, the stand-in for their inbox.
        console.log(`[cognito-local] ${delivery.kind} ${delivery.code} for ${delivery.destination}`);
      },
    });
    console.log(`[dev] cognito-local running on ${endpoint} (pid ${emulator.pid}, data in ${process.env.DEV_DATA_DIR ? emulatorDataDir : ".cognito"}/)`);
  }
  const ids = await ensurePoolAndClient(endpoint, path.join(emulatorDataDir, "ids.json"));
  console.log(`[dev] user pool ${ids.userPoolId}, app client ${ids.clientId}`);
  return { vars: emulatorVars(endpoint, ids), stop: () => emulator?.stop() };
}

/** `wrangler d1 migrations apply DB --local`: the same local database `wrangler dev` serves. */
async function applyMigrations() {
  // stdin closed: wrangler takes its non-interactive default (yes) for "apply these migrations?".
  const child = spawn(process.execPath, [wranglerBin, "d1", "migrations", "apply", "DB", "--local", ...persistArgs], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: wranglerEnv,
  });
  let output = "";
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.on("exit", (exitCode) => resolve(exitCode ?? 1)));
  if (code !== 0) refuse(`applying the D1 migrations failed:\n${output.replace(ANSI, "")}`);
  console.log("[dev] D1 migrations (migrations/) applied to the local database");
}

async function startStandin() {
  const standin = await startBrokerStandin({ port: STANDIN_PORT, dir: path.join(dataDir, ".local", "broker-standin"), keyId: LOCAL_KEY_ID, secret: LOCAL_SECRET });
  // Plaid's three calls on the stand-in's /plaid/ too, unless .dev.vars names Plaid keys of its own.
  const plaid = devVars.PLAID_CLIENT_ID ? {} : { PLAID_CLIENT_ID: LOCAL_PLAID_CLIENT_ID, PLAID_SECRET: LOCAL_PLAID_SECRET, PLAID_API_URL: `${standin.url}/plaid` };
  return { vars: { ...standinVars(standin.url), ...plaid }, stop: () => standin.stop() };
}

const devVars = readDevVars(path.join(root, ".dev.vars"));
// .dev.vars wins over wrangler.toml's [vars] (its first AUTO_CONFIRM, the top-level one), as in wrangler dev.
const autoConfirm = (devVars.AUTO_CONFIRM ?? /^AUTO_CONFIRM = "(\w+)"/m.exec(readFileSync(path.join(root, "wrangler.toml"), "utf8"))?.[1]) === "true";
const realPool = Boolean(devVars.USER_POOL_ID);
const emulator = realPool ? undefined : await startEmulator();
if (realPool) console.log(`[dev] .dev.vars names user pool ${devVars.USER_POOL_ID}: no emulator started`);
if (/^replace-with-/.test(devVars.USER_POOL_ID ?? "")) {
  console.log("[dev] .dev.vars still has the placeholders of .dev.vars.example: fill them in, or delete .dev.vars to use the emulator");
}
const realBroker = Boolean(devVars.APCA_BROKER_API_KEY);
const standin = realBroker ? undefined : await startStandin();
if (realBroker) console.log(`[dev] .dev.vars names a Broker API key: no stand-in started (${devVars.BROKER_API_URL || "the sandbox"})`);
const sesStandin = devVars.SES_FROM_ADDRESS ? undefined : await startSesStandin();
if (!sesStandin) console.log(`[dev] .dev.vars sets SES_FROM_ADDRESS: security notices go through Amazon SES, from ${devVars.SES_FROM_ADDRESS}`);
await applyMigrations();

// e.g. "[wrangler:info] POST /platform/login 200 OK (35ms)"
const WRANGLER_REQUEST_LINE = /^\[wrangler:info\] [A-Z]+ \S+ \d{3} /;

/** A JSON log line of the Worker's (src/log.ts), or undefined. */
function logEntry(line) {
  if (!line.startsWith("{")) return undefined;
  try {
    const entry = JSON.parse(line);
    return typeof entry.level === "string" && typeof entry.message === "string" ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** e.g. "12:01:02 POST /platform/login 200 35ms a***@example.com <- InitiateAuth 200 20ms [req 6ef755e6]"; an event the consumers applied: "12:01:02 event trades fill: applied, 1 change [01JD…]" */
function readable({ level, message, method, route, status, duration_ms, user, upstream, request_id, ...rest }) {
  if (message === "broker event") {
    const { stream, event, outcome, changes, id } = rest;
    return `${new Date().toTimeString().slice(0, 8)} event ${stream} ${event ?? "?"}: ${outcome}, ${changes} change${changes === 1 ? "" : "s"} [${id}]`;
  }
  const calls = (upstream ?? []).map((call) => [call.action, call.status, call.errorType, `${call.ms}ms`].filter(Boolean).join(" "));
  return [
    new Date().toTimeString().slice(0, 8),
    level === "info" ? undefined : level.toUpperCase(),
    message === "request" ? `${method} ${route} ${status} ${duration_ms}ms` : message,
    user,
    calls.length ? `<- ${calls.join(", ")}` : undefined,
    ...Object.entries(rest).map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`),
    request_id ? `[req ${String(request_id).slice(0, 8)}]` : undefined,
  ]
    .filter(Boolean)
    .join(" ");
}

const unsupportedSeen = new Set();
/**
 * cognito-local answers an action it lacks (GlobalSignOut, AdminUserGlobalSignOut) with
 * `CognitoLocal#Unsupported`, which the API reports as any upstream failure, a bare 502: say once
 * per action that this is the emulator, not the API.
 */
function noteUnsupported(entry) {
  for (const { action, errorType } of entry?.upstream ?? []) {
    if (errorType !== "Unsupported" || unsupportedSeen.has(action)) continue;
    unsupportedSeen.add(action);
    console.log(`[dev] cognito-local lacks ${action}, so that request failed here; real Cognito has it (README, "The emulator is not Cognito")`);
  }
}

/**
 * Wrangler's output, less its own line per request (the Worker logs a fuller one). The Worker's log
 * lines, one each: readable on a terminal, its JSON otherwise; an error's too, which wrangler prints
 * as "✘ [ERROR] " and the JSON, then blank lines.
 */
function relay(from, to) {
  let afterEntry = false;
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    const plain = line.replace(ANSI, "");
    if (WRANGLER_REQUEST_LINE.test(plain) || (afterEntry && !plain.trim())) return;
    const json = plain.replace(/^✘ \[ERROR\] /, "");
    const entry = logEntry(json);
    afterEntry = entry !== undefined;
    to.write((entry ? (to.isTTY ? readable(entry) : json) : to.isTTY ? line : plain) + "\n");
    if (emulator) noteUnsupported(entry);
  });
}

const corsVars = process.env.CORS_ORIGINS === undefined ? {} : { CORS_ORIGINS: process.env.CORS_ORIGINS };
// No Cron Trigger fires under wrangler dev: the first request of each isolate starts the Broker event consumers (src/events/ensure.ts).
const consumerVars = { EVENT_CONSUMERS_ON_REQUEST: "true" };
const varArgs = Object.entries({ ...emulator?.vars, ...standin?.vars, ...(sesStandin && sesStandinVars(sesStandin.url)), ...corsVars, ...consumerVars }).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
// Not interactive: its output goes through relay(), and Ctrl-C reaches it as a signal.
// Its devtools inspector would take 9229 by default, cognito-local's port: a second `npm run dev`
// (other ports) would then keep the first one's emulator from starting. A free port instead.
const inspectorPort = String(process.env.INSPECTOR_PORT ?? (await freePort()));
const wranglerArgs = ["dev", "--ip", "127.0.0.1", "--port", String(API_PORT), "--inspector-port", inspectorPort, "--show-interactive-dev-session=false", ...persistArgs, ...varArgs];
const wrangler = spawn(process.execPath, [wranglerBin, ...wranglerArgs], {
  cwd: root,
  stdio: ["inherit", "pipe", "pipe"],
  // DEV_INBOX_URL reaches its [build] command: the app is built with its development banner.
  env: { ...wranglerEnv, ...(inbox ? { DEV_INBOX_URL: inbox.url } : {}) },
});
relay(wrangler.stdout, process.stdout);
relay(wrangler.stderr, process.stderr);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null && wrangler.signalCode === null) wrangler.kill("SIGTERM");
  await Promise.all([emulator?.stop(), standin?.stop(), sesStandin?.stop(), inbox?.stop()]);
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(0));
// `kill <npm's PID>` (SIGTERM, SIGHUP): npm ends, with or without the shell it ran this in, and no
// signal reaches this process, which would be left running with the emulator and workerd on their
// ports. So it watches its parent and, under `npm run`, npm (the shell's parent), and stops when either goes.
const watched = [process.ppid];
if (process.env.npm_lifecycle_event) {
  try {
    watched.push(Number(execFileSync("ps", ["-o", "ppid=", "-p", String(process.ppid)], { encoding: "utf8" }).trim()));
  } catch {
    // No ps (Windows): the parent alone.
  }
}
const gone = (pid) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
};
setInterval(() => (process.ppid !== watched[0] || watched.some(gone)) && stop(0), 500).unref();
wrangler.on("exit", (code) => stop(code ?? 0));
