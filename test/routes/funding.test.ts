// Bank links, the Plaid link token and transfers in workerd against real D1, with a scripted Broker
// API replaying its recorded answers, Plaid's recorded answers, and a scripted Cognito for the step up.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { brokerTransferKey } from "../../src/services/idempotency";
import { achRelationshipQueued, BROKER_ERRORS, tradeAccount, transferQueued } from "../fixtures/broker";
import { authenticationResult, challenge, RECORDED } from "../fixtures/cognito";
import { PLAID_ERRORS, plaidLinkTokenCreated, plaidProcessorTokenCreated, plaidPublicTokenExchanged } from "../fixtures/plaid";
import { observedDb } from "../support/brokerage";
import type { RecordedCall } from "../support/fake-upstream";
import { accountHolder, auditDetails, moneyTrail } from "../support/funding";
import { timingOut } from "../support/timeouts";
import { problemOf, settled, STRONG_PASSWORD, visibleAnswer } from "../support/worker";

const LINKS = "/platform/accounts/me/bank-links";
const TRANSFERS = "/platform/accounts/me/transfers";
const BANK = { account_owner_name: "John Doe", bank_account_type: "CHECKING", bank_account_number: "123456789abc", bank_routing_number: "121000358", nickname: "Checking" };
const LINK_VIEW = { id: achRelationshipQueued.id, status: "QUEUED", nickname: "Checking", bank_account_type: "CHECKING", account_number_last4: "9abc", created_at: achRelationshipQueued.created_at };
const APPROVED = { ...achRelationshipQueued, status: "APPROVED" };
const PLAID_BODY = { plaid_public_token: "public-sandbox-5c224a01-8314-4491-a06f-39e193d5cddc", plaid_account_id: "QPO8Jo8vdDHMepg41PBwckXm4KdK1yUdmXOwK" };
const DEPOSIT = { bank_link_id: achRelationshipQueued.id, amount: "500.00", direction: "INCOMING" };
const WITHDRAWAL = { ...DEPOSIT, direction: "OUTGOING", amount: "100.00" };
const key = () => crypto.randomUUID();

/** A transfer like the recorded one, made now. */
const transferNow = (overrides: Record<string, unknown> = {}) => ({ ...transferQueued, id: crypto.randomUUID(), created_at: new Date().toISOString(), ...overrides });
const viewOf = (transfer: typeof transferQueued) => ({ id: transfer.id, status: transfer.status, amount: transfer.amount, direction: transfer.direction, created_at: transfer.created_at });

