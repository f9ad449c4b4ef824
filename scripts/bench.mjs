// npm run bench: every performance figure of this project, from one bounded run (about 3 minutes on
// 2 cores, stopped at 5). Prints the tables and writes bench/results.md (generated part),
// bench/results.json and bench/results.svg. Method and caveats: bench/README.md.
//
//   npm run bench                 the full run
//   npm run bench -- --quick      short rounds and cells, files not written (for trying changes)
//   npm run bench -- --routes="GET /,POST /platform/login"
//                                 only the app CPU of those routes inside workerd (beside the bare
//                                 app, 21 rounds; with --quick 3): no HTTP, verifiers or start-up;
//                                 files not written
//   npm run bench -- --verify     token verification only, in workerd, 41 rounds (about 1 minute), files not written
//   npm run bench -- --events     the event consumer only: a burst of trade events into local D1 (under a minute), files not written
//
// Ports: the API under `wrangler dev --env bench` on BENCH_PORT (8789) and cognito-local on
// BENCH_COGNITO_PORT (9231), so that `npm run dev` (8787, 9229) can keep running; others are free ports.
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

import { spawn, execFile } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { childrenNamed, cpuClockAvailable, cpuNs, namedInTree, processTree } from "../bench/cpu.mjs";
import { eventsLogFile, eventsRow, measureEventBurst, seedAccounts } from "../bench/events.mjs";
import { runLoad, wrkVersion } from "../bench/load.mjs";
import { evaluateGoals, renderSvg, renderTables, spread, median, updateResultsMarkdown } from "../bench/report.mjs";
import { BENCH_POOL, signTokens } from "../bench/tokens.mjs";
import { LOCAL_KEY_ID, LOCAL_SECRET, standinVars, startBrokerStandin } from "./broker-standin.mjs";
import { cognitoCall, emulatorVars, ensurePoolAndClient, freePort, startCognitoLocal } from "./cognito-local.mjs";
import { SIZE_BUDGET_BYTES, measureWorkerBundle } from "./size.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
const quick = process.argv.includes("--quick");
const onlyRoutes = process.argv.find((arg) => arg.startsWith("--routes="))?.slice("--routes=".length).split(",").map((route) => route.trim());
/** Only the verifiers, in more and shorter rounds: a change to src/auth compared in a minute. */
const verifyOnly = process.argv.includes("--verify");
/** Only the event consumer's burst. */
const eventsOnly = process.argv.includes("--events");
/** A V8 CPU profile of one app's route inside workerd (ours unless `--app=bare`), through the inspector. */
const profileRoute = process.argv.find((arg) => arg.startsWith("--profile="))?.slice("--profile=".length);
const profileApp = process.argv.find((arg) => arg.startsWith("--app="))?.slice("--app=".length) ?? "ours";

const SETTINGS = {
  rounds: quick ? 3 : verifyOnly ? 41 : 21,
  /** Each in-workerd sample aims at this much work: short samples, many rounds, as the machine drifts. */
  sampleTargetMs: quick || verifyOnly ? 20 : 30,
  /** Tokens never seen before, for the "..., first sight" verifiers: enough for every round's sample of each. */
  freshTokens: quick ? 3000 : verifyOnly ? 30_000 : 20_000,
  /** One per new user opening an account ("POST /platform/accounts"), for every round's two samples. */
  openingTokens: quick ? 400 : verifyOnly ? 0 : 2_000,
  httpSeconds: quick ? 1 : 3,
  concurrency: [1, 10, 50],
  startupProfiles: quick ? 1 : 3,
  /** Trade events in the consumer's burst. */
  burstEvents: quick ? 200 : 2000,
};
// BENCH_MINUTES raises the bound on a machine so loaded that the run cannot end in 5.
const HARD_LIMIT_MS = Number(process.env.BENCH_MINUTES ?? 5) * 60_000;
const API_PORT = Number(process.env.BENCH_PORT ?? 8789);
const EMULATOR_PORT = Number(process.env.BENCH_COGNITO_PORT ?? 9231);
const COMPATIBILITY_DATE = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync("wrangler.toml", "utf8"))[1];
const PASSWORD = "Bench-Passw0rd!";
const WRANGLER = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");

