// The benchmark's Worker, run by scripts/bench.mjs with wrangler's unstable_startWorker. Each request
// runs one sample: N token verifications (/verify) or N requests through an app (/app). The script
// times the request from outside, because inside workerd the clock only moves on I/O.
//
//   POST /setup                         keys, tokens and pool settings (signed by the script in Node)
//   GET  /noop                          an empty request: the overhead subtracted from every sample
//   GET  /verify?impl=NAME&n=N          N verifications; a "..., first sight" verifier takes a new token each time
//   GET  /sample?app=ours|bare&route=R&n=N N requests to the app's fetch, Cognito and the Broker API
//                                       faked in the isolate, D1 the Worker's own (in memory)
//   GET  /counts                        every upstream call (JWKS included) since setup
//
// /app answers the calls the N requests made: upstream calls by action, D1 round trips, limiter
// calls and limiter waves (calls that did not overlap an earlier call of the same request), and log lines.
import { bareApp } from "./bare-app";
import { installFakeBroker } from "./fake-broker";
import { installFakeCognito, type CallCounts } from "./fake-cognito";
import { installFakeMarketData } from "./fake-market";
import { OPENING_EXAMPLE, RATE_LIMIT_BINDINGS, handler, verifierFor } from "./subject";
import { alternatives, type BenchPool, type Verify } from "./verifiers";

// unstable_startWorker reads wrangler.toml, whose Durable Object bindings need their classes here (unused by the bench).
export { BrokerStreamConsumer, UserEventStreams } from "./subject";

interface Setup extends BenchPool {
  region: string;
  /** The token a client sends again and again (me, "ours, repeated"). */
  repeatedToken: string;
  /** Never used before: each iteration of a "..., first sight" verifier takes the next one. */
  freshTokens: string[];
  /** Distinct tokens the other verifiers cycle through. */
  cycleTokens: string[];
  /** One per user who opens an account: each "POST /platform/accounts" iteration is a new user. */
  openingTokens: string[];
  userSub: string;
  email: string;
  password: string;
  /** The migrations' SQL, one statement each (split in Node), applied to the bench's D1 at setup. */
  migrations: string[];
}

export const ROUTES = [
  "GET /",
  "POST /platform/login",
  "GET /platform/me",
  "POST /platform/signup",
  "GET /platform/accounts/me",
  "POST /platform/accounts",
  "POST /platform/accounts/me/orders",
  "POST /platform/accounts/me/orders, replayed",
  "GET /platform/market/snapshots (cached)",
  "GET /platform/market/snapshots (uncached)",
] as const;
type Route = (typeof ROUTES)[number];

/**
 * Routes whose sample the script precedes with one request of its own (not timed): the account view
 * is copied for 5 s per isolate, and what is measured is the view repeated within that copy's life.
 */
const PRIMED: Route[] = ["GET /platform/accounts/me", "GET /platform/market/snapshots (cached)"];

/** The opening body a user sends; the email comes from Cognito (GetUser), the agreements' stamps from the server. */
const OPENING = JSON.stringify(OPENING_EXAMPLE);

/**
 * A notional market buy, as issue 18's example. The orders are the repeated token's user's: that
 * account's first view (GET /platform/accounts/me, measured before) records it ACTIVE, as orders need.
 */