describe("POST /platform/accounts/me/bank-links", () => {
  it("links by bank details: 201 with the last 4 only; the Broker API gets the details as sent", async () => {
    const user = await accountHolder({ "POST /v1/accounts/{id}/ach_relationships": [{ body: achRelationshipQueued }] });
    const res = await user.post(LINKS, BANK, key());
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(LINK_VIEW);
    expect(text).not.toMatch(/123456789abc|121000358/);
    const calls = (await user.calls()).filter((call) => call.action !== "JWKS" && call.action !== "GetUser");
    expect(calls.map((call) => [call.action, call.path, call.body])).toEqual([["POST /v1/accounts/{id}/ach_relationships", `/v1/accounts/${user.accountId}/ach_relationships`, BANK]]);
    expect(await moneyTrail(user.sub)).toEqual([{ action: "bank_link.create", outcome: "ok", idempotency_key: expect.any(String), amount: null, symbol: null }]);
  });

  it("links by Plaid: the public token for an access token, that for an Alpaca processor token, which goes to the Broker API; no token comes back", async () => {
    const plaidLink = { ...achRelationshipQueued, bank_account_type: "", bank_account_number: undefined, account_mask: "0000", nickname: "Plaid Checking" };
    const user = await accountHolder(
      {
        "POST /plaid/item/public_token/exchange": [{ body: plaidPublicTokenExchanged }],
        "POST /plaid/processor/token/create": [{ body: plaidProcessorTokenCreated }],
        "POST /v1/accounts/{id}/ach_relationships": [{ body: plaidLink }],
      },
      { plaid: true },
    );
    const res = await user.post(LINKS, PLAID_BODY, key());
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ...LINK_VIEW, bank_account_type: null, nickname: "Plaid Checking", account_number_last4: "0000" });
    expect(text).not.toMatch(/access-sandbox|processor-sandbox|public-sandbox/);
    const calls = (await user.calls()).filter((call) => call.action !== "JWKS" && call.action !== "GetUser");
    expect(calls.map((call) => [call.action, call.body])).toEqual([
      ["POST /plaid/item/public_token/exchange", { public_token: PLAID_BODY.plaid_public_token }],
      ["POST /plaid/processor/token/create", { access_token: plaidPublicTokenExchanged.access_token, account_id: PLAID_BODY.plaid_account_id, processor: "alpaca" }],
      ["POST /v1/accounts/{id}/ach_relationships", { processor_token: plaidProcessorTokenCreated.processor_token }],
    ]);
  });

  it("without Plaid's settings: a Plaid body is 503 naming them, bank details still link", async () => {
    const user = await accountHolder({ "POST /v1/accounts/{id}/ach_relationships": [{ body: achRelationshipQueued }] });
    const res = await user.post(LINKS, PLAID_BODY, key());
    expect(res.status).toBe(503);
    expect(await problemOf(res)).toMatchObject({ code: "not_configured", detail: "The service is not configured: set PLAID_CLIENT_ID, PLAID_SECRET." });
    expect((await user.post(LINKS, BANK, key())).status).toBe(201);
  });

  it("refuses an expired public token as bank_link_rejected, never repeating Plaid's message", async () => {
    const user = await accountHolder({ "POST /plaid/item/public_token/exchange": [PLAID_ERRORS.invalidPublicToken] }, { plaid: true });
    const res = await user.post(LINKS, PLAID_BODY, key());
    expect(res.status).toBe(422);
    const body = await problemOf(res);
    expect(body).toMatchObject({ code: "bank_link_rejected", detail: "The bank account could not be linked." });
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("checks the routing number's checksum and names each bad field, repeating no value; no Broker call", async () => {
    const user = await accountHolder();
    const res = await user.post(LINKS, { ...BANK, bank_routing_number: "121000359", bank_account_number: "12" }, key());
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    expect(body.errors).toEqual([
      { field: "bank_account_number", message: "bank_account_number must be 4 to 17 letters or digits" },
      { field: "bank_routing_number", message: "bank_routing_number must be a valid 9-digit ABA routing number" },
    ]);
    expect(JSON.stringify(body)).not.toMatch(/121000359/);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("answers the Broker API's one-active-link rule as 409 bank_link_exists", async () => {
    const user = await accountHolder({ "POST /v1/accounts/{id}/ach_relationships": [{ status: 409, body: { code: 40910000, message: "an active ach relationship already exists for this account" } }] });
    expect((await problemOf(await user.post(LINKS, BANK, key()))).code).toBe("bank_link_exists");
  });
});

describe("GET and DELETE bank links", () => {
  it("lists the links from D1, numbers masked; an account opened before D1 kept them has them filled from the Broker API once", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }] }, { opened: "before" });
    for (let i = 0; i < 2; i++) {
      const res = await user.call(LINKS);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ bank_links: [{ ...LINK_VIEW, status: "APPROVED" }] });
      expect(text).not.toMatch(/123456789abc|121000358/);
    }
    expect(await user.brokerTrail()).toEqual([`GET /v1/accounts/${user.accountId}/ach_relationships`]);
    expect(JSON.stringify(await env.DB.prepare("SELECT * FROM bank_links WHERE sub = ?").bind(user.sub).all())).not.toMatch(/123456789abc|121000358|John Doe/);
  });

  it("a link made is listed from D1, and one deleted is listed no more, with no Broker read", async () => {
    const user = await accountHolder({
      "POST /v1/accounts/{id}/ach_relationships": [{ body: achRelationshipQueued }],
      "DELETE /v1/accounts/{id}/ach_relationships/{id}": [{ status: 204 }],
      InitiateAuth: [authenticationResult()],
    });
    expect((await user.post(LINKS, BANK, key())).status).toBe(201);
    expect(await (await user.call(LINKS)).json()).toEqual({ bank_links: [LINK_VIEW] });
    expect((await user.send("DELETE", `${LINKS}/${achRelationshipQueued.id}`, { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await (await user.call(LINKS)).json()).toEqual({ bank_links: [] });
    expect((await user.brokerTrail()).filter((call) => call.startsWith("GET"))).toEqual([]);
  });

  it("deletes only after the step up: without a body 403 naming the password, with no call at all; wrong password 401; right one 204", async () => {
    const user = await accountHolder({ InitiateAuth: [RECORDED.wrongPassword, authenticationResult()], "DELETE /v1/accounts/{id}/ach_relationships/{id}": [{ status: 204 }] });
    const path = `${LINKS}/${achRelationshipQueued.id}`;
    const missing = await user.call(path, { method: "DELETE" });
    expect(missing.status).toBe(403);
    expect(await problemOf(missing)).toMatchObject({ code: "step_up_required", errors: [{ field: "password", message: "password is required to confirm it is you" }] });
    expect((await user.calls()).map((call) => call.action)).toEqual(["JWKS"]);
    expect((await problemOf(await user.send("DELETE", path, { password: "wrong-Horse-1" }))).code).toBe("invalid_credentials");
    expect(await user.brokerTrail()).toEqual([]);
    expect((await user.send("DELETE", path, { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await user.brokerTrail()).toEqual([`DELETE /v1/accounts/${user.accountId}/ach_relationships/${achRelationshipQueued.id}`]);
    expect((await moneyTrail(user.sub)).map((row) => row.outcome)).toEqual(["step_up_required", "invalid_credentials", "ok"]);
  });
});

describe("POST /platform/plaid/link-token", () => {
  it("gives Plaid Link's token for this user: client_user_id is the sub", async () => {
    const user = await accountHolder({ "POST /plaid/link/token/create": [{ body: plaidLinkTokenCreated }] }, { plaid: true });
    const res = await user.send("POST", "/platform/plaid/link-token", {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ link_token: plaidLinkTokenCreated.link_token, expiration: plaidLinkTokenCreated.expiration });
    const [call] = (await user.calls()).filter((recorded) => recorded.action.startsWith("POST /plaid"));
    expect(call!.body).toMatchObject({ user: { client_user_id: user.sub }, products: ["auth"], country_codes: ["US"] });
    expect(call!.headers).toMatchObject({ "plaid-client-id": "plaid-client-id-in-tests", "plaid-secret": "plaid-secret-never-shown" });
  });

  it("is 503 naming Plaid's settings without them", async () => {
    const user = await accountHolder();
    expect(await problemOf(await user.send("POST", "/platform/plaid/link-token", {}))).toMatchObject({ code: "not_configured", detail: "The service is not configured: set PLAID_CLIENT_ID, PLAID_SECRET." });
  });
});

describe("POST /platform/accounts/me/transfers", () => {
  const depositor = (more = {}) =>
    accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: transferQueued }], ...more });

  it("deposits: 201 {id, status, amount, direction, created_at}; the Broker API gets an ACH transfer on the link", async () => {
    const user = await depositor();
    const res = await user.post(TRANSFERS, DEPOSIT, key());
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(viewOf(transferQueued));
    const post = (await user.calls()).find((call) => call.action === "POST /v1/accounts/{id}/transfers");
    expect(post!.body).toEqual({ transfer_type: "ach", relationship_id: achRelationshipQueued.id, amount: "500.00", direction: "INCOMING" });
    expect(await moneyTrail(user.sub)).toEqual([{ action: "transfer.create", outcome: "ok", idempotency_key: expect.any(String), amount: "500.00", symbol: null }]);
  });

  it("writes what happened in the audit row: the direction, the bank link and the transfer's id, for a deposit and a withdrawal", async () => {
    const withdrawn = transferNow({ direction: "OUTGOING", amount: "100" });
    const user = await accountHolder({
      InitiateAuth: [authenticationResult()],
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
      "GET /v1/trading/accounts/{id}/account": [{ body: { ...tradeAccount, cash_withdrawable: "150.00" } }],
      "POST /v1/accounts/{id}/transfers": [{ body: transferQueued }, { body: withdrawn }],
    });
    const [k1, k2] = [key(), key()];
    expect((await user.post(TRANSFERS, DEPOSIT, k1)).status).toBe(201);
    expect((await user.post(TRANSFERS, { ...WITHDRAWAL, password: STRONG_PASSWORD }, k2)).status).toBe(201);
    const link = { bank_link_id: APPROVED.id, symbol: null, side: null, qty: null, order_type: null };
    expect(await auditDetails(user.sub)).toEqual([
      { action: "transfer.create", outcome: "ok", idempotency_key: k1, amount: "500.00", direction: "INCOMING", object_id: transferQueued.id, ...link },
      { action: "transfer.create", outcome: "ok", idempotency_key: k2, amount: "100.00", direction: "OUTGOING", object_id: withdrawn.id, ...link },
    ]);
    const activity = (await (await user.call("/platform/accounts/me/activity")).json()) as { events: Record<string, unknown>[] };
    expect(activity.events.find((event) => event.action === "transfer.create" && event.direction === "OUTGOING")).toMatchObject({
      amount: "100.00",
      bank_link_id: APPROVED.id,
      object_id: withdrawn.id,
      correlation_id: null,
    });
  });

  it("needs an Idempotency-Key of 1 to 255 visible characters", async () => {
    const user = await depositor();
    for (const headers of [{}, { "idempotency-key": "" }, { "idempotency-key": "x".repeat(256) }, { "idempotency-key": "two words" }] as Record<string, string>[]) {
      const res = await user.send("POST", TRANSFERS, DEPOSIT, headers);
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("idempotency_key_required");
    }
    expect((await user.post(TRANSFERS, DEPOSIT, "x".repeat(255))).status).toBe(201);
  });

  it("replays the same key and body byte for byte but the request id, marked Idempotency-Replayed: true, with no Broker call; another body is 422", async () => {
    const user = await depositor();
    const k = key();
    const first = await visibleAnswer(await user.post(TRANSFERS, DEPOSIT, k));
    const calls = (await user.brokerTrail()).length;
    const again = await user.post(TRANSFERS, { direction: "INCOMING", amount: "500.00", bank_link_id: DEPOSIT.bank_link_id }, k);
    expect(again.headers.get("x-request-id")).not.toBeNull();
    expect(first.headers["idempotency-replayed"]).toBeUndefined();
    expect(await visibleAnswer(again)).toEqual({ ...first, headers: { ...first.headers, "idempotency-replayed": "true" } });
    expect(await user.brokerTrail()).toHaveLength(calls);
    const other = await user.post(TRANSFERS, { ...DEPOSIT, amount: "500.01" }, k);
    expect(other.status).toBe(422);
    expect((await problemOf(other)).code).toBe("idempotency_key_reused");
    expect((await moneyTrail(user.sub)).map((row) => row.outcome)).toEqual(["ok", "replayed", "idempotency_key_reused"]);
  });

  it("writes one audit row for every request, also one refused before its flow ran (no key, a bad body)", async () => {
    const user = await depositor();
    const k = key();
    await user.send("POST", TRANSFERS, DEPOSIT);
    await user.post(TRANSFERS, { ...DEPOSIT, amount: "1e3" }, k);
    await user.post(TRANSFERS, DEPOSIT, k);
    expect(await moneyTrail(user.sub)).toEqual([
      { action: "transfer.create", outcome: "idempotency_key_required", idempotency_key: null, amount: null, symbol: null },
      { action: "transfer.create", outcome: "validation_failed", idempotency_key: k, amount: null, symbol: null },
      { action: "transfer.create", outcome: "ok", idempotency_key: k, amount: "500.00", symbol: null },
    ]);
  });

  it("makes one Broker call for ten concurrent requests with one key: one 201, the others 409 request_in_progress", async () => {
    // The Broker API holds the one create until the nine others have been answered: they all arrive while it runs.
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: transferQueued, holdUntilReleased: true }] });
    const k = key();
    const requests = Array.from({ length: 10 }, () => user.post(TRANSFERS, DEPOSIT, k));
    await settled(requests, 9);
    await user.release();
    const answers = await Promise.all(requests);
    expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    // Ten is also the per-user limit of transfers a minute: an eleventh would be 429.
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(1);
  });

  it.each([
    ["0.001", 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"'],
    ["1e3", 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"'],
    ["-1", 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"'],
    ["100.005", 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"'],
    ["0", 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"'],
    ["50000.01", "amount must be at most 50000.00"],
  ])("refuses amount %j with 400 naming it, before any Broker call", async (amount, message) => {
    const user = await depositor();
    const res = await user.post(TRANSFERS, { ...DEPOSIT, amount }, key());
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([{ field: "amount", message }]);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("refuses a number for the amount: decimal strings only", async () => {
    const user = await depositor();
    expect((await problemOf(await user.post(TRANSFERS, { ...DEPOSIT, amount: 500 }, key()))).errors).toEqual([{ field: "amount", message: 'amount must be a decimal string, e.g. "100.00"' }]);
  });

  it("takes MAX_TRANSFER_AMOUNT from the settings", async () => {
    const user = await depositor();
    const small = await accountHolder({}, { vars: { MAX_TRANSFER_AMOUNT: "250.00" } });
    expect((await problemOf(await small.post(TRANSFERS, DEPOSIT, key()))).errors).toEqual([{ field: "amount", message: "amount must be at most 250.00" }]);
    expect((await user.post(TRANSFERS, DEPOSIT, key())).status).toBe(201);
  });

  it("needs an ACTIVE account, checked before the bank link is looked up: 409 naming the status", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [{ body: { ...accountActiveLike(), status: "SUBMITTED" } }] }, { status: "SUBMITTED" });
    const res = await user.post(TRANSFERS, DEPOSIT, key());
    expect(res.status).toBe(409);
    expect(await problemOf(res)).toMatchObject({ code: "brokerage_account_not_active", detail: "The brokerage account is SUBMITTED, not ACTIVE." });
    expect(await user.brokerTrail()).toEqual([`GET /v1/accounts/${user.accountId}`]);
  });

  it("answers another account's bank link, or an unknown one, 404 bank_link_not_found with no transfer", async () => {
    const user = await depositor();
    const res = await user.post(TRANSFERS, { ...DEPOSIT, bank_link_id: crypto.randomUUID() }, key());
    expect(res.status).toBe(404);
    expect((await problemOf(res)).code).toBe("bank_link_not_found");
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toEqual([]);
  });
});

function accountActiveLike() {
  return { id: crypto.randomUUID(), account_number: "684486106", status: "ACTIVE", created_at: "2022-04-12T17:24:31.30283Z" };
}

describe("withdrawals", () => {
  const withdrawer = (cognito: Record<string, unknown[]> = {}, more = {}) =>
    accountHolder({
      ...cognito,
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
      "GET /v1/trading/accounts/{id}/account": [{ body: { ...tradeAccount, cash_withdrawable: "150.00" } }],
      "POST /v1/accounts/{id}/transfers": [{ body: transferNow({ direction: "OUTGOING", amount: "100" }) }],
      ...more,
    } as never);

  it("needs the password: 403 step_up_required naming it, no sign-in or Broker call", async () => {
    const user = await withdrawer();
    const res = await user.post(TRANSFERS, WITHDRAWAL, key());
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toMatchObject({ code: "step_up_required", errors: [{ field: "password", message: "password is required to confirm it is you" }] });
    // GetUser: requireVerifiedEmail.
    expect((await user.calls()).map((call) => call.action)).toEqual(["JWKS", "GetUser"]);
  });

  it("needs the code when TOTP is on: 403 naming it after the password; a wrong code is 401 invalid_mfa_code; no Broker call", async () => {
    const user = await withdrawer({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [RECORDED.mfaCodeMismatch] });
    const missing = await user.post(TRANSFERS, { ...WITHDRAWAL, password: STRONG_PASSWORD }, key());
    expect(missing.status).toBe(403);
    expect((await problemOf(missing)).errors).toEqual([{ field: "code", message: "code is required: TOTP is on for this account" }]);
    const wrong = await user.post(TRANSFERS, { ...WITHDRAWAL, password: STRONG_PASSWORD, code: "123456" }, key());
    expect(wrong.status).toBe(401);
    expect((await problemOf(wrong)).code).toBe("invalid_mfa_code");
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("refuses a wrong password 401 invalid_credentials, with no Broker call", async () => {
    const user = await withdrawer({ InitiateAuth: [RECORDED.wrongPassword] });
    expect((await problemOf(await user.post(TRANSFERS, { ...WITHDRAWAL, password: "wrong-Horse-1" }, key()))).code).toBe("invalid_credentials");
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("withdraws with the password (and code) up to the cash withdrawable; above it 422 insufficient_funds before any transfer call", async () => {
    const user = await withdrawer({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()] });
    const ok = await user.post(TRANSFERS, { ...WITHDRAWAL, password: STRONG_PASSWORD, code: "123456" }, key());
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ direction: "OUTGOING", amount: "100" });
    const over = await user.post(TRANSFERS, { ...WITHDRAWAL, amount: "150.01", password: STRONG_PASSWORD, code: "654321" }, key());
    expect(over.status).toBe(422);
    expect((await problemOf(over)).code).toBe("insufficient_funds");
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(1);
  });

  // Issue 21: the same password and code cannot authorise two withdrawals.
  it("accepts a code once: the same password and code again is 401, one transfer; concurrently, one of two passes", async () => {
    const totpOn = { InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()] };
    const user = await withdrawer(totpOn);
    const withCode = (code: string) => ({ ...WITHDRAWAL, password: STRONG_PASSWORD, code });
    expect((await user.post(TRANSFERS, withCode("123456"), key())).status).toBe(201);
    const again = await user.post(TRANSFERS, withCode("123456"), key());
    expect([again.status, (await problemOf(again)).detail]).toEqual([401, "This code has already been used; wait for the authenticator's next code."]);
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(1);

    const racing = await Promise.all([key(), key()].map((idempotencyKey) => user.post(TRANSFERS, withCode("777777"), idempotencyKey)));
    expect(racing.map((res) => res.status).sort()).toEqual([201, 401]);
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(2);
    expect((await moneyTrail(user.sub)).map((row) => row.outcome).sort()).toEqual(["invalid_mfa_code", "invalid_mfa_code", "ok", "ok"]);
  });

  it("maps the Broker API's own refusal for funds to insufficient_funds", async () => {
    const user = await withdrawer({ InitiateAuth: [authenticationResult()] }, { "POST /v1/accounts/{id}/transfers": [{ status: 403, body: { code: 40310000, message: "insufficient funds" } }] });
    expect((await problemOf(await user.post(TRANSFERS, { ...WITHDRAWAL, password: STRONG_PASSWORD }, key()))).code).toBe("insufficient_funds");
  });
});

/** The Broker Idempotency-Key of each transfer create the Broker API received, in order. */
async function brokerKeys(user: { calls: () => Promise<RecordedCall[]> }) {
  return (await user.calls()).filter((call) => call.action === "POST /v1/accounts/{id}/transfers").map((call) => call.headers["idempotency-key"]);
}

/** A version 5 UUID: what a Broker Idempotency-Key of ours looks like (36 characters). */
const V5_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Broker API's answer to a replay of a transfer's Idempotency-Key (broker-api.md section 8). */
const replayOf = (transfer: object, status = "PENDING") => ({ body: { ...transfer, status }, headers: { "idempotency-replayed": "true" } });

describe("the Broker API's Idempotency-Key on every transfer create", () => {
  it("sends a 36-character key derived from the user and our key: the same for the same pair, another for another key or user", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: transferNow() }] });
    const other = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: transferNow() }] });
    const [k1, k2] = [key(), key()];
    for (const k of [k1, k2]) expect((await user.post(TRANSFERS, DEPOSIT, k)).status).toBe(201);
    expect((await other.post(TRANSFERS, DEPOSIT, k1)).status).toBe(201);
    const [mine1, mine2] = await brokerKeys(user);
    const [theirs] = await brokerKeys(other);
    for (const sent of [mine1, mine2, theirs]) expect(sent).toMatch(V5_UUID);
    expect(new Set([mine1, mine2, theirs]).size).toBe(3);
    // Deterministic: the same pair always gives the same key (here, through the service's own function).
    expect(mine1).toBe(await brokerTransferKey(user.sub, k1));
  });

  it("a first try that reaches the Broker API after our 504, then the retry: the retry resends the key and gets the first transfer, one transfer, recorded as recovered", async () => {
    const made = transferNow({ amount: "500" });
    const user = await accountHolder(
      {
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
        // The first create arrives late: the Broker API makes it only once the retry has been sent, after our timeout;
        // the retry, with the same key, is answered with it.
        "POST /v1/accounts/{id}/transfers": [{ body: made, holdUntilNext: true }, replayOf(made)],
        "GET /v1/accounts/{id}/transfers": [{ body: [made] }],
      },
    );
    const k = key();
    const first = await timingOut(() => user.post(TRANSFERS, DEPOSIT, k));
    expect([first.status, (await problemOf(first)).code]).toEqual([504, "upstream_timeout"]);
    const retry = await user.post(TRANSFERS, DEPOSIT, k);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual({ ...viewOf(made as typeof transferQueued), status: "PENDING" });
    const [sent, resent] = await brokerKeys(user);
    expect(sent).toMatch(V5_UUID);
    expect(resent).toBe(sent);
    // No list-and-adopt: the Broker API's key answers the retry.
    expect((await user.brokerTrail()).filter((call) => call.includes("/transfers?"))).toEqual([]);
    expect(await (await user.post(TRANSFERS, DEPOSIT, k)).json()).toEqual({ ...viewOf(made as typeof transferQueued), status: "PENDING" });
    expect((await auditDetails(user.sub)).map((row) => [row.outcome, row.object_id])).toEqual([
      ["upstream_timeout", null],
      ["recovered", made.id],
      ["replayed", made.id],
    ]);
  });

  it("a retry does not adopt another key's identical transfer made meanwhile", async () => {
    const othersTransfer = transferNow({ amount: "500" });
    const mine = transferNow({ amount: "500" });
    const user = await accountHolder(
      {
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
        // Key A's try and key B's first try both time out; the Broker API made A's (same link, amount, direction).
        "POST /v1/accounts/{id}/transfers": [{ hang: true }, { hang: true }, { body: mine }],
        "GET /v1/accounts/{id}/transfers": [{ body: [othersTransfer] }],
      },
    );
    const [a, b] = [key(), key()];
    expect((await timingOut(() => user.post(TRANSFERS, DEPOSIT, a))).status).toBe(504);
    expect((await timingOut(() => user.post(TRANSFERS, DEPOSIT, b))).status).toBe(504);
    const retry = await user.post(TRANSFERS, DEPOSIT, b);
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as { id: string }).id).toBe(mine.id);
    const [keyA, keyB, keyBAgain] = await brokerKeys(user);
    expect(keyBAgain).toBe(keyB);
    expect(keyA).not.toBe(keyB);
  });

  it("retries a withdrawal that already happened without our cash check refusing it: straight to the Broker API with the same key", async () => {
    const made = transferNow({ direction: "OUTGOING", amount: "100" });
    const user = await accountHolder(
      {
        InitiateAuth: [authenticationResult()],
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
        // 150.00 withdrawable before, nothing once the first try's withdrawal is made.
        "GET /v1/trading/accounts/{id}/account": [{ body: { ...tradeAccount, cash_withdrawable: "150.00" } }, { body: { ...tradeAccount, cash_withdrawable: "50.00" } }],
        "POST /v1/accounts/{id}/transfers": [{ body: made, holdUntilNext: true }, replayOf(made, "QUEUED")],
      },
    );
    const k = key();
    const body = { ...WITHDRAWAL, password: STRONG_PASSWORD };
    expect((await timingOut(() => user.post(TRANSFERS, body, k))).status).toBe(504);
    const retry = await user.post(TRANSFERS, body, k);
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as { id: string }).id).toBe(made.id);
    expect((await user.brokerTrail()).filter((call) => call.includes("/trading/accounts/"))).toHaveLength(1);
  });

  it("answers the Broker API's 422 for the key sent with another body as idempotency_key_reused, never with a fresh key", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [BROKER_ERRORS.idempotencyKeyReused] });
    const res = await user.post(TRANSFERS, DEPOSIT, key());
    expect(res.status).toBe(422);
    expect((await problemOf(res)).code).toBe("idempotency_key_reused");
    expect(await brokerKeys(user)).toHaveLength(1);
  });

  it("still answers the Broker API's documented refusals of a transfer as transfer_rejected, in our words", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [BROKER_ERRORS.transferRelationshipInvalid] });
    expect(await problemOf(await user.post(TRANSFERS, DEPOSIT, key()))).toMatchObject({ code: "transfer_rejected", detail: "The broker refused the transfer: The bank link cannot be used for transfers." });
  });

  it("after D1 failed to record a transfer the Broker API made, the retry records it: a row marked recovered", async () => {
    const made = transferNow({ amount: "500" });
    // The claim's batch passes; the next one, the answer and its audit row, fails as a lost connection would.
    const { db } = observedDb(1, 1);
    const user = await accountHolder(
      { "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: made }, replayOf(made, "QUEUED")] },
      { vars: { DB: db } },
    );
    const k = key();
    expect((await user.post(TRANSFERS, DEPOSIT, k)).status).toBe(500);
    const retry = await user.post(TRANSFERS, DEPOSIT, k);
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as { id: string }).id).toBe(made.id);
    const [sent, resent] = await brokerKeys(user);
    expect(resent).toBe(sent);
    expect(await auditDetails(user.sub)).toEqual([
      expect.objectContaining({ outcome: "internal_error", object_id: null }),
      { action: "transfer.create", outcome: "recovered", idempotency_key: k, amount: "500.00", symbol: null, direction: "INCOMING", bank_link_id: APPROVED.id, object_id: made.id, side: null, qty: null, order_type: null },
    ]);
  });
});