const startedAt = Date.now();
const cleanups = [];
const log = (message) => console.error(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}`);

async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`[bench] clean-up: ${error.message}`);
    }
  }
}

const hardLimit = setTimeout(async () => {
  console.error(`[bench] over ${HARD_LIMIT_MS / 60_000} minutes: stopping`);
  await cleanUp();
  process.exit(1);
}, HARD_LIMIT_MS);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await cleanUp();
    process.exit(130);
  });
}

function packageVersion(...candidates) {
  for (const file of candidates) if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")).version;
  return "unknown";
}

function environment() {
  const cpus = os.cpus();
  // BENCH_LOAD=node uses the Node load generator even where wrk is installed.
  const wrk = process.env.BENCH_LOAD === "node" ? undefined : wrkVersion();
  return {
    node: process.versions.node,
    wrangler: packageVersion("node_modules/wrangler/package.json"),
    workerd: packageVersion("node_modules/wrangler/node_modules/workerd/package.json", "node_modules/workerd/package.json"),
    cognitoLocal: packageVersion("node_modules/cognito-local/package.json"),
    libraries: Object.fromEntries(["hono", "jose", "aws-jwt-verify", "zod"].map((name) => [name, packageVersion(`node_modules/${name}/package.json`)])),
    loadGenerator: wrk ?? "Node keep-alive load generator (no wrk)",
    loadTool: wrk ? "wrk" : "node",
    compatibilityDate: COMPATIBILITY_DATE,
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg(),
  };
}

async function assertPortFree(port, what) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", () => reject(new Error(`port ${port} (${what}) is in use: set BENCH_PORT / BENCH_COGNITO_PORT or stop what uses it`)));
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise((resolve) => server.close(resolve));
}

// ---------------------------------------------------------------------------------------------
// Start-up: bundle size and `wrangler check startup`.

async function measureStartup(dir) {
  const { rawBytes, gzipBytes } = measureWorkerBundle();
  const samples = [];
  for (let i = 0; i < SETTINGS.startupProfiles; i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [WRANGLER, "check", "startup", "--env", "", "--args=--minify --env=", "--outfile", path.join(dir, "startup.cpuprofile")],
      { env: process.env, maxBuffer: 10 * 2 ** 20 },
    );
    const active = /Active:\s*([\d.]+)\s*ms/.exec(stdout);
    if (!active) throw new Error(`wrangler check startup printed no CPU time:\n${stdout}`);
    samples.push(Number(active[1]));
  }
  return { rawBytes, gzipBytes, budgetBytes: SIZE_BUDGET_BYTES, startupCpuMs: { median: median(samples), samples } };
}

// ---------------------------------------------------------------------------------------------
// Servers for the HTTP part: cognito-local, a JWKS server that counts, `wrangler dev` twice.

/**
 * cognito-local, with a reset: it rewrites its whole JSON database on every write and keeps every
 * refresh token it issues, so each log-in makes the next slower. Cells that reach it therefore start
 * from the same saved state (pool, client, the log-in user), restored with a restart (about 1 s).
 */
async function startEmulator(dir) {
  const dbDir = path.join(dir, ".cognito", "db");
  const emulator = { instance: await startCognitoLocal({ dir, port: EMULATOR_PORT }), saved: undefined };
  cleanups.push(() => emulator.instance.stop());
  const ids = await ensurePoolAndClient(emulator.instance.endpoint, path.join(dir, "ids.json"));
  const vars = emulatorVars(emulator.instance.endpoint, ids);
  const jwksDocument = await (await fetch(`${vars.COGNITO_ISSUER}/.well-known/jwks.json`)).text();
  return {
    endpoint: emulator.instance.endpoint,
    ids,
    vars,
    jwksDocument,
    pid: () => emulator.instance.pid,
    save() {
      emulator.saved = readdirSync(dbDir).map((file) => [file, readFileSync(path.join(dbDir, file))]);
    },
    async reset() {
      await emulator.instance.stop();
      for (const [file, content] of emulator.saved) writeFileSync(path.join(dbDir, file), content);
      emulator.instance = await startCognitoLocal({ dir, port: EMULATOR_PORT });
    },
  };
}

/** Serves the emulator's JWKS and counts the fetches: the API's JWKS fetches over the whole run. */
async function startJwksCounter(document) {
  const counter = { fetches: 0 };
  const server = createServer((req, res) => {
    counter.fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(document);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  counter.url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
  return counter;
}

/**
 * The Broker API for the API under `wrangler dev`: the local stand-in (scripts/broker-standin.mjs),
 * in this process, its state in the run's folder; and the migrations applied to the local D1 that
 * `wrangler dev --env bench --persist-to` serves.
 */
async function startBrokerSide(dir) {
  const standin = await startBrokerStandin({ dir: path.join(dir, "broker-standin"), keyId: LOCAL_KEY_ID, secret: LOCAL_SECRET, log: (line) => log(`broker stand-in: ${line}`) });
  cleanups.push(() => standin.stop());
  const persistTo = path.join(dir, "wrangler-state");
  await promisify(execFile)(process.execPath, [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--env", "bench", "--persist-to", persistTo], { env: process.env, maxBuffer: 10 * 2 ** 20 });
  const persistArgs = ["--persist-to", persistTo];
  const accounts = await seedAccounts({ wrangler: WRANGLER, persistArgs });
  // The first request starts the event consumers (no Cron Trigger fires under wrangler dev).
  return { vars: { ...standinVars(standin.url), EVENT_CONSUMERS_ON_REQUEST: "true" }, persistArgs, standin, accounts };
}

async function startWranglerDev(name, args, port, dir) {
  const inspectorPort = await freePort();
  const logFile = path.join(dir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [WRANGLER, "dev", ...args, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)], {
    cwd: root,
    env: process.env,
    // Own process group, so that stopping it also stops the workerd it starts.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  cleanups.push(() => stopGroup(child));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name}: wrangler dev exited with ${child.exitCode}; see ${logFile}:\n${readFileSync(logFile, "utf8").slice(-1500)}`);
    try {
      if ((await fetch(`${base}/`, { signal: AbortSignal.timeout(1_000) })).ok) return { base, pid: child.pid };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name}: wrangler dev did not answer within 90 s; see ${logFile}`);
}

async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Inside workerd: verification and app CPU, timed from here, one request per sample.

async function startBenchWorker({ inspectorPort } = {}) {
  const { unstable_startWorker } = await import("wrangler");
  const worker = await unstable_startWorker({
    name: "auth-bench",
    entrypoint: "bench/worker.ts",
    compatibilityDate: COMPATIBILITY_DATE,
    // A real local D1, kept in memory: the set-up request applies the migrations to it.
    bindings: { DB: { type: "d1", database_id: "bench" } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: inspectorPort ? { hostname: "127.0.0.1", port: inspectorPort } : false, watch: false, persist: false, logLevel: "warn" },
  });
  cleanups.push(() => worker.dispose());
  await worker.ready;
  // wrangler runs two workerd: its proxy, running now, and the Worker's own, started by the first
  // request. Only the latter's CPU time is the Worker's (see measureInWorkerd).
  worker.proxyPids = cpuClockAvailable ? childrenNamed(process.pid, "workerd") : [];
  worker.pids = [];
  return worker;
}

/** One request to the bench Worker: wall-clock ms seen from here, and ms of CPU its workerd spent. */
async function timed(worker, url) {
  const cpuBefore = cpuNs(worker.pids);
  const started = performance.now();
  const response = await worker.fetch(url);
  const body = await response.text();
  const elapsedMs = performance.now() - started;
  const cpuMs = (cpuNs(worker.pids) - cpuBefore) / 1e6;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${body.slice(0, 500)}`);
  return { elapsedMs, cpuMs: cpuClockAvailable ? cpuMs : elapsedMs, body };
}

