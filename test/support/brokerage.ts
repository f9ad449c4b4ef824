// A signed-in user on a scripted Cognito (own-pool.ts) and a scripted Broker API on the same fake
// upstream, for the brokerage routes; D1 is the test's real database.
import { env } from "cloudflare:workers";
import { OPEN_ACCOUNT_EXAMPLE } from "../../src/docs/routes/brokerage";
import { getUserResult } from "../fixtures/cognito";
import type { RecordedCall, Reply } from "./fake-upstream";
import { accessClaims, jwksOf, makeKey, sign, verifierConfig } from "./keys";
import { bearer } from "./own-pool";
import { apiWith, jsonInit, scenario, uniqueEmail } from "./worker";

/** Distinctive, so that tests can prove no answer or log line carries them. */
export const BROKER_KEYS = { APCA_BROKER_API_KEY: "PKTESTBROKERKEYNEVERSHOWN", APCA_BROKER_API_SECRET: "broker-secret-never-in-a-response" };

/** The Basic auth header the Broker API must receive. */
export const BROKER_AUTH = `Basic ${btoa(`${BROKER_KEYS.APCA_BROKER_API_KEY}:${BROKER_KEYS.APCA_BROKER_API_SECRET}`)}`;

/** The opening body of the issue, as the docs show it, with the personal data the log scans look for. */
export const OPENING = OPEN_ACCOUNT_EXAMPLE;

export const isBrokerCall = (call: RecordedCall) => /^(GET|POST|PATCH|DELETE) \/v1\//.test(call.action);

export interface BrokerUserOptions {
  email?: string;
  verified?: boolean;
  /** More Worker variables, e.g. DB replaced. */
  vars?: Record<string, unknown>;
}

/** One signing key for every such user (each on a pool, so an issuer, of its own): an RSA key takes long to make. */
const signingKey = makeKey();

/** A user whose email Cognito (GetUser) says is verified, with the Broker API answering `replies`. */
export async function brokerUser(replies: Record<string, Reply[]>, options: BrokerUserOptions = {}) {
  const email = options.email ?? uniqueEmail("broker");
  const key = await signingKey;
  const upstream = await scenario({ JWKS: [{ status: 200, body: jwksOf(key) }], GetUser: [getUserResult(email, { verified: options.verified ?? true })], ...replies });
  const claims = accessClaims(verifierConfig(upstream.vars));
  const pool = { upstream, token: await sign(key, claims) };
  const vars = { ...upstream.vars, BROKER_API_URL: upstream.base, ...BROKER_KEYS, ...options.vars };
  const auth = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...bearer(pool.token), ...init.headers } });
  return {
    email,
    sub: claims.sub as string,
    token: pool.token,
    vars,
    call: (path: string, init?: RequestInit) => apiWith(vars, path, auth(init)),
    send: (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => apiWith(vars, path, auth(jsonInit(body, { method, headers }))),
    open: (body: unknown = OPENING, headers: Record<string, string> = {}) => apiWith(vars, "/platform/accounts", auth(jsonInit(body, { headers }))),
    calls: () => pool.upstream.calls(),
    /** Lets the answers scripted holdUntilReleased go, now and from now on. */
    release: () => pool.upstream.release(),
    brokerCalls: async () => (await pool.upstream.calls()).filter(isBrokerCall),
  };
}

/** Every row of every D1 table, as one JSON text: for scans of what must never be stored. */
export async function everyRowStored(): Promise<string> {
  const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const dump: unknown[] = [];
  for (const { name } of tables) dump.push((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
  return JSON.stringify(dump);
}

/** The user's D1 row, or null. */
export function accountRow(sub: string) {
  return env.DB.prepare("SELECT * FROM brokerage_accounts WHERE sub = ?").bind(sub).first<Record<string, unknown>>();
}

/** The user's audit rows, oldest first: action and outcome. */
export async function auditTrail(sub: string): Promise<[string, string][]> {
  const { results } = await env.DB.prepare("SELECT action, outcome FROM audit_events WHERE sub = ? ORDER BY id").bind(sub).all<{ action: string; outcome: string }>();
  return results.map((row) => [row.action, row.outcome]);
}

/** A Broker API account like the recorded one, with this user's email and its own id. */
export function brokerAccount<Account extends { contact: object }>(base: Account, email: string, id = crypto.randomUUID()) {
  return { ...base, id, contact: { ...base.contact, email_address: email } };
}

/**
 * The test database behind a proxy that records each round trip (a statement run alone, or a batch)
 * as the first words of its statements, and can fail `failBatches` batches, after the first
 * `passBatches`, as a lost connection would: D1 as a budget counts it, and D1 going away between two writes.
 */
export function observedDb(failBatches = 0, passBatches = 0) {
  const trips: string[][] = [];
  const real = new WeakMap<object, D1PreparedStatement>();
  const verb = (sql: string) => sql.trim().split(/\s+/).slice(0, 3).join(" ");
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, name) {
        if (name === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        const value = Reflect.get(target, name, target) as unknown;
        if (typeof value !== "function") return value;
        if (name === "first" || name === "run" || name === "all" || name === "raw") {
          return (...args: unknown[]) => {
            trips.push([verb(sql)]);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    real.set(proxy, statement);
    sqlOf.set(proxy, sql);
    return proxy;
  };
  const sqlOf = new WeakMap<object, string>();
  let passesLeft = passBatches;
  let failuresLeft = failBatches;
  const db = new Proxy(env.DB, {
    get(target, name) {
      if (name === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (name === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          trips.push(statements.map((statement) => verb(sqlOf.get(statement) ?? "")));
          if (passesLeft-- <= 0 && failuresLeft-- > 0) throw new Error("D1_ERROR: Network connection lost.");
          return target.batch(statements.map((statement) => real.get(statement) ?? statement));
        };
      }
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, trips };
}