describe("one X-Request-Id sent twice with one Idempotency-Key", () => {
  it("makes one transfer and one ok row: the claim's holder is the server's request id, not the client's header", async () => {
    const user = await accountHolder({
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
      // Held until the other request has been answered: the two overlap.
      "POST /v1/accounts/{id}/transfers": [{ body: transferQueued, holdUntilReleased: true }, { body: transferNow() }],
      "GET /v1/accounts/{id}/transfers": [{ body: [] }],
    });
    const k = key();
    const headers = { "idempotency-key": k, "x-request-id": "client-trace-1" };
    const requests = [user.send("POST", TRANSFERS, DEPOSIT, headers), user.send("POST", TRANSFERS, DEPOSIT, headers)];
    await settled(requests, 1);
    await user.release();
    const answers = await Promise.all(requests);
    const statuses = answers.map((res) => res.status).sort();
    // The second is refused while the first runs: never a transfer of its own.
    expect(statuses).toEqual([201, 409]);
    expect(await brokerKeys(user)).toHaveLength(1);
    const ids = answers.map((res) => res.headers.get("x-request-id"));
    expect(ids[0]).not.toBe(ids[1]);
    const { results } = await env.DB.prepare("SELECT outcome, request_id, correlation_id FROM audit_events WHERE sub = ? ORDER BY id").bind(user.sub).all();
    expect(results.filter((row) => row.outcome === "ok")).toHaveLength(1);
    expect(results.map((row) => row.correlation_id)).toEqual(["client-trace-1", "client-trace-1"]);
    expect(new Set(results.map((row) => row.request_id))).toEqual(new Set(ids));
  });
});