const verifyUrl = (impl, n) => `http://bench.local/verify?impl=${encodeURIComponent(impl)}&n=${n}`;
const appUrl = (app, route, n) => `http://bench.local/sample?app=${app}&route=${encodeURIComponent(route)}&n=${n}`;

/** What an empty request costs, in both clocks: subtracted from every sample. */
async function overhead(worker) {
  const samples = [];
  for (let i = 0; i < 5; i++) samples.push(await timed(worker, "http://bench.local/noop"));
  return { elapsedMs: median(samples.map((s) => s.elapsedMs)), cpuMs: median(samples.map((s) => s.cpuMs)) };
}

/** Per-request counts of a route: its first request in the isolate, then the average of the next 20. */
async function countRoundTrips(worker, routes) {
  const perRequest = (counts, n) => ({
    upstream: Object.fromEntries(Object.entries(counts.upstream).map(([action, count]) => [action, count / n])),
    d1Trips: counts.d1Trips / n,
    limiterCalls: counts.limiterCalls / n,
    limiterWaves: counts.limiterWaves / n,
    logLines: counts.logLines / n,
  });
  const rows = [];
  // The limiters answer after a turn of the event loop here (a round trip), so that overlapping calls share a wave.
  for (const route of routes) {
    const first = JSON.parse((await timed(worker, `${appUrl("ours", route, 1)}&roundTrip`)).body);
    const next = JSON.parse((await timed(worker, `${appUrl("ours", route, 20)}&roundTrip`)).body);
    rows.push({ route, firstRequest: perRequest(first, 1), perRequest: perRequest(next, 20) });
  }
  return rows;
}

const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

/** The migrations' statements, in order, for the bench Worker's D1 (split as `wrangler d1` splits them). */
async function migrationStatements() {
  const { unstable_splitSqlQuery } = await import("wrangler");
  const files = readdirSync("migrations").filter((file) => file.endsWith(".sql")).sort();
  return files.flatMap((file) => unstable_splitSqlQuery(readFileSync(path.join("migrations", file), "utf8")));
}

/** Sends the bench Worker its keys, tokens, pool settings and migrations; its answer names the verifiers, routes and how each is sampled. */
async function setUpBenchWorker(worker, tokens) {
  const cycleEnd = SETTINGS.freshTokens + 400;
  const setup = {
    ...BENCH_POOL,
    jwks: tokens.jwks,
    repeatedToken: tokens.repeatedToken,
    userSub: tokens.userSub,
    freshTokens: tokens.tokens.slice(0, SETTINGS.freshTokens),
    cycleTokens: tokens.tokens.slice(SETTINGS.freshTokens, cycleEnd),
    openingTokens: tokens.tokens.slice(cycleEnd),
    email: "bench-user@example.com",
    password: PASSWORD,
    migrations: await migrationStatements(),
  };
  const response = await worker.fetch("http://bench.local/setup", { method: "POST", body: JSON.stringify(setup) });
  if (!response.ok) throw new Error(`bench worker setup: ${response.status} ${await response.text()}`);
  return response.json();
}

