// The Broker API client against the Broker API's recorded answers (test/fixtures/broker.ts), replayed
// by the fake upstream: what it sends (method, path, Basic auth, body), what it reads, how it fails.
import { describe, expect, it, vi } from "vitest";
import { openBroker } from "../../src/broker/accounts";
import { BrokerError, fieldsNamedIn } from "../../src/broker/errors";
import type { RequestScope } from "../../src/upstream";
import { accountActive, accountCreated, BROKER_ERRORS, tradeAccount } from "../fixtures/broker";
import type { Reply } from "../support/fake-upstream";
import { secondsLeftAround } from "../support/timeouts";
import { BROKER_AUTH, BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";

const ID = accountCreated.id;

const requestScope = (): RequestScope => ({ budgetEndsAt: Date.now() + 5_000, calls: [], clearance: Promise.resolve() });

async function broker(replies: Record<string, Reply[]>, { timeoutMs = 2_000 } = {}) {
  const upstream = await scenario(replies);
  const scope = requestScope();
  const config = { url: upstream.base, keyId: BROKER_KEYS.APCA_BROKER_API_KEY, secret: BROKER_KEYS.APCA_BROKER_API_SECRET };
  return { accounts: openBroker(config, scope, timeoutMs), scope, config, calls: () => upstream.calls() };
}

describe("the Broker API client, on recorded answers", () => {
  it("creates an account: POST /v1/accounts with Basic auth and the body as given, read as the recorded answer says", async () => {
    const { accounts, calls, scope } = await broker({ "POST /v1/accounts": [{ status: 200, body: accountCreated }] });
    const body = { contact: { email_address: "ann@example.com" } } as never;
    const account = await accounts.create(body);
    expect(account).toEqual({
      id: ID,
      account_number: "682389557",
      status: "SUBMITTED",
      created_at: "2022-04-12T17:24:31.30283Z",
      contact: { email_address: "cool_alpaca@example.com" },
      identity: { given_name: "John", family_name: "Doe", date_of_birth: "1990-01-01" },
      agreements: [{ agreement: "customer_agreement", signed_at: "2020-09-11T18:13:44Z" }],
    });
    const [call] = await calls();
    expect([call!.action, call!.path, call!.body]).toEqual(["POST /v1/accounts", "/v1/accounts", body]);
    expect(call!.headers).toMatchObject({ authorization: BROKER_AUTH, "content-type": "application/json", accept: "application/json" });
    expect(scope.calls.map(({ action, status }) => [action, status])).toEqual([["CreateAccount", 200]]);
  });

  it("reads an account (AccountExtended) and the trading account, amounts as the recorded strings", async () => {
    const { accounts, calls } = await broker({
      "GET /v1/accounts/{id}": [{ status: 200, body: accountActive }],
      "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: tradeAccount }],
    });
    expect((await accounts.get(ID)).status).toBe("ACTIVE");
    const { id: _, account_number: __, ...amounts } = tradeAccount;
    expect(await accounts.trading(ID)).toEqual(amounts);
    expect((await calls()).map((call) => call.path)).toEqual([`/v1/accounts/${ID}`, `/v1/trading/accounts/${ID}/account`]);
  });

  it("finds an account by its exact email: query=<email> with the contact, a token match on another email ignored", async () => {
    const other = { ...accountCreated, id: "8c8d6e1e-4f0a-4b8e-9d7e-1a2b3c4d5e6f", contact: { ...accountCreated.contact, email_address: "ann@example.com.evil.test" } };
    const mine = { ...accountCreated, contact: { ...accountCreated.contact, email_address: "ann@example.com" } };
    const { accounts, calls } = await broker({ "GET /v1/accounts": [{ status: 200, body: [other, mine] }, { status: 200, body: [other] }] });
    expect((await accounts.findByEmail("ann@example.com"))?.id).toBe(ID);
    expect(await accounts.findByEmail("ann@example.com")).toBeUndefined();
    expect((await calls())[0]!.path).toBe("/v1/accounts?query=ann%40example.com&entities=contact%2Cidentity%2Cagreements");
  });

  it("changes the contact (and the email, on its own) with PATCH and closes with POST .../actions/close (204)", async () => {
    const { accounts, calls } = await broker({
      "PATCH /v1/accounts/{id}": [{ status: 200, body: accountActive }],
      "POST /v1/accounts/{id}/actions/close": [{ status: 204 }],
    });
    await accounts.updateContact(ID, { city: "Burlingame" });
    await accounts.updateEmail(ID, "ann.new@example.com");
    await accounts.close(ID);
    expect((await calls()).map((call) => [call.action, call.path, call.body])).toEqual([
      ["PATCH /v1/accounts/{id}", `/v1/accounts/${ID}`, { contact: { city: "Burlingame" } }],
      ["PATCH /v1/accounts/{id}", `/v1/accounts/${ID}`, { contact: { email_address: "ann.new@example.com" } }],
      ["POST /v1/accounts/{id}/actions/close", `/v1/accounts/${ID}/actions/close`, ""],
    ]);
  });

  it("turns the recorded error bodies into BrokerErrors with the status and code, and no message", async () => {
    const { accounts } = await broker({ "GET /v1/accounts/{id}": [BROKER_ERRORS.notAuthorized], "POST /v1/accounts": [BROKER_ERRORS.clientOrderIdNotUnique] });
    const refused = await accounts.get(ID).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokerError);
    expect(refused).toMatchObject({ httpStatus: 401, code: 40110000, fields: [] });
    expect((refused as Error).message).not.toContain("not authorized");
    await expect(accounts.create({} as never)).rejects.toMatchObject({ httpStatus: 422, code: 40010001, fields: [] });
  });

  it("names a field only from the fixed list, never quoting the message", async () => {
    const message = "identity.tax_id is invalid: 666-55-432; contact.state XX unknown; street_address too long; tax_id_type ok; state of things";
    expect(fieldsNamedIn(message)).toEqual(["contact.street_address", "contact.state", "identity.tax_id", "identity.tax_id_type"]);
    const { accounts } = await broker({ "POST /v1/accounts": [{ status: 422, body: { code: 40010001, message } }] });
    const refused = (await accounts.create({} as never).catch((error: unknown) => error)) as BrokerError;
    expect(refused.fields).toEqual(["contact.street_address", "contact.state", "identity.tax_id", "identity.tax_id_type"]);
    expect(refused.message).not.toMatch(/666|XX|too long/);
  });

  it("gives a 429 the seconds to X-RateLimit-Reset, and 3 without the header; never retried", async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 20);
    const { accounts, calls } = await broker({
      "GET /v1/accounts/{id}": [{ status: 429, body: { code: 42910000, message: "rate limit exceeded" }, headers: { "x-ratelimit-reset": reset } }],
      "GET /v1/trading/accounts/{id}/account": [{ status: 429, body: "too many requests" }],
    });
    const { result: limited, atMost, atLeast } = await secondsLeftAround(Number(reset), async () => (await accounts.get(ID).catch((error: unknown) => error)) as BrokerError);
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(atLeast);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(atMost);
    await expect(accounts.trading(ID)).rejects.toMatchObject({ httpStatus: 429, retryAfterSeconds: 3 });
    expect((await calls()).length).toBe(2);
  });

  it("retries a read after a 5xx, never a create", async () => {
    const fault: Reply = { status: 503, body: "<html>busy</html>" };
    const { accounts, calls } = await broker({
      "GET /v1/accounts/{id}": [fault, { status: 200, body: accountActive }],
      "POST /v1/accounts": [fault, { status: 200, body: accountCreated }],
    });
    expect((await accounts.get(ID)).status).toBe("ACTIVE");
    await expect(accounts.create({} as never)).rejects.toMatchObject({ name: "Failure", code: "upstream_error" });
    expect((await calls()).map((call) => call.action)).toEqual(["GET /v1/accounts/{id}", "GET /v1/accounts/{id}", "POST /v1/accounts"]);
  });

  it("times a call out within its limit: upstream_timeout", async () => {
    const { accounts } = await broker({ "POST /v1/accounts": [{ hang: true }] }, { timeoutMs: 200 });
    const started = Date.now();
    await expect(accounts.create({} as never)).rejects.toMatchObject({ name: "Failure", code: "upstream_timeout" });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("calls an answer of the wrong shape unusable, e.g. an amount as a number", async () => {
    const { accounts } = await broker({ "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: { ...tradeAccount, cash: 1000 } }] });
    await expect(accounts.trading(ID)).rejects.toMatchObject({ name: "Failure", code: "upstream_error" });
  });

  it("calls an amount with more places than can be compared (10) unusable, not a fault of ours", async () => {
    const { accounts } = await broker({ "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: { ...tradeAccount, cash_withdrawable: "1.0000000001" } }] });
    await expect(accounts.trading(ID)).rejects.toMatchObject({ name: "Failure", code: "upstream_error" });
  });

  it("builds the Basic auth header once per config (so per isolate), whatever the requests", async () => {
    const { accounts, config, calls } = await broker({ "GET /v1/accounts/{id}": [{ status: 200, body: accountActive }] });
    const encode = vi.spyOn(globalThis, "btoa");
    try {
      await accounts.get(ID);
      await openBroker(config, requestScope(), 2_000).get(ID);
      await openBroker({ ...config }, requestScope(), 2_000).get(ID);
      // The first request made it, the second found it, a new config object (a new isolate's) made its own.
      expect(encode).toHaveBeenCalledTimes(2);
    } finally {
      encode.mockRestore();
    }
    expect((await calls()).map((call) => call.headers.authorization)).toEqual([BROKER_AUTH, BROKER_AUTH, BROKER_AUTH]);
  });
});
