// The brokerage routes in workerd against real D1, with a scripted Broker API replaying its recorded
// answers (test/fixtures/broker.ts) and a scripted Cognito for the signed-in user.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountActive, accountCreated, BROKER_ERRORS, notionalMarketOrderAccepted, positions, tradeAccount, transferQueued } from "../fixtures/broker";
import { authenticationResult, challenge, emptyResult, getUserResult, RECORDED } from "../fixtures/cognito";
import { accepted, FROM_ADDRESS, SEND_EMAIL, sentEmail, sesVars } from "../fixtures/ses";
import { accountRow, auditTrail, BROKER_AUTH, brokerAccount, brokerUser, observedDb, OPENING } from "../support/brokerage";
import { bearer, ownPool } from "../support/own-pool";
import { secondsLeftAround, timingOut } from "../support/timeouts";
import { apiWith, jsonInit, problemOf, STRONG_PASSWORD, uniqueEmail, withoutRequestId } from "../support/worker";

/** The view the recorded account gives, with this user's email and id. */
function viewOf(account: { id: string; status: string; contact: { email_address: string }; identity: { given_name: string; family_name: string } }, status = account.status) {
  return {
    id: account.id,
    account_number: "682389557",
    status,
    created_at: "2022-04-12T17:24:31.30283Z",
    given_name: account.identity.given_name,
    family_name: account.identity.family_name,
    email: account.contact.email_address,
    tax_id_last4: "4321",
    agreements: [{ agreement: "customer_agreement", signed_at: "2020-09-11T18:13:44Z" }],
  };
}

/** The recorded account with this user's email, held by the person OPENING names (an earlier try of theirs made it). */
function ownAccount(email: string) {
  const account = brokerAccount(accountCreated, email);
  const { given_name, family_name, date_of_birth } = OPENING.identity;
  return { ...account, identity: { ...account.identity, given_name, family_name, date_of_birth } };
}

/** A user whose opening the Broker API answers with the recorded account (their email, a fresh id). */
async function opener(replies: Record<string, { status?: number; body?: unknown; hang?: boolean }[]> = {}, vars?: Record<string, unknown>) {
  const email = uniqueEmail("open");
  const account = brokerAccount(accountCreated, email);
  const user = await brokerUser({ "POST /v1/accounts": [{ status: 200, body: account }], ...replies }, { email, vars });
  return { ...user, account };
}

/** A user who has opened an account (recorded answers), and the Broker API's other answers. */
async function holder(replies: Record<string, { status?: number; body?: unknown }[]> = {}, vars?: Record<string, unknown>) {
  const user = await opener(replies, vars);
  expect((await user.open()).status).toBe(201);
  return user;
}