async function measureInWorkerd(worker, tokens, { verificationOnly = false } = {}) {
  const answer = await setUpBenchWorker(worker, tokens);
  const { primed, newUserEach, opening } = answer;
  const verifiers = onlyRoutes ? [] : answer.verifiers;
  const routes = onlyRoutes ?? answer.routes;
  // This script's workerd children are the bench Worker's runtime (wrangler dev runs under Node
  // children); the one started since the proxy is the Worker's own. Failing that, all of them.
  const runtime = cpuClockAvailable ? childrenNamed(process.pid, "workerd") : [];
  const own = runtime.filter((pid) => !worker.proxyPids.includes(pid));
  worker.pids = own.length > 0 ? own : runtime;

  const roundTrips = verificationOnly ? [] : await countRoundTrips(worker, routes);

  // Warm-up (JIT, first imports), then as many iterations per sample as fill sampleTargetMs.
  const sampleUrls = [];
  const estimate = async (url, k = 200) => {
    const empty = await overhead(worker);
    return Math.max(0.001, (await timed(worker, url(k))).cpuMs - empty.cpuMs) / k;
  };
  const iterationsFor = (msPerOp) => Math.min(200_000, Math.max(20, Math.round(SETTINGS.sampleTargetMs / msPerOp)));
  for (const impl of verifiers) {
    // The fresh tokens are counted: that path is warmed with a few of them, below.
    if (!impl.endsWith("first sight")) await timed(worker, verifyUrl(impl, 300));
  }
  const msPerToken = {};
  for (const impl of verifiers) if (!impl.endsWith("first sight")) msPerToken[impl] = await estimate((k) => verifyUrl(impl, k));
  const freshWarmUp = 100;
  for (const impl of verifiers) if (impl.endsWith("first sight")) await timed(worker, verifyUrl(impl, freshWarmUp));
  // One token each went to the worker's own check at setup.
  const freshUsers = verifiers.filter((impl) => impl.endsWith("first sight")).length;
  const freshPerRound = Math.floor((SETTINGS.freshTokens - freshUsers * (1 + freshWarmUp)) / freshUsers / SETTINGS.rounds);
  for (const impl of verifiers) {
    const n = impl.endsWith("first sight") ? Math.min(freshPerRound, iterationsFor(msPerToken.floor)) : iterationsFor(msPerToken[impl]);
    sampleUrls.push({ kind: "verify", name: impl, n, url: verifyUrl(impl, n) });
  }
  // A route that takes a new user each iteration spends opening tokens: fewer in its warm-up, and its
  // samples share what is left (the round-trip count above took 21).
  const [newUserWarmUp, newUserEstimate] = [10, 50];
  const openingPerSample = Math.floor((SETTINGS.openingTokens - 21 - 2 * (newUserWarmUp + newUserEstimate)) / (2 * SETTINGS.rounds));
  for (const route of verificationOnly ? [] : routes) {
    const newUser = newUserEach.includes(route);
    const msPerRequest = {};
    for (const app of ["ours", "bare"]) {
      await timed(worker, appUrl(app, route, newUser ? newUserWarmUp : 50));
      msPerRequest[app] = await estimate((k) => appUrl(app, route, k), newUser ? newUserEstimate : 200);
      log(`calibration ${app} ${route}: ${(msPerRequest[app] * 1000).toFixed(0)} us per request`);
    }
    // Both apps of a route serve the same number of requests per sample, as many as fill the bare
    // app's: the empty request's cost, subtracted from each sample, and the collector's pauses are
    // then spread over the same count on both sides of the ratio. (Sized by each app's own estimate,
    // the slower app took fewer requests, each sample a few ms of CPU, whose figure then turned on
    // whether a collection fell in it.) workerd allows 10,000 pending timeouts per request; the app
    // sets up to four per request.
    const n = Math.min(newUser ? openingPerSample : 1_500, iterationsFor(msPerRequest.bare));
    for (const app of ["ours", "bare"]) {
      const prime = primed.includes(route) ? appUrl(app, route, 1) : undefined;
      sampleUrls.push({ kind: "app", name: `${app} ${route}`, app, route, n, url: appUrl(app, route, n), prime });
    }
  }

  // Rounds: every sample once per round, in an order that shifts each round; the cost of an empty
  // request is measured each round and subtracted from that round's samples. `samples` holds the
  // figures of the clock in use (workerd's CPU time where /proc has it), `wallSamples` wall-clock.
  const samples = new Map(sampleUrls.map((s) => [s.name, []]));
  const wallSamples = new Map(sampleUrls.map((s) => [s.name, []]));
  for (let round = 0; round < SETTINGS.rounds; round++) {
    const empty = await overhead(worker);
    for (const sample of rotate(sampleUrls, round)) {
      if (sample.prime) await timed(worker, sample.prime);
      const { elapsedMs, cpuMs } = await timed(worker, sample.url);
      samples.get(sample.name).push(((cpuMs - empty.cpuMs) * 1000) / sample.n);
      wallSamples.get(sample.name).push(((elapsedMs - empty.elapsedMs) * 1000) / sample.n);
    }
  }

  const verifySamples = (name) => samples.get(name);
  const floorSamples = verifySamples("floor");
  const verification = {
    unit: "us per token",
    rows: sampleUrls
      .filter((s) => s.kind === "verify")
      .map((s) => ({
        name: s.name,
        iterations: s.n,
        usPerToken: spread(verifySamples(s.name)),
        ratioToFloor: spread(verifySamples(s.name).map((value, round) => value / floorSamples[round])),
        samples: verifySamples(s.name),
        wallClockUsPerToken: spread(wallSamples.get(s.name)),
      })),
  };
  const appCpu = {
    unit: "us per request",
    rows: (verificationOnly ? [] : routes).map((route) => {
      const ours = samples.get(`ours ${route}`);
      const bare = samples.get(`bare ${route}`);
      return {
        route,
        ours: { ...spread(ours), n: sampleUrls.find((s) => s.name === `ours ${route}`).n, samples: ours },
        bare: { ...spread(bare), n: sampleUrls.find((s) => s.name === `bare ${route}`).n, samples: bare },
        ratio: spread(ours.map((value, round) => value / bare[round])),
        wallClock: { ours: spread(wallSamples.get(`ours ${route}`)), bare: spread(wallSamples.get(`bare ${route}`)) },
      };
    }),
  };
  const counts = JSON.parse((await timed(worker, "http://bench.local/counts")).body);
  return { verification, appCpu, roundTrips, isolateJwksFetches: counts.upstream.JWKS ?? 0, opening };
}

