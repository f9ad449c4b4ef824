// A signed-in user on a scripted Cognito (own-pool.ts) and a scripted Broker API on the same fake
// upstream, for the brokerage routes; D1 is the test's real database.
import { env } from "cloudflare:workers";
import { getUserResult } from "../fixtures/cognito";
import type { RecordedCall, Reply } from "./fake-upstream";
import { bearer, ownPool } from "./own-pool";
import { apiWith, jsonInit, uniqueEmail } from "./worker";

/** Distinctive, so that tests can prove no answer or log line carries them. */
export const BROKER_KEYS = { APCA_BROKER_API_KEY: "PKTESTBROKERKEYNEVERSHOWN", APCA_BROKER_API_SECRET: "broker-secret-never-in-a-response" };

/** The Basic auth header the Broker API must receive. */
export const BROKER_AUTH = `Basic ${btoa(`${BROKER_KEYS.APCA_BROKER_API_KEY}:${BROKER_KEYS.APCA_BROKER_API_SECRET}`)}`;

/** The opening body of the issue, with the personal data the log scans look for. */
export const OPENING = {
  contact: { phone_number: "+15555550100", street_address: ["20 N San Mateo Dr"], unit: "Apt 1", city: "San Mateo", state: "CA", postal_code: "94401" },
  identity: {
    given_name: "Ann",
    family_name: "Lee",
    date_of_birth: "1990-01-01",
    tax_id: "666-55-4321",
    tax_id_type: "USA_SSN",
    country_of_citizenship: "USA",
    country_of_birth: "USA",
    country_of_tax_residence: "USA",
    funding_source: ["employment_income"],
  },
  disclosures: { is_control_person: false, is_affiliated_exchange_or_finra: false, is_politically_exposed: false, immediate_family_exposed: false },
  agreements: ["customer_agreement", "margin_agreement"],
};

export const isBrokerCall = (call: RecordedCall) => /^(GET|POST|PATCH|DELETE) \/v1\//.test(call.action);

export interface BrokerUserOptions {
  email?: string;
  verified?: boolean;
  /** More Worker variables, e.g. UPSTREAM_TIMEOUT_MS, or DB replaced. */
  vars?: Record<string, unknown>;
}

/** A user whose email Cognito (GetUser) says is verified, with the Broker API answering `replies`. */
export async function brokerUser(replies: Record<string, Reply[]>, options: BrokerUserOptions = {}) {
  const email = options.email ?? uniqueEmail("broker");
  const pool = await ownPool({ GetUser: [getUserResult(email, { verified: options.verified ?? true })], ...replies });
  const vars = { ...pool.upstream.vars, BROKER_API_URL: pool.upstream.base, ...BROKER_KEYS, ...options.vars };
  const auth = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...bearer(pool.token), ...init.headers } });
  return {
    email,
    sub: pool.claims.sub as string,
    vars,
    call: (path: string, init?: RequestInit) => apiWith(vars, path, auth(init)),
    send: (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => apiWith(vars, path, auth(jsonInit(body, { method, headers }))),
    open: (body: unknown = OPENING, headers: Record<string, string> = {}) => apiWith(vars, "/platform/accounts", auth(jsonInit(body, { headers }))),
    calls: () => pool.upstream.calls(),
    brokerCalls: async () => (await pool.upstream.calls()).filter(isBrokerCall),
  };
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
export function brokerAccount(base: Record<string, unknown>, email: string, id = crypto.randomUUID()) {
  return { ...base, id, contact: { ...(base.contact as object), email_address: email } };
}