describe("POST /platform/accounts", () => {
  it("opens the account: 201 with the view; the Broker API gets the Cognito email and agreements stamped by the server", async () => {
    const user = await opener();
    const before = new Date().toISOString();
    const res = await user.open(OPENING, { "cf-connecting-ip": "203.0.113.7" });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(viewOf(user.account));

    const [create, ...more] = await user.brokerCalls();
    expect(more).toEqual([]);
    expect(create!.headers.authorization).toBe(BROKER_AUTH);
    const sent = create!.body as { contact: Record<string, unknown>; identity: Record<string, unknown>; agreements: { agreement: string; signed_at: string; ip_address: string }[] };
    expect(sent.contact).toEqual({ ...OPENING.contact, email_address: user.email });
    expect(sent.identity).toEqual(OPENING.identity);
    expect(sent.agreements.map(({ agreement, ip_address }) => [agreement, ip_address])).toEqual([
      ["customer_agreement", "203.0.113.7"],
      ["margin_agreement", "203.0.113.7"],
    ]);
    for (const { signed_at } of sent.agreements) expect(signed_at >= before && signed_at <= new Date().toISOString()).toBe(true);

    expect(await accountRow(user.sub)).toMatchObject({ broker_account_id: user.account.id, account_number: "682389557", status: "SUBMITTED", tax_id_last4: "4321" });
    expect(await auditTrail(user.sub)).toEqual([["account.open", "ok"]]);
  });

  it("takes no email from the body (it is the user's verified one) and sends a tax id without dashes dashed", async () => {
    const user = await opener();
    const withEmail = await user.open({ ...OPENING, contact: { ...OPENING.contact, email_address: "someone.else@example.com" } });
    expect([withEmail.status, (await problemOf(withEmail)).errors]).toEqual([400, [{ field: "contact", message: "unknown field: email_address" }]]);
    const res = await user.open({ ...OPENING, identity: { ...OPENING.identity, tax_id: "666554321" } });
    expect(res.status).toBe(201);
    const [create] = await user.brokerCalls();
    expect((create!.body as { identity: { tax_id: string } }).identity.tax_id).toBe("666-55-4321");
  });

  const today = new Date();
  const minor = `${today.getUTCFullYear() - 17}-01-01`;
  const future = `${today.getUTCFullYear() + 1}-01-01`;
  const cases: [string, unknown, string][] = [
    ["a minor's date of birth", { identity: { ...OPENING.identity, date_of_birth: minor } }, "identity.date_of_birth"],
    ["a date of birth in the future", { identity: { ...OPENING.identity, date_of_birth: future } }, "identity.date_of_birth"],
    ["a date that does not exist", { identity: { ...OPENING.identity, date_of_birth: "1990-02-30" } }, "identity.date_of_birth"],
    ["an SSN of the wrong shape", { identity: { ...OPENING.identity, tax_id: "666-55-432" } }, "identity.tax_id"],
    ["an ITIN that does not start with 9", { identity: { ...OPENING.identity, tax_id_type: "USA_ITIN" } }, "identity.tax_id"],
    ["a state that is not a US state", { contact: { ...OPENING.contact, state: "ZZ" } }, "contact.state"],
    ["a postal code that is not a ZIP code", { contact: { ...OPENING.contact, postal_code: "9440" } }, "contact.postal_code"],
    ["a phone number not in international form", { contact: { ...OPENING.contact, phone_number: "555-666-7788" } }, "contact.phone_number"],
    ["an unknown agreement", { agreements: ["customer_agreement", "account_agreement"] }, "agreements.1"],
    ["no customer agreement", { agreements: ["margin_agreement"] }, "agreements"],
  ];
  for (const [what, change, field] of cases) {
    it(`refuses ${what}: 400 naming ${field}, no value repeated, no Broker call, no row`, async () => {
      const user = await opener();
      const res = await user.open({ ...OPENING, ...(change as object) });
      const problem = await problemOf(res);
      expect([res.status, problem.code]).toEqual([400, "validation_failed"]);
      expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual([field]);
      expect(JSON.stringify(withoutRequestId(problem))).not.toMatch(/666-55|1990-02-30|ZZ|9440|555-666/);
      expect(await user.brokerCalls()).toEqual([]);
      expect(await accountRow(user.sub)).toBeNull();
    });
  }

  it("needs a verified email: 403 email_not_verified, no Broker call", async () => {
    const user = await brokerUser({ "POST /v1/accounts": [{ status: 200, body: accountCreated }] }, { verified: false });
    const res = await user.open();
    expect([res.status, (await problemOf(res)).code]).toEqual([403, "email_not_verified"]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  it("passes the Broker API's refusal on as 422 naming the field it names, never the value; the user can then try again", async () => {
    const refusal = { status: 422, body: { code: 40010001, message: "identity.tax_id 666-55-4321 failed the check" } };
    const email = uniqueEmail("refused");
    const account = brokerAccount(accountCreated, email);
    const user = await brokerUser({ "POST /v1/accounts": [refusal, { status: 200, body: account }] }, { email });
    const res = await user.open();
    const problem = await problemOf(res);
    expect([res.status, problem.code, problem.errors]).toEqual([422, "account_details_rejected", [{ field: "identity.tax_id", message: "The broker refused this value." }]]);
    // The request id aside (a random UUID may hold "666"), nothing of the value sent.
    expect(JSON.stringify(withoutRequestId(problem))).not.toContain("666");
    expect(await accountRow(user.sub)).toBeNull();
    expect((await user.open()).status).toBe(201);
    expect(await auditTrail(user.sub)).toEqual([["account.open", "account_details_rejected"], ["account.open", "ok"]]);
  });

  it("answers a user who has an account 409 brokerage_account_exists, without a second Broker call", async () => {
    const user = await holder();
    const res = await user.open();
    expect([res.status, (await problemOf(res)).code]).toEqual([409, "brokerage_account_exists"]);
    expect((await user.brokerCalls()).length).toBe(1);
  });

  it("makes one Broker account of ten concurrent openings: one 201, nine 409", async () => {
    const user = await opener();
    const answers = await Promise.all(Array.from({ length: 10 }, () => user.open()));
    expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
    expect(await accountRow(user.sub)).toMatchObject({ broker_account_id: user.account.id });
  });

  it("never hands over another person's account whose email the Broker API has (409): 422, nothing of it shown, searched or recorded", async () => {
    // Mallory signs up with the email of Victoria's Broker account (an address she controls now, or
    // one Victoria used before): her fresh opening meets 409 and must not become Victoria's account.
    const email = uniqueEmail("victoria");
    const victorias = { ...brokerAccount(accountActive, email), identity: { ...accountActive.identity, given_name: "Victoria", family_name: "Vance" } };
    const mallory = await brokerUser({ "POST /v1/accounts": [{ status: 409, body: { code: 40910000, message: "email address already registered" } }], "GET /v1/accounts": [{ status: 200, body: [victorias] }] }, { email });
    const res = await mallory.open();
    const problem = await problemOf(res);
    expect([res.status, problem.code, problem.detail]).toEqual([422, "account_details_rejected", "The broker already has an account for this email; open one with another email."]);
    const text = JSON.stringify(problem);
    for (const value of [victorias.id, "Victoria", "Vance", victorias.account_number, "ACTIVE"]) expect(text).not.toContain(value);
    expect((await mallory.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
    expect(await accountRow(mallory.sub)).toBeNull();
    expect(await auditTrail(mallory.sub)).toEqual([["account.open", "account_details_rejected"]]);
  });

  it("refuses the account a crashed opening's retry finds when its holder differs (another date of birth): 422, the claim dropped", async () => {
    const email = uniqueEmail("crash");
    const someoneElses = { ...ownAccount(email), identity: { ...ownAccount(email).identity, date_of_birth: "1985-06-15" } };
    const user = await brokerUser({ "GET /v1/accounts": [{ status: 200, body: [someoneElses] }] }, { email });
    // An opening of this user's that ended before it recorded its answer, its claim lapsed.
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?, 'PENDING', '4321', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')")
      .bind(user.sub)
      .run();
    const res = await user.open();
    const problem = await problemOf(res);
    expect([res.status, problem.code]).toEqual([422, "account_details_rejected"]);
    expect(JSON.stringify(problem)).not.toContain(someoneElses.id);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["GET /v1/accounts"]);
    expect(await accountRow(user.sub)).toBeNull();
  });

  it("recovers a crash between the Broker call and the D1 write: the next opening finds the account by email, no second account", async () => {
    const email = uniqueEmail("crash");
    const account = ownAccount(email);
    const { db } = observedDb(1);
    const user = await brokerUser({ "POST /v1/accounts": [{ status: 200, body: account }], "GET /v1/accounts": [{ status: 200, body: [account] }] }, { email, vars: { DB: db } });
    const crashed = await user.open();
    expect([crashed.status, (await problemOf(crashed)).code]).toEqual([500, "internal_error"]);
    expect(await accountRow(user.sub)).toMatchObject({ status: "PENDING", broker_account_id: null });
    // A second opening while the first may still be at work is a double submit.
    expect((await user.open()).status).toBe(409);
    // Time passes: the claim lapses after the request budget and its margin.
    await env.DB.prepare("UPDATE brokerage_accounts SET updated_at = '2026-01-01T00:00:00.000Z' WHERE sub = ?").bind(user.sub).run();
    const recovered = await user.open({ ...OPENING, identity: { ...OPENING.identity, tax_id: "666-55-9999" } });
    // The last 4 of the opening that reached the Broker API, not of the retry's body.
    expect([recovered.status, await recovered.json()]).toEqual([201, viewOf(account)]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts", "GET /v1/accounts"]);
    expect(await accountRow(user.sub)).toMatchObject({ broker_account_id: account.id, status: "SUBMITTED", tax_id_last4: "4321" });
  });

  it("recovers a Broker call that timed out: 504, then the next opening finds the account the Broker API made after all", async () => {
    const email = uniqueEmail("timeout");
    const account = ownAccount(email);
    const user = await brokerUser({ "POST /v1/accounts": [{ hang: true }], "GET /v1/accounts": [{ status: 200, body: [account] }] }, { email });
    const timedOut = await timingOut(() => user.open());
    expect([timedOut.status, (await problemOf(timedOut)).code]).toEqual([504, "upstream_timeout"]);
    const recovered = await user.open();
    expect([recovered.status, await recovered.json()]).toEqual([201, viewOf(account)]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts", "GET /v1/accounts"]);
    expect(await auditTrail(user.sub)).toEqual([["account.open", "upstream_timeout"], ["account.open", "ok"]]);
  });

  it("creates after a timeout when the search finds nothing: the Broker API had not made it", async () => {
    const email = uniqueEmail("timeout");
    const account = brokerAccount(accountCreated, email);
    const user = await brokerUser({ "POST /v1/accounts": [{ hang: true }, { status: 200, body: account }], "GET /v1/accounts": [{ status: 200, body: [] }] }, { email });
    expect((await timingOut(() => user.open())).status).toBe(504);
    expect((await user.open()).status).toBe(201);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts", "GET /v1/accounts", "POST /v1/accounts"]);
  });

  it("passes the Broker API's 429 on with Retry-After; nothing was created, so the user may retry at once", async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 30);
    const user = await opener({ "POST /v1/accounts": [{ status: 429, body: { code: 42910000, message: "too many requests" }, headers: { "x-ratelimit-reset": reset } } as never, { status: 200, body: accountCreated }] });
    const { result: res, atMost, atLeast } = await secondsLeftAround(Number(reset), () => user.open());
    expect([res.status, (await problemOf(res)).code]).toEqual([429, "rate_limited"]);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(atLeast);
    expect(retryAfter).toBeLessThanOrEqual(atMost);
    expect(await accountRow(user.sub)).toBeNull();
  });

  it("refuses to hand over an account another user's row holds (an email signed up again): 422, nothing recorded", async () => {
    const first = await holder();
    const second = await brokerUser(
      { "POST /v1/accounts": [{ status: 409, body: { code: 40910000, message: "email address already registered" } }], "GET /v1/accounts": [{ status: 200, body: [first.account] }] },
      { email: first.email },
    );
    const res = await second.open();
    expect([res.status, (await problemOf(res)).code]).toEqual([422, "account_details_rejected"]);
    expect(await accountRow(second.sub)).toBeNull();
    expect(await accountRow(first.sub)).toMatchObject({ broker_account_id: first.account.id });
  });

  it("stamps an IPv6 client's agreements with Cloudflare's Pseudo IPv4, an IPv4 written as IPv6 as that IPv4", async () => {
    const addresses: [Record<string, string>, string][] = [
      [{ "cf-connecting-ip": "2001:db8::1", "cf-pseudo-ipv4": "245.17.3.9" }, "245.17.3.9"],
      [{ "cf-connecting-ip": "2001:db8::1", "cf-pseudo-ipv4": "10.0.0.1" }, "2001:db8::1"],
      [{ "cf-connecting-ip": "2001:db8::1" }, "2001:db8::1"],
      [{ "cf-connecting-ip": "::ffff:198.51.100.4" }, "198.51.100.4"],
    ];
    for (const [headers, expected] of addresses) {
      const user = await opener();
      expect((await user.open(OPENING, headers)).status).toBe(201);
      const [create] = await user.brokerCalls();
      expect((create!.body as { agreements: { ip_address: string }[] }).agreements.map((agreement) => agreement.ip_address)).toEqual([expected, expected]);
    }
  });
});

describe("GET /platform/accounts/me", () => {
  it("404 brokerage_account_not_found before the user opens one, and while an opening is in flight", async () => {
    const user = await opener();
    const none = await user.call("/platform/accounts/me");
    expect([none.status, (await problemOf(none)).code]).toEqual([404, "brokerage_account_not_found"]);
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, status, created_at, updated_at) VALUES (?, 'PENDING', ?, ?)").bind(user.sub, new Date().toISOString(), new Date().toISOString()).run();
    expect((await user.call("/platform/accounts/me")).status).toBe(404);
    expect(await user.brokerCalls()).toEqual([]);
    expect(await auditTrail(user.sub)).toEqual([["account.read", "brokerage_account_not_found"], ["account.read", "brokerage_account_not_found"]]);
  });

  it("reads the status from the Broker API, records it in D1, then answers from the isolate's copy", async () => {
    const user = await opener({ "GET /v1/accounts/{id}": [{ status: 200, body: { ...accountActive, id: "x" } }] });
    // Opened in another isolate: this one has no copy.
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, tax_id_last4, created_at, updated_at) VALUES (?, ?, '682389557', 'SUBMITTED', '4321', ?, ?)")
      .bind(user.sub, user.account.id, "2026-12-01T09:00:00.000Z", "2026-12-01T09:00:00.000Z")
      .run();
    const res = await user.call("/platform/accounts/me");
    expect([res.status, await res.json()]).toEqual([200, { ...viewOf(user.account, "ACTIVE"), id: "x", email: "cool_alpaca@example.com" }]);
    expect((await user.call("/platform/accounts/me")).status).toBe(200);
    expect((await user.brokerCalls()).map((call) => call.path)).toEqual([`/v1/accounts/${user.account.id}`]);
    expect(await accountRow(user.sub)).toMatchObject({ status: "ACTIVE" });
  });

  it("never shows the full tax id, the date of birth or the street address", async () => {
    const user = await holder({ "GET /v1/accounts/{id}": [{ status: 200, body: accountActive }] });
    const text = await (await user.call("/platform/accounts/me")).text();
    for (const value of ["666-55-4321", "666554321", "1990-01-01", "20 N San Mateo Dr", "555-666-7788"]) expect(text).not.toContain(value);
  });
});

describe("GET /platform/accounts/me/trading", () => {
  it("answers the trading account with the Broker API's decimal strings as they are", async () => {
    const user = await holder({ "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: tradeAccount }] });
    const res = await user.call("/platform/accounts/me/trading");
    const { id: _, account_number: __, ...expected } = tradeAccount;
    expect([res.status, await res.json()]).toEqual([200, expected]);
    expect((await user.brokerCalls()).at(-1)!.path).toBe(`/v1/trading/accounts/${user.account.id}/account`);
  });

  it("404 without an account", async () => {
    const user = await opener();
    expect((await user.call("/platform/accounts/me/trading")).status).toBe(404);
  });
});

describe("PATCH /platform/accounts/me", () => {
  /** The contact change with SES_FROM_ADDRESS set and SES on the user's fake upstream. */
  const withSes = (user: Awaited<ReturnType<typeof holder>>, body: unknown, headers: Record<string, string> = {}) =>
    apiWith({ ...user.vars, ...sesVars(user.vars.BROKER_API_URL as string) }, "/platform/accounts/me", jsonInit(body, { method: "PATCH", headers: { ...bearer(user.token), ...headers } }));

  it("sends only the contact change, and answers (and from then on shows) the changed account", async () => {
    const changed = { ...accountActive, contact: { ...accountActive.contact, city: "Burlingame" } };
    const user = await holder({ InitiateAuth: [authenticationResult()], "PATCH /v1/accounts/{id}": [{ status: 200, body: changed }] });
    const res = await user.send("PATCH", "/platform/accounts/me", { contact: { city: "Burlingame", postal_code: "94010" }, password: STRONG_PASSWORD });
    expect([res.status, ((await res.json()) as { status: string }).status]).toEqual([200, "ACTIVE"]);
    const patch = (await user.brokerCalls()).at(-1)!;
    expect([patch.path, patch.body]).toEqual([`/v1/accounts/${user.account.id}`, { contact: { city: "Burlingame", postal_code: "94010" } }]);
    expect(((await (await user.call("/platform/accounts/me")).json()) as { status: string }).status).toBe("ACTIVE");
    expect((await user.brokerCalls()).length).toBe(2);
    expect(await accountRow(user.sub)).toMatchObject({ status: "ACTIVE" });
  });

  const refused: [string, unknown, { field: string; message: string }[]][] = [
    ["the identity", { contact: { city: "Burlingame" }, identity: { given_name: "Eve" } }, [{ field: "(body)", message: "unknown field: identity" }]],
    ["a tax id", { contact: { city: "Burlingame" }, tax_id: "123-45-6789" }, [{ field: "(body)", message: "unknown field: tax_id" }]],
    [
      "the email",
      { contact: { email_address: "eve@example.com" } },
      [
        { field: "contact", message: "unknown field: email_address" },
        { field: "contact", message: "contact must change at least one field" },
      ],
    ],
    ["nothing", { contact: {} }, [{ field: "contact", message: "contact must change at least one field" }]],
    ["a bad state", { contact: { state: "ZZ" } }, [{ field: "contact.state", message: "state must be a US state or territory code, e.g. CA" }]],
  ];
  for (const [what, body, errors] of refused) {
    it(`refuses ${what}: 400 naming ${errors[0]!.field}, nothing sent to the Broker API`, async () => {
      const user = await holder();
      const res = await user.send("PATCH", "/platform/accounts/me", body);
      const problem = await problemOf(res);
      expect([res.status, problem.errors]).toEqual([400, errors]);
      expect((await user.brokerCalls()).length).toBe(1);
    });
  }

  it("passes a refused contact on as 422 naming the field", async () => {
    const user = await holder({ InitiateAuth: [authenticationResult()], "PATCH /v1/accounts/{id}": [{ status: 422, body: { code: 40010001, message: "contact.postal_code does not match the state" } }] });
    const res = await user.send("PATCH", "/platform/accounts/me", { contact: { postal_code: "10001" }, password: STRONG_PASSWORD });
    expect([res.status, (await problemOf(res)).errors]).toEqual([422, [{ field: "contact.postal_code", message: "The broker refused this value." }]]);
    expect(await auditTrail(user.sub)).toEqual([["account.open", "ok"], ["account.update", "account_details_rejected"]]);
  });

  // Issue 21: where statements and confirmations go is a change of control.
  it("needs the step up: without the password 403 step_up_required naming it, with no Cognito or Broker call; a wrong one 401", async () => {
    const user = await holder({ InitiateAuth: [RECORDED.wrongPassword] });
    const missing = await user.send("PATCH", "/platform/accounts/me", { contact: { city: "Burlingame" } });
    expect([missing.status, (await problemOf(missing)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
    expect((await user.calls()).map((call) => call.action)).not.toContain("InitiateAuth");
    const wrong = await user.send("PATCH", "/platform/accounts/me", { contact: { city: "Burlingame" }, password: "Wr0ng-Horse!" });
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([401, "invalid_credentials"]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
    expect(await auditTrail(user.sub)).toEqual([["account.open", "ok"], ["account.update", "step_up_required"], ["account.update", "invalid_credentials"]]);
  });

  it("with TOTP on, needs the code: 403 naming it after the password", async () => {
    const user = await holder({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")] });
    const res = await user.send("PATCH", "/platform/accounts/me", { contact: { city: "Burlingame" }, password: STRONG_PASSWORD });
    expect([res.status, (await problemOf(res)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
  });

  it("tells the account's email by a security notice, with neither the new address nor the phone in it", async () => {
    const changed = { ...accountActive, contact: { ...accountActive.contact, city: "Burlingame" } };
    const user = await holder({ InitiateAuth: [authenticationResult()], "PATCH /v1/accounts/{id}": [{ status: 200, body: changed }], [SEND_EMAIL]: [accepted()] });
    const body = { contact: { phone_number: "+15555550199", street_address: ["9 Secret Ln"] }, password: STRONG_PASSWORD };
    const res = await withSes(user, body, { "cf-connecting-ip": "203.0.113.7" });
    expect(res.status).toBe(200);
    const sent = (await user.calls()).filter((call) => call.action === SEND_EMAIL).map((call) => sentEmail(call.body));
    expect(sent).toEqual([{ from: FROM_ADDRESS, to: [changed.contact.email_address], subject: "Your brokerage account's address or phone was changed", text: expect.any(String) }]);
    expect(sent[0]!.text).toMatch(/^The postal address or phone number of record of your brokerage account was changed: statements and confirmations now go by it\.\n\nWhen: .*\nFrom the address: 203\.0\.113\.7\n/);
    expect(sent[0]!.text).not.toMatch(/Secret|5555550199|Burlingame/);
  });

  it("sends no notice when the change did not happen", async () => {
    const user = await holder({ InitiateAuth: [RECORDED.wrongPassword], [SEND_EMAIL]: [accepted()] });
    expect((await withSes(user, { contact: { city: "Burlingame" }, password: "Wr0ng-Horse!" })).status).toBe(401);
    expect((await user.calls()).map((call) => call.action)).not.toContain(SEND_EMAIL);
  });
});

describe("a step-up code is accepted once (issue 21)", () => {
  const changed = { ...accountActive, contact: { ...accountActive.contact, city: "Burlingame" } };
  const totpOn = { InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()], "PATCH /v1/accounts/{id}": [{ status: 200, body: changed }] };
  const contact = (code: string) => ({ contact: { city: "Burlingame" }, password: STRONG_PASSWORD, code });
  const USED = { code: "invalid_mfa_code", detail: "This code has already been used; wait for the authenticator's next code." };

  it("refuses the same password and code the second time: 401, nothing sent to the Broker API; the next code passes", async () => {
    const user = await holder(totpOn);
    expect((await user.send("PATCH", "/platform/accounts/me", contact("123456"))).status).toBe(200);
    const again = await user.send("PATCH", "/platform/accounts/me", contact("123456"));
    expect([again.status, await problemOf(again)]).toEqual([401, expect.objectContaining(USED)]);
    expect((await user.brokerCalls()).filter((call) => call.action === "PATCH /v1/accounts/{id}")).toHaveLength(1);
    expect((await user.send("PATCH", "/platform/accounts/me", contact("654321"))).status).toBe(200);
    // D1 keeps an HMAC of the code, never the code.
    const { results } = await env.DB.prepare("SELECT * FROM step_up_codes WHERE sub = ?").bind(user.sub).all<Record<string, unknown>>();
    expect(results).toHaveLength(2);
    expect(JSON.stringify(results)).not.toMatch(/123456|654321/);
  });

  it("lets exactly one of two concurrent requests with one code through", async () => {
    const user = await holder(totpOn);
    const answers = await Promise.all([1, 2].map(() => user.send("PATCH", "/platform/accounts/me", contact("246810"))));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 401]);
    expect((await user.brokerCalls()).filter((call) => call.action === "PATCH /v1/accounts/{id}")).toHaveLength(1);
  });

  it("counts a code per user: another user's same code passes", async () => {
    const [ann, bea] = await Promise.all([holder(totpOn), holder(totpOn)]);
    expect((await ann.send("PATCH", "/platform/accounts/me", contact("135790"))).status).toBe(200);
    expect((await bea.send("PATCH", "/platform/accounts/me", contact("135790"))).status).toBe(200);
  });
});

describe("a verified email change reaches the Broker API", () => {
  /** A user with an account, whose email Cognito then says is `newEmail` (verified), and the Broker API's PATCH answers. */
  async function mover(failFirst: boolean) {
    const email = uniqueEmail("before");
    const newEmail = uniqueEmail("after");
    const account = brokerAccount(accountCreated, email);
    const moved = { status: 200, body: { ...account, status: "ACTIVE", contact: { ...account.contact, email_address: newEmail } } };
    const patches = failFirst ? [{ status: 503, body: { code: 50310000, message: "service unavailable" } }, moved] : [moved];
    const user = await brokerUser(
      {
        "POST /v1/accounts": [{ status: 200, body: account }],
        GetUser: [getUserResult(email), getUserResult(newEmail)],
        VerifyUserAttribute: [emptyResult()],
        "PATCH /v1/accounts/{id}": patches,
        "GET /v1/accounts/{id}": [{ status: 200, body: { ...account, status: "ACTIVE" } }],
      },
      { email },
    );
    expect((await user.open()).status).toBe(201);
    return { ...user, account, newEmail };
  }
  const staleFlag = async (sub: string) => (await accountRow(sub))?.broker_email_stale;

  it("sends the new address to the Broker contact when the change is verified; D1 keeps no email", async () => {
    const user = await mover(false);
    expect((await user.send("POST", "/platform/email/verify", { code: "123456" })).status).toBe(204);
    const patch = (await user.brokerCalls()).at(-1)!;
    expect([patch.action, patch.path, patch.body]).toEqual(["PATCH /v1/accounts/{id}", `/v1/accounts/${user.account.id}`, { contact: { email_address: user.newEmail } }]);
    expect(await staleFlag(user.sub)).toBe(0);
    expect(JSON.stringify(await accountRow(user.sub))).not.toContain("@");
  });

  it("still verifies when the Broker API fails, and the next account view sends it again and shows the new address", async () => {
    const user = await mover(true);
    expect((await user.send("POST", "/platform/email/verify", { code: "123456" })).status).toBe(204);
    expect(await staleFlag(user.sub)).toBe(1);

    const res = await user.call("/platform/accounts/me");
    expect([res.status, ((await res.json()) as { email: string }).email]).toEqual([200, user.newEmail]);
    const patches = (await user.brokerCalls()).filter((call) => call.action === "PATCH /v1/accounts/{id}");
    expect(patches.map((call) => call.body)).toEqual([{ contact: { email_address: user.newEmail } }, { contact: { email_address: user.newEmail } }]);
    expect(await staleFlag(user.sub)).toBe(0);
    // Sent once: the views after it ask nothing more of the Broker API than the status.
    await user.call("/platform/accounts/me");
    expect((await user.brokerCalls()).filter((call) => call.action === "PATCH /v1/accounts/{id}").length).toBe(2);
  });
});

describe("POST /platform/accounts/me/close, and DELETE /platform/me", () => {
  const closed = { ...accountActive, status: "ACCOUNT_CLOSED" };
  const finished = ["COMPLETE", "CANCELED", "REJECTED", "RETURNED", "EXPIRED"].map((status) => ({ ...transferQueued, id: crypto.randomUUID(), status }));
  /** What the Broker API says of an account that holds nothing and is owed nothing. */
  const empty = {
    "GET /v1/trading/accounts/{id}/positions": [{ status: 200, body: [] }],
    "GET /v1/trading/accounts/{id}/orders": [{ status: 200, body: [] }],
    "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: { ...tradeAccount, cash: "0" } }],
    "GET /v1/accounts/{id}/transfers": [{ status: 200, body: finished }],
  };
  const closes = { "POST /v1/accounts/{id}/actions/close": [{ status: 204 }], "GET /v1/accounts/{id}": [{ status: 200, body: closed }] };
  const closeCalls = async (user: { brokerCalls: () => Promise<{ action: string }[]> }) => (await user.brokerCalls()).filter((call) => call.action === "POST /v1/accounts/{id}/actions/close");

  it("closes an account that holds nothing and is owed nothing: 200 ACCOUNT_CLOSED, after reading its positions, orders, cash and transfers", async () => {
    const user = await holder({ InitiateAuth: [authenticationResult()], ...empty, ...closes });
    const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([res.status, ((await res.json()) as { status: string }).status]).toEqual([200, "ACCOUNT_CLOSED"]);
    const id = user.account.id;
    expect((await user.brokerCalls()).map((call) => call.path).sort()).toEqual(
      [
        "/v1/accounts",
        `/v1/trading/accounts/${id}/positions`,
        `/v1/trading/accounts/${id}/orders?status=open&limit=1&direction=desc`,
        `/v1/trading/accounts/${id}/account`,
        `/v1/accounts/${id}/transfers?limit=100&offset=0`,
        `/v1/accounts/${id}/actions/close`,
        `/v1/accounts/${id}`,
      ].sort(),
    );
    expect(await accountRow(user.sub)).toMatchObject({ status: "ACCOUNT_CLOSED" });
  });

  it("refuses while a deposit is QUEUED, found on any page of the transfers: 409 naming it, nothing closed", async () => {
    const page = Array.from({ length: 100 }, (_, i) => finished[i % finished.length]);
    const user = await holder({ InitiateAuth: [authenticationResult()], ...empty, ...closes, "GET /v1/accounts/{id}/transfers": [{ status: 200, body: page }, { status: 200, body: [transferQueued] }] });
    const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    const problem = await problemOf(res);
    expect([res.status, problem.code, problem.detail]).toEqual([
      409,
      "brokerage_account_not_closable",
      "The brokerage account cannot be closed yet: a deposit or withdrawal is still in progress (wait until it completes, or cancel it).",
    ]);
    expect((await user.brokerCalls()).map((call) => call.path).filter((path) => path.includes("/transfers"))).toEqual([
      `/v1/accounts/${user.account.id}/transfers?limit=100&offset=0`,
      `/v1/accounts/${user.account.id}/transfers?limit=100&offset=100`,
    ]);
    expect(await closeCalls(user)).toEqual([]);
    expect(await accountRow(user.sub)).toMatchObject({ status: "SUBMITTED" });
    expect((await auditTrail(user.sub)).at(-1)).toEqual(["account.close", "brokerage_account_not_closable"]);
  });

  const held: [string, Record<string, { status: number; body: unknown }[]>, string][] = [
    ["a position", { "GET /v1/trading/accounts/{id}/positions": [{ status: 200, body: positions }] }, "it holds positions (sell them)"],
    ["an open order", { "GET /v1/trading/accounts/{id}/orders": [{ status: 200, body: [notionalMarketOrderAccepted] }] }, "it has open orders (cancel them or let them finish)"],
    ["cash", { "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: { ...tradeAccount, cash: "0.01" } }] }, "it holds cash (withdraw it)"],
  ];
  for (const [what, replies, remains] of held) {
    it(`refuses an account with ${what}: 409 saying so, no amount, nothing closed`, async () => {
      const user = await holder({ InitiateAuth: [authenticationResult()], ...empty, ...closes, ...replies });
      const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
      const problem = await problemOf(res);
      expect([res.status, problem.code, problem.detail]).toEqual([409, "brokerage_account_not_closable", `The brokerage account cannot be closed yet: ${remains}.`]);
      expect(await closeCalls(user)).toEqual([]);
    });
  }

  it("names everything that remains at once", async () => {
    const user = await holder({
      InitiateAuth: [authenticationResult()],
      "GET /v1/trading/accounts/{id}/positions": [{ status: 200, body: positions }],
      "GET /v1/trading/accounts/{id}/orders": [{ status: 200, body: [notionalMarketOrderAccepted] }],
      "GET /v1/trading/accounts/{id}/account": [{ status: 200, body: tradeAccount }],
      "GET /v1/accounts/{id}/transfers": [{ status: 200, body: [transferQueued] }],
    });
    const problem = await problemOf(await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD }));
    expect(problem.detail).toBe(
      "The brokerage account cannot be closed yet: it holds positions (sell them); it has open orders (cancel them or let them finish); it holds cash (withdraw it); a deposit or withdrawal is still in progress (wait until it completes, or cancel it).",
    );
  });

  it("refuses to delete the login while the account is open (409, after the password), closes with the password, then deletes", async () => {
    const user = await holder({ InitiateAuth: [authenticationResult(), RECORDED.wrongPassword, authenticationResult()], DeleteUser: [emptyResult()], ...empty, ...closes });
    const open = await user.send("DELETE", "/platform/me", { password: STRONG_PASSWORD });
    expect([open.status, (await problemOf(open)).code]).toEqual([409, "brokerage_account_open"]);
    expect((await user.calls()).map((call) => call.action)).toContain("InitiateAuth");
    expect((await user.calls()).map((call) => call.action)).not.toContain("DeleteUser");

    const wrong = await user.send("POST", "/platform/accounts/me/close", { password: "Wr0ng-Horse!" });
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([401, "invalid_credentials"]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);

    const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([res.status, ((await res.json()) as { status: string }).status]).toEqual([200, "ACCOUNT_CLOSED"]);
    expect(await accountRow(user.sub)).toMatchObject({ status: "ACCOUNT_CLOSED" });

    expect((await user.send("DELETE", "/platform/me", { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await auditTrail(user.sub)).toEqual([
      ["account.open", "ok"],
      ["login.delete", "brokerage_account_open"],
      ["account.close", "invalid_credentials"],
      ["account.close", "ok"],
      ["login.delete", "ok"],
    ]);
  });

  it("answers a missing password or code with the one shape of the step up: 403 step_up_required naming it, nothing closed (issue 21)", async () => {
    const user = await holder({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")] });
    const noPassword = await user.send("POST", "/platform/accounts/me/close", {});
    expect([noPassword.status, (await problemOf(noPassword)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
    const noCode = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([noCode.status, (await problemOf(noCode)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
  });

  it("refuses to delete the login while an opening is in flight (its claim), and lets no opening start once a deletion holds the lease", async () => {
    const inFlight = await opener({ InitiateAuth: [authenticationResult()], DeleteUser: [emptyResult()] });
    const at = new Date().toISOString();
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?, 'PENDING', '4321', ?, ?)").bind(inFlight.sub, at, at).run();
    const refused = await inFlight.send("DELETE", "/platform/me", { password: STRONG_PASSWORD });
    expect([refused.status, (await problemOf(refused)).code]).toEqual([409, "brokerage_account_open"]);
    expect((await inFlight.calls()).map((call) => call.action)).not.toContain("DeleteUser");

    const deleted = await opener({ InitiateAuth: [authenticationResult()], DeleteUser: [emptyResult()] });
    expect((await deleted.send("DELETE", "/platform/me", { password: STRONG_PASSWORD })).status).toBe(204);
    // The token still verifies until it expires: its opening meets the deletion's row.
    const late = await deleted.open();
    expect([late.status, (await problemOf(late)).code]).toEqual([409, "brokerage_account_exists"]);
    expect(await deleted.brokerCalls()).toEqual([]);
    expect(await accountRow(deleted.sub)).toMatchObject({ status: "LOGIN_DELETED", broker_account_id: null });
  });

  it("never both deletes the login and opens an account when the two race", async () => {
    for (let round = 0; round < 5; round++) {
      const user = await opener({ InitiateAuth: [authenticationResult()], DeleteUser: [emptyResult()] });
      const [opened, deleted] = await Promise.all([user.open(), user.send("DELETE", "/platform/me", { password: STRONG_PASSWORD })]);
      const outcome = [opened.status, deleted.status];
      expect([[201, 409], [409, 204]]).toContainEqual(outcome);
      const created = (await user.brokerCalls()).filter((call) => call.action === "POST /v1/accounts");
      expect(created.length).toBe(opened.status === 201 ? 1 : 0);
      expect((await user.calls()).filter((call) => call.action === "DeleteUser").length).toBe(deleted.status === 204 ? 1 : 0);
    }
  });

  it("takes an account the Broker API closed already as closed", async () => {
    const user = await holder({
      InitiateAuth: [authenticationResult()],
      ...empty,
      "POST /v1/accounts/{id}/actions/close": [{ status: 422, body: { code: 40010001, message: "account is already closed" } }],
      "GET /v1/accounts/{id}": [{ status: 200, body: closed }],
    });
    const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([res.status, ((await res.json()) as { status: string }).status]).toEqual([200, "ACCOUNT_CLOSED"]);
  });

  it("answers 409 brokerage_account_not_closable when the Broker API refuses all the same and the account stays open", async () => {
    const user = await holder({
      InitiateAuth: [authenticationResult()],
      ...empty,
      "POST /v1/accounts/{id}/actions/close": [{ status: 422, body: { code: 40010001, message: "account has cash, positions or transfers in progress: liquidate and withdraw first" } }],
      "GET /v1/accounts/{id}": [{ status: 200, body: accountActive }],
    });
    const res = await user.send("POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([res.status, (await problemOf(res)).code]).toEqual([409, "brokerage_account_not_closable"]);
    expect(await accountRow(user.sub)).toMatchObject({ status: "ACTIVE" });
  });
});

describe("without the Broker API settings", () => {
  it("answers every brokerage route 503 not_configured naming them; the rest of the API works", async () => {
    const pool = await ownPool({ GetUser: [{ status: 200, body: { Username: "u", UserAttributes: [{ Name: "email", Value: "ann@example.com" }] } }] });
    const routes: [string, string][] = [["POST", "/platform/accounts"], ["GET", "/platform/accounts/me"], ["PATCH", "/platform/accounts/me"], ["GET", "/platform/accounts/me/trading"], ["POST", "/platform/accounts/me/close"]];
    for (const [method, path] of routes) {
      const res = await pool.call(path, { method, headers: { ...bearer(pool.token), "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });
      const problem = await problemOf(res);
      expect([res.status, problem.code, problem.detail]).toEqual([503, "not_configured", "The service is not configured: set APCA_BROKER_API_KEY, APCA_BROKER_API_SECRET."]);
    }
    expect((await pool.call("/platform/me", { headers: bearer(pool.token) })).status).toBe(200);
  });

  it("names the D1 binding when the deployment has none", async () => {
    const user = await brokerUser({}, { vars: { DB: undefined } });
    const problem = await problemOf(await user.call("/platform/accounts/me"));
    expect([problem.status, problem.detail]).toEqual([503, "The service is not configured: set DB."]);
  });

  it("names a Broker API key left as the example's placeholder", async () => {
    const user = await brokerUser({}, { vars: { APCA_BROKER_API_KEY: "replace-with-broker-api-key-id" } });
    const problem = await problemOf(await user.call("/platform/accounts/me"));
    expect(problem.detail).toBe("The service is not configured: APCA_BROKER_API_KEY still has the example value from .dev.vars.example.");
  });
});