// ---------------------------------------------------------------------------------------------
// End to end over HTTP.

/** One request as a cell would send it (a sign-up gets an email of its own); throws unless it succeeds. */
async function oneRequest(url, { method, headers, body, signupPrefix, password }) {
  const payload = signupPrefix ? JSON.stringify({ email: `${signupPrefix}@example.com`, password }) : body;
  const response = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  await response.arrayBuffer();
}

/** Waits (at most 3 s) until the servers are idle: a cell's abandoned requests must not slow the next. */
async function settle(pids) {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    const before = cpuNs(pids);
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (cpuNs(pids) - before < 0.05 * 200e6) return;
  }
}

async function measureHttp({ api, forwarder, emulator, tool, opening }) {
  const apiBase = api.base;
  const forwarderBase = forwarder.base;
  // The processes that serve each target, whose CPU time a cell takes: the whole `wrangler dev` tree
  // (its Node process prints each request and log line, workerd runs the Worker), or the emulator.
  const serverPids = (target) =>
    !cpuClockAvailable ? [] : target === "api" ? processTree(api.pid) : target === "direct" ? processTree(emulator.pid()) : processTree(forwarder.pid);
  const allServerPids = () => [...serverPids("api"), ...serverPids("forwarder"), ...serverPids("direct")];

  const email = `bench-login-${startedAt}@example.com`;
  await cognitoCall(emulator.endpoint, "SignUp", { ClientId: emulator.ids.clientId, Username: email, Password: PASSWORD });
  await cognitoCall(emulator.endpoint, "AdminConfirmSignUp", { UserPoolId: emulator.ids.userPoolId, Username: email });
  const credentials = JSON.stringify({ email, password: PASSWORD });
  const json = { "content-type": "application/json" };
  const login = await fetch(`${apiBase}/platform/login`, { method: "POST", headers: json, body: credentials });
  if (login.status !== 200) throw new Error(`log-in through the API: HTTP ${login.status} ${await login.text()}`);
  const { access_token: accessToken } = await login.json();
  // The same user opens a brokerage account (the stand-in's), for GET /platform/accounts/me; Broker
  // API accounts need a verified email.
  await cognitoCall(emulator.endpoint, "AdminUpdateUserAttributes", { UserPoolId: emulator.ids.userPoolId, Username: email, UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }] });
  const bearer = { authorization: `Bearer ${accessToken}` };
  const opened = await fetch(`${apiBase}/platform/accounts`, { method: "POST", headers: { ...json, ...bearer }, body: JSON.stringify(opening) });
  if (opened.status !== 201) throw new Error(`opening an account through the API: HTTP ${opened.status} ${await opened.text()}`);
  emulator.save();

  const signUp = (target, tag) => ({ method: "POST", headers: json, signupPrefix: `b${startedAt}-${target}-${tag}`, password: PASSWORD });
  const logIn = () => ({ method: "POST", headers: json, body: credentials });
  const targets = {
    "GET /": { api: () => ({ method: "GET" }), forwarder: () => ({ method: "GET" }) },
    "POST /platform/login": {
      api: logIn,
      forwarder: logIn,
      forwarderLogging: logIn,
      direct: () => ({
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth" },
        body: JSON.stringify({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: emulator.ids.clientId, AuthParameters: { USERNAME: email, PASSWORD } }),
      }),
    },
    "GET /platform/me": { api: () => ({ method: "GET", headers: bearer }) },
    "GET /platform/accounts/me": { api: () => ({ method: "GET", headers: bearer }) },
    // The stand-in's snapshot, from the edge cache after the first request of each 2 s.
    "GET /platform/market/snapshots?symbols=AAPL": { api: () => ({ method: "GET", headers: bearer }) },
    "POST /platform/signup": { api: (tag) => signUp("api", tag), forwarder: (tag) => signUp("forwarder", tag) },
  };
  const reachesEmulator = (route) => route === "POST /platform/login" || route === "POST /platform/signup";
  const urlOf = (target, route) => {
    if (target === "direct") return emulator.endpoint;
    const path = route.split(" ")[1];
    return target === "api" ? `${apiBase}${path}` : `${forwarderBase}${path}${target === "forwarderLogging" ? "?log" : ""}`;
  };

  // Warm-up: every target and route, so that no cell pays for JIT, the JWKS fetch or the first GetUser.
  for (const [route, byTarget] of Object.entries(targets)) {
    for (const [target, request] of Object.entries(byTarget)) {
      const warm = await runLoad(tool, urlOf(target, route), request("warm"), 2, 1);
      if (warm.errors) throw new Error(`warm-up ${target} ${route}: ${warm.errors} failed requests`);
    }
  }
  await emulator.reset();

  // What the servers spend idle (file watchers, timers), per ms: taken out of each cell's CPU time.
  const idleNsPerMs = {};
  for (const target of ["api", "forwarder", "direct"]) {
    const before = cpuNs(serverPids(target));
    await new Promise((resolve) => setTimeout(resolve, 300));
    idleNsPerMs[target] = (cpuNs(serverPids(target)) - before) / 300;
  }
  idleNsPerMs.forwarderLogging = idleNsPerMs.forwarder;

  const cells = [];
  let turn = 0;
  for (const concurrency of SETTINGS.concurrency) {
    for (const [route, byTarget] of Object.entries(targets)) {
      for (const target of rotate(Object.keys(byTarget), turn++)) {
        const tag = `c${concurrency}`;
        if (reachesEmulator(route)) {
          await emulator.reset();
          // One request first: the restart closed the servers' connections to the emulator.
          await oneRequest(urlOf(target, route), byTarget[target](`${tag}-warm`));
        }
        await settle(allServerPids());
        const pids = serverPids(target);
        const cpuBefore = cpuNs(pids);
        const started = performance.now();
        const result = await runLoad(tool, urlOf(target, route), byTarget[target](tag), concurrency, SETTINGS.httpSeconds);
        const busyNs = cpuNs(pids) - cpuBefore - idleNsPerMs[target] * (performance.now() - started);
        const serverCpuUs = cpuClockAvailable && result.requests ? busyNs / 1e3 / result.requests : undefined;
        cells.push({ route, target, concurrency, ...result, serverCpuUs });
        log(`HTTP ${route} ${target} c=${concurrency}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms${result.errors ? `, ${result.errors} errors` : ""}`);
      }
    }
  }
  return { tool: tool === "wrk" ? "wrk" : "Node load generator", seconds: SETTINGS.httpSeconds, concurrency: SETTINGS.concurrency, routes: Object.keys(targets), cells };
}