const ORDER = JSON.stringify({ symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" });

const BROKER_URL = "https://broker-api.bench.local";
const MARKET_DATA_URL = "https://data.bench.local";
const BROKER_KEYS = { keyId: "PKBENCHBENCHBENCHBENCH", secret: "bench-broker-secret" };

interface Bench {
  setup: Setup;
  verifiers: Record<string, Verify>;
  apps: Record<"ours" | "bare", { fetch(request: Request, env: object, ctx: ExecutionContext): Response | Promise<Response> }>;
  env: Record<string, unknown>;
  upstream: CallCounts;
  d1: { trips: number };
  limiter: { calls: number; waves: number; pending: number; roundTrip: boolean };
  logLines: number;
}

let bench: Bench | undefined;
let freshCursor = 0;
let openingCursor = 0;
let signupCounter = 0;
let orderCounter = 0;
/** A new symbol set per uncached snapshot: a cache key no request before it used. */
let uncachedCounter = 0;

const AWS_KEYS = { accessKeyId: "AKIABENCHBENCHBENCH0", secretAccessKey: "bench-secret-access-key-bench-secret-key" };

/** A limiter round trip when waves are counted: the order of a binding's call within a location. */
const ROUND_TRIP_MS = 1;

/**
 * A limiter binding that allows everything and counts; a call made while another is pending shares
 * its wave, whichever bindings the two are of (one pending count for all of them). In the timed
 * samples it answers at once (a microtask), so its own cost stays out of the app's CPU figure. When
 * the round trips are counted (`roundTrip`) it answers after ROUND_TRIP_MS, as a binding's round
 * trip would: a check still pending while the request reads its body (in memory here, read well
 * within it) and starts the next (the address check, started before the body is read, and the
 * guess check) shares that one's wave.
 */
function countingLimiter(limiter: Bench["limiter"]) {
  return {
    limit(): Promise<{ success: boolean }> {
      limiter.calls++;
      if (limiter.pending === 0) limiter.waves++;
      limiter.pending++;
      const answer = () => {
        limiter.pending--;
        return { success: true };
      };
      return limiter.roundTrip ? new Promise((resolve) => setTimeout(() => resolve(answer()), ROUND_TRIP_MS)) : Promise.resolve().then(answer);
    },
  };
}

const RUNS = new Set<string | symbol>(["first", "run", "all", "raw"]);

/**
 * The D1 binding, counting round trips as test/budgets.test.ts does: a statement run alone, or a
 * batch. The real statements go to the real binding.
 */
function countingD1(db: D1Database, d1: Bench["d1"]): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const counted = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, name) {
        if (name === "bind") return (...values: unknown[]) => counted(target.bind(...values));
        const value = Reflect.get(target, name, target) as unknown;
        if (typeof value !== "function") return value;
        if (!RUNS.has(name)) return (value as (...a: unknown[]) => unknown).bind(target);
        return (...args: unknown[]) => {
          d1.trips++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  return new Proxy(db, {
    get(target, name) {
      if (name === "prepare") return (sql: string) => counted(target.prepare(sql));
      if (name === "batch") {
        return (statements: D1PreparedStatement[]) => {
          d1.trips++;
          return target.batch(statements.map((statement) => real.get(statement) ?? statement));
        };
      }
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function makeBench(setup: Setup, db: D1Database, ctx: ExecutionContext): Promise<Bench> {
  // The app's access log is built (JSON, redaction) as in production; only the sink is skipped, so
  // that thousands of lines do not travel to the script's terminal.
  const logCounter = { lines: 0 };
  console.log = console.info = console.warn = () => void logCounter.lines++;

  const { counts } = installFakeCognito({
    accessToken: setup.repeatedToken,
    idToken: setup.repeatedToken,
    userSub: setup.userSub,
    email: setup.email,
    jwks: setup.jwks,
  });
  installFakeBroker(BROKER_URL, counts);
  installFakeMarketData(MARKET_DATA_URL, counts);
  await db.batch(setup.migrations.map((statement) => db.prepare(statement)));
  const d1 = { trips: 0 };
  const jwksJson = JSON.stringify(setup.jwks);
  const ours = verifierFor({ issuer: setup.issuer, clientId: setup.clientId, jwksJson });
  const { floor, ...others } = await alternatives(setup);
  const limiter = { calls: 0, waves: 0, pending: 0, roundTrip: false };
  const endpoint = `https://cognito-idp.${setup.region}.amazonaws.com/`;
  const env: Record<string, unknown> = {
    COGNITO_USER_CLIENT_ID: setup.clientId,
    COGNITO_REGION_NAME: setup.region,
    USER_POOL_ID: setup.userPoolId,
    COGNITO_JWKS: jwksJson,
    AWS_ACCESS_KEY_ID: AWS_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_KEYS.secretAccessKey,
    AUTO_CONFIRM: "true",
    DB: countingD1(db, d1),
    BROKER_API_URL: BROKER_URL,
    APCA_BROKER_API_KEY: BROKER_KEYS.keyId,
    APCA_BROKER_API_SECRET: BROKER_KEYS.secret,
    MARKET_DATA_URL,
  };
  for (const name of RATE_LIMIT_BINDINGS) env[name] = countingLimiter(limiter);
  const [publicKey] = (await Promise.all(
    setup.jwks.keys.map((key) => crypto.subtle.importKey("jwk", key, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"])),
  )) as [CryptoKey];
  const bare = bareApp({ ...setup, ...AWS_KEYS, endpoint, publicKey, brokerUrl: BROKER_URL, brokerKeyId: BROKER_KEYS.keyId, brokerSecret: BROKER_KEYS.secret, marketDataUrl: MARKET_DATA_URL });

  const result: Bench = {
    setup,
    verifiers: {
      floor,
      "ours, first sight": ours,
      "ours, repeated": ours,
      ...others,
    },
    apps: { ours: handler, bare: { fetch: (request, env, ctx) => bare.fetch(request, env, ctx) } },
    env,
    upstream: counts,
    d1,
    limiter,
    get logLines() {
      return logCounter.lines;
    },
  };
  // Every verifier must accept the tokens, or the loops would time error paths.
  for (const [name, verify] of Object.entries(result.verifiers)) {
    await verify(name.endsWith("first sight") ? nextFreshToken(setup) : name === "ours, repeated" ? setup.repeatedToken : setup.cycleTokens[0]!);
  }
  // The repeated token's user has an account, for GET /platform/accounts/me. Opened by the bare app,
  // so that the API's first requests in the isolate are its own: no view or GetUser answer kept yet.
  const opened = await bare.fetch(routeRequest(result, "POST /platform/accounts", "bare", setup.repeatedToken), env, ctx);
  if (opened.status !== 201) throw new Error(`opening the bench user's account: HTTP ${opened.status} ${await opened.text()}`);
  return result;
}

function nextFreshToken(setup: Setup): string {
  const token = setup.freshTokens[freshCursor++];
  if (token === undefined) throw new Error("out of fresh tokens: sign more in scripts/bench.mjs");
  return token;
}

async function runVerify(b: Bench, impl: string, n: number): Promise<Response> {
  const verify = b.verifiers[impl];
  if (!verify) return new Response(`impl must be one of ${Object.keys(b.verifiers).join(", ")}`, { status: 400 });
  if (impl.endsWith("first sight")) {
    if (freshCursor + n > b.setup.freshTokens.length) return new Response("out of fresh tokens", { status: 409 });
    for (let i = 0; i < n; i++) await verify(nextFreshToken(b.setup));
  } else if (impl === "ours, repeated") {
    for (let i = 0; i < n; i++) await verify(b.setup.repeatedToken);
  } else {
    const tokens = b.setup.cycleTokens;
    for (let i = 0; i < n; i++) await verify(tokens[i % tokens.length]!);
  }
  return Response.json({ n, freshLeft: b.setup.freshTokens.length - freshCursor });
}

function nextOpeningToken(setup: Setup): string {
  const token = setup.openingTokens[openingCursor++];
  if (token === undefined) throw new Error("out of opening tokens: sign more in scripts/bench.mjs");
  return token;
}

const utf8 = new TextEncoder();

/**
 * A JSON POST as clients send one: with its Content-Length, which browsers, curl and HTTP libraries
 * send for a body of known size (a Request made here with a string body has none of its own).
 */
function post(url: string, headers: Record<string, string>, body: string): Request {
  return new Request(url, { method: "POST", headers: { ...headers, "content-length": String(utf8.encode(body).byteLength) }, body });
}

/** `app` keeps the replayed key of each app apart: both write the same user's keys. */
function routeRequest(b: Bench, route: Route, app: "ours" | "bare", openingToken?: string): Request {
  const base = "https://api.bench.local";
  const headers = { "content-type": "application/json", "cf-connecting-ip": "203.0.113.7" };
  switch (route) {
    case "GET /":
      return new Request(`${base}/`);
    case "GET /platform/me":
      return new Request(`${base}/platform/me`, { headers: { authorization: `Bearer ${b.setup.repeatedToken}` } });
    case "POST /platform/login":
      return post(`${base}/platform/login`, headers, JSON.stringify({ email: b.setup.email, password: b.setup.password }));
    case "POST /platform/signup":
      return post(`${base}/platform/signup`, headers, JSON.stringify({ email: `bench-${++signupCounter}@example.com`, password: b.setup.password }));
    case "GET /platform/accounts/me":
      return new Request(`${base}/platform/accounts/me`, { headers: { authorization: `Bearer ${b.setup.repeatedToken}` } });
    case "POST /platform/accounts":
      return post(`${base}/platform/accounts`, { ...headers, authorization: `Bearer ${openingToken ?? nextOpeningToken(b.setup)}` }, OPENING);
    case "POST /platform/accounts/me/orders":
    case "POST /platform/accounts/me/orders, replayed":
      return post(
        `${base}/platform/accounts/me/orders`,
        {
          ...headers,
          authorization: `Bearer ${b.setup.repeatedToken}`,
          // A new key each time, or the same key (and body) again: every request after the first is a replay.
          "idempotency-key": route === "POST /platform/accounts/me/orders" ? `bench-order-${++orderCounter}` : `bench-order-replayed-${app}`,
        },
        ORDER,
      );
    // The same pair again and again (the first request of a sample's priming fills the 2 s entry), or a new pair each time: every one a miss.
    case "GET /platform/market/snapshots (cached)":
    case "GET /platform/market/snapshots (uncached)": {
      const symbols = route.endsWith("(cached)") ? "AAPL,MSFT" : `AAPL,U${app === "ours" ? "O" : "B"}${++uncachedCounter}`;
      return new Request(`${base}/platform/market/snapshots?symbols=${symbols}`, { headers: { authorization: `Bearer ${b.setup.repeatedToken}` } });
    }
  }
}

const EXPECTED_STATUS: Record<Route, number> = {
  "GET /": 200,
  "POST /platform/login": 200,
  "GET /platform/me": 200,
  "POST /platform/signup": 201,
  "GET /platform/accounts/me": 200,
  "POST /platform/accounts": 201,
  "POST /platform/accounts/me/orders": 201,
  "POST /platform/accounts/me/orders, replayed": 201,
  "GET /platform/market/snapshots (cached)": 200,
  "GET /platform/market/snapshots (uncached)": 200,
};

async function runApp(b: Bench, appName: string, route: string, n: number, ctx: ExecutionContext, roundTrip: boolean): Promise<Response> {
  const app = b.apps[appName as "ours" | "bare"];
  if (!app || !ROUTES.includes(route as Route)) return new Response(`app must be ours or bare, route one of ${ROUTES.join(", ")}`, { status: 400 });
  if (route === "POST /platform/accounts" && openingCursor + n > b.setup.openingTokens.length) return new Response("out of opening tokens", { status: 409 });
  const upstreamBefore = { ...b.upstream };
  const d1Before = b.d1.trips;
  const limiterBefore = { ...b.limiter };
  const logBefore = b.logLines;
  b.limiter.roundTrip = roundTrip;
  try {
    for (let i = 0; i < n; i++) {
      const response = await app.fetch(routeRequest(b, route as Route, appName as "ours" | "bare"), b.env, ctx);
      const body = await response.text();
      if (response.status !== EXPECTED_STATUS[route as Route]) return new Response(`${appName} ${route}: HTTP ${response.status} ${body}`, { status: 500 });
    }
  } finally {
    b.limiter.roundTrip = false;
  }
  const upstream: CallCounts = {};
  for (const [action, count] of Object.entries(b.upstream)) {
    const made = count - (upstreamBefore[action] ?? 0);
    if (made > 0) upstream[action] = made;
  }
  return Response.json({
    n,
    upstream,
    d1Trips: b.d1.trips - d1Before,
    limiterCalls: b.limiter.calls - limiterBefore.calls,
    limiterWaves: b.limiter.waves - limiterBefore.waves,
    logLines: b.logLines - logBefore,
  });
}

export default {
  async fetch(request: Request, workerEnv: { DB: D1Database }, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/noop") return new Response("0");
    if (url.pathname === "/setup" && request.method === "POST") {
      bench = await makeBench((await request.json()) as Setup, workerEnv.DB, ctx);
      return Response.json({ verifiers: Object.keys(bench.verifiers), routes: ROUTES, primed: PRIMED, newUserEach: ["POST /platform/accounts"], opening: OPENING_EXAMPLE });
    }
    if (!bench) return new Response("POST /setup first", { status: 409 });
    const n = Number(url.searchParams.get("n") ?? "0");
    if (url.pathname === "/verify") return runVerify(bench, url.searchParams.get("impl") ?? "", n);
    if (url.pathname === "/counts") return Response.json({ upstream: bench.upstream, limiter: bench.limiter, logLines: bench.logLines });
    if (url.pathname === "/sample") return runApp(bench, url.searchParams.get("app") ?? "", url.searchParams.get("route") ?? "", n, ctx, url.searchParams.has("roundTrip"));
    return new Response("not found", { status: 404 });
  },
};