describe("a bank link whose Broker call timed out", () => {
  it("is found by the retry with the same key by its details (routing number, last 4, type), not made twice", async () => {
    const made = { ...achRelationshipQueued, id: crypto.randomUUID(), created_at: new Date().toISOString() };
    const rejected = { ...achRelationshipQueued, id: crypto.randomUUID(), status: "REJECTED" };
    const otherBank = { ...achRelationshipQueued, id: crypto.randomUUID(), bank_account_number: "99990000", bank_routing_number: "026009593" };
    const user = await accountHolder(
      {
        "POST /v1/accounts/{id}/ach_relationships": [{ hang: true }, { body: achRelationshipQueued }],
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [rejected, otherBank, made] }],
      },
    );
    const k = key();
    expect((await timingOut(() => user.post(LINKS, BANK, k))).status).toBe(504);
    const retry = await user.post(LINKS, BANK, k);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual({ ...LINK_VIEW, id: made.id, created_at: made.created_at });
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(1);
    expect((await auditDetails(user.sub)).map((row) => [row.outcome, row.object_id])).toEqual([
      ["upstream_timeout", null],
      ["recovered", made.id],
    ]);
  });

  it("makes the link on the retry when none with its details exists", async () => {
    const otherBank = { ...achRelationshipQueued, id: crypto.randomUUID(), bank_account_number: "99990000", bank_routing_number: "026009593" };
    const user = await accountHolder(
      { "POST /v1/accounts/{id}/ach_relationships": [{ hang: true }, { body: achRelationshipQueued }], "GET /v1/accounts/{id}/ach_relationships": [{ body: [otherBank] }] },
    );
    const k = key();
    expect((await timingOut(() => user.post(LINKS, BANK, k))).status).toBe(504);
    expect(await (await user.post(LINKS, BANK, k)).json()).toEqual(LINK_VIEW);
    expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(2);
  });
});