// ---------------------------------------------------------------------------------------------

/** What test/budgets.test.ts holds each route to. */
const UPSTREAM_TARGETS = {
  "GET /": "0",
  "POST /platform/login": "1",
  "GET /platform/me": "0 (repeated token)",
  "POST /platform/signup": "3",
  "GET /platform/accounts/me": "0 Broker, 1 D1 (within the 5 s copy)",
  "POST /platform/accounts": "1 Broker (and GetUser: a new user), 2 D1 (1 before, 1 after)",
  "POST /platform/accounts/me/orders": "1 Broker",
  "POST /platform/accounts/me/orders, replayed": "0 Broker, 3 D1",
  "GET /platform/market/snapshots (cached)": "0 data calls, 0 D1 (within its 2 s)",
  "GET /platform/market/snapshots (uncached)": "1 data call, 0 D1",
};

/** `--verify`: the verification table alone, each verifier also against jose's own jwtVerify. */
async function verifyMain() {
  const env = environment();
  log(`load average ${env.loadAverageAtStart.map((v) => v.toFixed(2)).join(" ")} at start; signing ${SETTINGS.freshTokens + 400} tokens`);
  const [worker, tokens] = await Promise.all([startBenchWorker(), signTokens(SETTINGS.freshTokens + 400)]);
  const { verification } = await measureInWorkerd(worker, tokens, { verificationOnly: true });
  const jose = verification.rows.find((row) => row.name === "jose jwtVerify").samples;
  console.log(`\nVerification only, ${SETTINGS.rounds} interleaved rounds; load average ${env.loadAverageAtStart.map((v) => v.toFixed(2)).join(" ")} at start, ${os.loadavg().map((v) => v.toFixed(2)).join(" ")} at end.\n`);
  console.log("| verifier | us per token (median) | x floor (median, min-max) | x jose jwtVerify (median) |\n|---|---:|---:|---:|");
  for (const row of verification.rows) {
    const toJose = median(row.samples.map((value, round) => value / jose[round]));
    console.log(`| ${row.name} | ${row.usPerToken.median.toFixed(1)} | ${row.ratioToFloor.median.toFixed(2)}x (${row.ratioToFloor.min.toFixed(2)}-${row.ratioToFloor.max.toFixed(2)}) | ${toJose.toFixed(2)}x |`);
  }
}

