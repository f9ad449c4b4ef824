// A signed-in user with an ACTIVE brokerage account recorded in D1, a scripted Broker API (and
// Plaid, and Cognito for the step up) on the fake upstream: for the funding and trading routes.
import { env } from "cloudflare:workers";
import type { Reply } from "./fake-upstream";
import { brokerUser, isBrokerCall } from "./brokerage";

/** Plaid as the stand-in's /plaid/ would be configured; distinctive so scans can find them. */
export const PLAID_KEYS = { PLAID_CLIENT_ID: "plaid-client-id-in-tests", PLAID_SECRET: "plaid-secret-never-shown" };

/**
 * A user whose brokerage account (its own Broker API id) D1 records with `status`. `opened: "before"`:
 * an account opened before D1 kept orders, transfers and bank links (issue 23), whose first read of
 * each fills them from the Broker API; otherwise D1 holds all of them (none, until the test makes some).
 */
export async function accountHolder(
  replies: Record<string, Reply[]> = {},
  options: { status?: string; vars?: Record<string, unknown>; plaid?: boolean; verified?: boolean; opened?: "before" } = {},
) {
  const user = await brokerUser(replies, { vars: options.vars, verified: options.verified });
  // Plaid on the same scenario, below /plaid (as `npm run dev` points it at the stand-in's); set before the first request.
  if (options.plaid) Object.assign(user.vars, PLAID_KEYS, { PLAID_API_URL: `${user.vars.BROKER_API_URL}/plaid` });
  const accountId = crypto.randomUUID();
  const at = new Date().toISOString();
  const filled = options.opened === "before" ? 0 : 1;
  await env.DB.prepare(
    "INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, created_at, updated_at, orders_filled, transfers_filled, bank_links_filled) VALUES (?1, ?2, '684486106', ?3, ?4, ?5, ?6, ?6, ?6)",
  )
    .bind(user.sub, accountId, options.status ?? "ACTIVE", at, at, filled)
    .run();
  return {
    ...user,
    accountId,
    /** A POST with its Idempotency-Key. */
    post: (path: string, body: unknown, key: string) => user.send("POST", path, body, { "idempotency-key": key }),
    /** The Broker API calls, as "METHOD path" (paths with this user's ids, queries included). */
    brokerTrail: async () => (await user.calls()).filter(isBrokerCall).map((call) => `${call.action.split(" ")[0]} ${call.path}`),
  };
}

/** The user's audit rows, oldest first: action, outcome, key, amount, symbol. */
export async function moneyTrail(sub: string) {
  const { results } = await env.DB.prepare("SELECT action, outcome, idempotency_key, amount, symbol FROM audit_events WHERE sub = ? ORDER BY id").bind(sub).all();
  return results;
}

/** The user's audit rows, oldest first, with what was moved or traded and the Broker object's id. */
export async function auditDetails(sub: string) {
  const { results } = await env.DB.prepare(
    "SELECT action, outcome, idempotency_key, amount, symbol, direction, bank_link_id, side, qty, order_type, object_id FROM audit_events WHERE sub = ? ORDER BY id",
  )
    .bind(sub)
    .all();
  return results;
}