describe("GET and DELETE transfers", () => {
  it("lists 50 a page from D1, newest first, with the next page's cursor", async () => {
    const page = Array.from({ length: 51 }, (_, index) => transferNow({ created_at: `2026-12-01T09:${String(59 - index).padStart(2, "0")}:00Z` }));
    const user = await accountHolder({ "GET /v1/accounts/{id}/transfers": [{ body: page }] }, { opened: "before" });
    const first = (await (await user.call(TRANSFERS)).json()) as { transfers: { id: string }[]; next_cursor: string };
    expect(first.transfers.map((transfer) => transfer.id)).toEqual(page.slice(0, 50).map((transfer) => transfer.id));
    expect(first.next_cursor).toBe("50");
    expect(await (await user.call(`${TRANSFERS}?cursor=50`)).json()).toEqual({ transfers: [viewOf(page[50]!)], next_cursor: null });
    expect(await user.brokerTrail()).toEqual([`GET /v1/accounts/${user.accountId}/transfers?limit=100&offset=0`]);
    expect((await problemOf(await user.call(`${TRANSFERS}?cursor=abc`))).code).toBe("validation_failed");
  });

  it("reads one of the account's transfers from D1; an unknown id is 404", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/transfers": [{ body: [transferQueued] }] }, { opened: "before" });
    expect(await (await user.call(`${TRANSFERS}/${transferQueued.id}`)).json()).toEqual(viewOf(transferQueued));
    expect((await problemOf(await user.call(`${TRANSFERS}/${crypto.randomUUID()}`))).code).toBe("transfer_not_found");
    expect((await problemOf(await user.call(`${TRANSFERS}/not-a-uuid`))).code).toBe("transfer_not_found");
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("an account opened before D1 kept transfers has every page of them filled once, up to 20 pages of 100; a deposit made is read from D1", async () => {
    const hundred = Array.from({ length: 100 }, () => transferNow());
    const user = await accountHolder(
      {
        "GET /v1/accounts/{id}/transfers": [{ body: hundred }, { body: [...hundred.slice(1), transferQueued] }, { body: [] }],
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
        "POST /v1/accounts/{id}/transfers": [{ body: transferNow({ id: crypto.randomUUID() }) }],
      },
      { opened: "before" },
    );
    expect(await (await user.call(`${TRANSFERS}/${transferQueued.id}`)).json()).toEqual(viewOf(transferQueued));
    expect((await problemOf(await user.call(`${TRANSFERS}/${crypto.randomUUID()}`))).code).toBe("transfer_not_found");
    const offsets = (await user.brokerTrail()).map((call) => new URL(call.split(" ")[1]!, "http://broker").searchParams.get("offset"));
    expect(offsets).toEqual(["0", "100", "200"]);
    const made = (await (await user.post(TRANSFERS, DEPOSIT, key())).json()) as { id: string };
    expect(await (await user.call(`${TRANSFERS}/${made.id}`)).json()).toEqual(made);
    expect((await user.brokerTrail()).filter((call) => call.startsWith("GET") && call.includes("/transfers"))).toHaveLength(3);
  });

  it("cancels one still QUEUED (204); one past it is 409", async () => {
    const user = await accountHolder({
      "DELETE /v1/accounts/{id}/transfers/{id}": [{ status: 204 }, { status: 422, body: { code: 40010001, message: "transfer is COMPLETE and can no longer be canceled" } }],
    });
    expect((await user.call(`${TRANSFERS}/${transferQueued.id}`, { method: "DELETE" })).status).toBe(204);
    const late = await user.call(`${TRANSFERS}/${transferQueued.id}`, { method: "DELETE" });
    expect(late.status).toBe(409);
    expect((await problemOf(late)).code).toBe("transfer_not_cancellable");
  });
});

// Issue 21: requireVerifiedEmail guards every route that moves money, not only opening: a user whose
// address is unverified cannot receive the notices that are the defence against a stolen token.
describe("requireVerifiedEmail on every route that moves money", () => {
  const routes: [string, string, unknown][] = [
    ["POST", LINKS, BANK],
    ["POST", TRANSFERS, DEPOSIT],
    ["POST", "/platform/accounts/me/orders", { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", qty: "1" }],
    ["DELETE", "/platform/accounts/me/positions/AAPL", undefined],
  ];

  it("refuses each with 403 email_not_verified for an unverified email, before any Broker call, with its audit row", async () => {
    const user = await accountHolder({}, { verified: false });
    for (const [method, path, body] of routes) {
      const res = body === undefined ? await user.call(path, { method }) : await user.send(method, path, body, { "idempotency-key": key() });
      expect([method, path, res.status, (await problemOf(res)).code]).toEqual([method, path, 403, "email_not_verified"]);
    }
    expect(await user.brokerTrail()).toEqual([]);
    expect((await moneyTrail(user.sub)).map((row) => [row.action, row.outcome])).toEqual([
      ["bank_link.create", "email_not_verified"],
      ["transfer.create", "email_not_verified"],
      ["order.create", "email_not_verified"],
      ["position.close", "email_not_verified"],
    ]);
  });

  it("lets a verified email through to the flow", async () => {
    const user = await accountHolder({ "POST /v1/accounts/{id}/ach_relationships": [{ body: achRelationshipQueued }] });
    expect((await user.post(LINKS, BANK, key())).status).toBe(201);
  });

  it("leaves reads and cancels to an unverified email: they move nothing", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [] }] }, { verified: false });
    expect((await user.call(LINKS)).status).toBe(200);
  });
});