/** The consumer's burst on the API under `wrangler dev --env bench` (started by main, or by eventsMain). */
async function measureEvents(api, broker, dir) {
  log(`events: a burst of ${SETTINGS.burstEvents} trade events through the consumer`);
  const result = await measureEventBurst({
    base: api.base,
    standin: broker.standin,
    accounts: broker.accounts,
    logFile: eventsLogFile(dir),
    pids: () => namedInTree(api.pid, "workerd"),
    count: SETTINGS.burstEvents,
  });
  log(eventsRow(result));
  return result;
}

/** `--events`: the Broker side and the API alone, then the burst. */
async function eventsMain() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-bench-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await assertPortFree(API_PORT, "the API");
  const broker = await startBrokerSide(dir);
  // Cognito's settings, valid and never called: the consumers make no Cognito call, but the root wants a configured deployment.
  const cognito = emulatorVars("http://127.0.0.1:9/", { userPoolId: "us-east-1_bench", clientId: "bench" });
  const vars = { ...cognito, ...broker.vars };
  const api = await startWranglerDev("api", ["--env", "bench", ...broker.persistArgs, ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`])], API_PORT, dir);
  console.log(eventsRow(await measureEvents(api, broker, dir)));
}

/**
 * `--profile=ROUTE`: V8's sampling profiler on the bench Worker's isolate (the DevTools protocol, as
 * `wrangler dev`'s inspector serves it) while the app serves ROUTE a few thousand times. Prints the
 * functions with the most self time and by source file; the whole profile is written to
 * test-artifacts/ for DevTools. Time spent in workerd's own APIs (Headers, Request, crypto) is
 * counted to the JavaScript function that called them.
 */
async function profileMain() {
  const inspectorPort = await freePort();
  const [worker, tokens] = await Promise.all([startBenchWorker({ inspectorPort }), signTokens(SETTINGS.freshTokens + 400 + SETTINGS.openingTokens)]);
  const { primed } = await setUpBenchWorker(worker, tokens);
  // A "first sight" verifier takes a new token each time: the signed ones must last the warm-up and the rounds.
  const n = profileRoute.endsWith("first sight") ? Math.floor(SETTINGS.freshTokens / 12) : 1_500;
  // `--profile=verify:NAME`: a verifier (as the verification table names it) instead of a route.
  const verifier = profileRoute.startsWith("verify:") ? profileRoute.slice("verify:".length) : undefined;
  const send = async () => {
    if (primed.includes(profileRoute)) await worker.fetch(appUrl(profileApp, profileRoute, 1));
    const response = await worker.fetch(verifier ? verifyUrl(verifier, n) : appUrl(profileApp, profileRoute, n));
    if (!response.ok) throw new Error(`${profileRoute}: HTTP ${response.status} ${await response.text()}`);
  };
  for (let i = 0; i < 3; i++) await send(); // JIT
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.title?.includes("auth-bench")) ?? targets[0];
  // The inspector proxy (miniflare) refuses a client that sends a User-Agent without an Origin of localhost.
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)));
  let nextId = 1;
  const pending = new Map();
  socket.onmessage = (message) => {
    const reply = JSON.parse(message.data);
    if (reply.id && pending.has(reply.id)) pending.get(reply.id)(reply);
  };
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (reply) => (reply.error ? reject(new Error(`${method}: ${reply.error.message}`)) : resolve(reply.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 50 });
  await call("Profiler.start");
  const rounds = 8;
  for (let i = 0; i < rounds; i++) await send();
  const { profile } = await call("Profiler.stop");
  socket.close();
  const out = path.join("test-artifacts", `${verifier ? "verify" : profileApp}-${(verifier ?? profileRoute).replace(/\W+/g, "_")}.cpuprofile`);
  mkdirSync("test-artifacts", { recursive: true });
  writeFileSync(out, JSON.stringify(profile));
  // Self time per node, from the samples' time deltas.
  const selfUs = new Map();
  profile.samples.forEach((nodeId, i) => selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map();
  const byFile = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.split("/").slice(-2).join("/") : "(native)";
    const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const requests = rounds * n;
  const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
  console.log(`\n${verifier ? "" : `${profileApp} `}${profileRoute}: ${requests} ${verifier ? "tokens" : "requests"}, ${(total / requests).toFixed(1)} us sampled per request (profiler on; idle included)\n`);
  for (const [name, us] of top(byFunction, 40)) console.log(`${(us / requests).toFixed(2).padStart(8)} us  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  console.log("\nby file:");
  for (const [name, us] of top(byFile, 15)) console.log(`${(us / requests).toFixed(2).padStart(8)} us  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`\nwhole profile: ${out}`);
}

async function main() {
  if (profileRoute) return profileMain();
  if (verifyOnly) return verifyMain();
  if (eventsOnly) return eventsMain();
  const env = environment();
  if (env.loadAverageAtStart[0] > env.cores) log(`load average ${env.loadAverageAtStart[0].toFixed(1)} on ${env.cores} cores: figures will be noisy`);
  const dir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-bench-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await assertPortFree(API_PORT, "the API");
  await assertPortFree(EMULATOR_PORT, "cognito-local");

  if (onlyRoutes) return appOnly(env);
  log("start-up: bundle size and wrangler check startup");
  const startup = await measureStartup(dir);

  log(`starting cognito-local, wrangler dev (API, forwarder) and the bench Worker; signing ${SETTINGS.freshTokens + 400 + SETTINGS.openingTokens} tokens`);
  const tokensReady = signTokens(SETTINGS.freshTokens + 400 + SETTINGS.openingTokens);
  const emulator = await startEmulator(dir);
  const jwks = await startJwksCounter(emulator.jwksDocument);
  const varArgs = (vars) => Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  let broker;
  const [api, forwarder, worker, tokens] = await Promise.all([
    startBrokerSide(dir).then((started) => {
      broker = started;
      return startWranglerDev("api", ["--env", "bench", ...broker.persistArgs, ...varArgs({ ...emulator.vars, ...broker.vars, COGNITO_JWKS_PATH: jwks.url })], API_PORT, dir);
    }),
    freePort().then((port) => startWranglerDev("forwarder", ["-c", "bench/forwarder.toml", ...varArgs(emulator.vars)], port, dir)),
    startBenchWorker(),
    tokensReady,
  ]);

  log("inside workerd: verification and app CPU");
  const inWorkerd = await measureInWorkerd(worker, tokens);

  log(`over HTTP with ${env.loadGenerator}`);
  const http = await measureHttp({ api, forwarder, emulator, tool: env.loadTool, opening: inWorkerd.opening });
  const events = await measureEvents(api, broker, dir);

  const results = {
    date: new Date(startedAt).toISOString(),
    durationSeconds: 0,
    environment: { ...env, loadAverageAtEnd: os.loadavg() },
    settings: { ...SETTINGS, clock: cpuClockAvailable ? "CPU time of the workerd process running the bench Worker (Linux /proc schedstat), minus an empty request" : "wall-clock time, minus an empty request" },
    verification: inWorkerd.verification,
    appCpu: inWorkerd.appCpu,
    roundTrips: {
      routes: inWorkerd.roundTrips.map((row) => ({ ...row, target: UPSTREAM_TARGETS[row.route] })),
      jwksFetches: { http: jwks.fetches, inIsolate: inWorkerd.isolateJwksFetches },
    },
    http,
    events,
    startup,
  };
  await cleanUp();
  results.durationSeconds = (Date.now() - startedAt) / 1000;
  results.goals = evaluateGoals(results);

  console.log(renderTables(results));
  console.log(`\n${eventsRow(events)}`);
  if (quick) {
    log("--quick: results not written");
  } else {
    writeFileSync("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync("bench/results.svg", renderSvg(results));
    const previous = existsSync("bench/results.md") ? readFileSync("bench/results.md", "utf8") : undefined;
    writeFileSync("bench/results.md", updateResultsMarkdown(previous, results));
    log("wrote bench/results.md, bench/results.json, bench/results.svg");
  }
}

/** --routes: the app CPU of a few routes inside workerd, printed only. */
async function appOnly(env) {
  const [worker, tokens] = await Promise.all([startBenchWorker(), signTokens(SETTINGS.freshTokens + 400 + SETTINGS.openingTokens)]);
  const { appCpu, roundTrips } = await measureInWorkerd(worker, tokens);
  const loadAverageAtEnd = os.loadavg();
  await cleanUp();
  for (const row of appCpu.rows) {
    const waves = roundTrips.find((trips) => trips.route === row.route).perRequest;
    console.log(`${row.route}: ours ${row.ours.median.toFixed(0)} us, bare ${row.bare.median.toFixed(0)} us, ${row.ratio.median.toFixed(2)}x (${row.ratio.min.toFixed(2)}-${row.ratio.max.toFixed(2)}); limiter calls ${waves.limiterCalls}, waves ${waves.limiterWaves}`);
  }
  console.log(`load average ${env.loadAverageAtStart.map((n) => n.toFixed(2)).join(" ")} at start, ${loadAverageAtEnd.map((n) => n.toFixed(2)).join(" ")} at end`);
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
  clearTimeout(hardLimit);
}
