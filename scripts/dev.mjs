// `npm run dev`: the API on 127.0.0.1:8787. Against the pool named in .dev.vars when there is one,
// otherwise against cognito-local on 127.0.0.1:9229 (data in .cognito/), set up on first run.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { emulatorVars, ensurePoolAndClient, startCognitoLocal } from "./cognito-local.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const API_PORT = process.env.PORT ?? "8787";
const EMULATOR_PORT = Number(process.env.COGNITO_LOCAL_PORT ?? 9229);

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

async function startEmulator() {
  const endpoint = `http://127.0.0.1:${EMULATOR_PORT}/`;
  let emulator;
  if (await emulatorAlreadyRunning(endpoint)) {
    console.log(`[dev] using the cognito-local already running on ${endpoint}`);
  } else {
    emulator = await startCognitoLocal({ dir: root, port: EMULATOR_PORT });
    console.log(`[dev] cognito-local running on ${endpoint} (pid ${emulator.pid}, data in .cognito/)`);
  }
  const ids = await ensurePoolAndClient(endpoint, path.join(root, ".cognito", "ids.json"));
  console.log(`[dev] user pool ${ids.userPoolId}, app client ${ids.clientId}`);
  return { vars: emulatorVars(endpoint, ids), stop: () => emulator?.stop() };
}

const devVars = readDevVars(path.join(root, ".dev.vars"));
const realPool = Boolean(devVars.USER_POOL_ID);
const emulator = realPool ? undefined : await startEmulator();
if (realPool) console.log(`[dev] .dev.vars names user pool ${devVars.USER_POOL_ID}: no emulator started`);

const varArgs = Object.entries(emulator?.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
const wranglerBin = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const wrangler = spawn(process.execPath, [wranglerBin, "dev", "--ip", "127.0.0.1", "--port", API_PORT, ...varArgs], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null && wrangler.signalCode === null) wrangler.kill("SIGTERM");
  await emulator?.stop();
  process.exit(code);
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
wrangler.on("exit", (code) => stop(code ?? 0));
