// Two real users (the Cognito emulator) with the Broker API stand-in's state: every brokerage route of
// one tried on the other, and the whole session's log lines scanned for the personal data submitted.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inject } from "vitest";
import { accountCreated } from "../fixtures/broker";
import { BROKER_KEYS, brokerAccount, brokerUser, observedDb, OPENING } from "../support/brokerage";
import { bearer } from "../support/own-pool";
import { apiWith, jsonInit, problemOf, STRONG_PASSWORD, uniqueEmail } from "../support/worker";

const STANDIN = inject("brokerStandinVars");
/** The emulator's fixed code (global setup). */
const CODE = "123456";

const call = (token: string, method: string, path: string, body?: unknown) =>
  apiWith(STANDIN, path, body === undefined ? { method, headers: bearer(token) } : jsonInit(body, { method, headers: bearer(token) }));

/** Signed up on the emulator with a verified email. */
async function verifiedUser(): Promise<{ email: string; token: string }> {
  const email = uniqueEmail("owner");
  const signUp = await apiWith(STANDIN, "/platform/signup", jsonInit({ email, password: STRONG_PASSWORD }));
  expect(signUp.status).toBe(201);
  const { access_token: token } = (await signUp.json()) as { access_token: string };
  expect((await call(token, "POST", "/platform/email/verify/send")).status).toBe(202);
  expect((await call(token, "POST", "/platform/email/verify", { code: CODE })).status).toBe(204);
  return { email, token };
}

const BEA = {
  ...OPENING,
  contact: { ...OPENING.contact, phone_number: "+15555550177", street_address: ["1 Market St"], city: "San Francisco", postal_code: "94105" },
  identity: { ...OPENING.identity, given_name: "Bea", family_name: "Kim", date_of_birth: "1985-06-15", tax_id: "666-77-1234" },
};

describe("two users", () => {
  it("each reaches only their own account on every route", { timeout: 20_000 }, async () => {
    const [ann, bea] = await Promise.all([verifiedUser(), verifiedUser()]);
    const opened = await call(ann.token, "POST", "/platform/accounts", OPENING);
    expect(opened.status).toBe(201);
    const annView = (await opened.json()) as Record<string, unknown>;
    expect(annView).toMatchObject({ status: "SUBMITTED", given_name: "Ann", family_name: "Lee", email: ann.email, tax_id_last4: "4321" });

    // Bea, without an account, on every route: Ann's account is never the answer.
    for (const [method, path, body] of [
      ["GET", "/platform/accounts/me", undefined],
      ["GET", "/platform/accounts/me/trading", undefined],
      ["PATCH", "/platform/accounts/me", { contact: { city: "Oakland" } }],
      ["POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD }],
    ] as const) {
      const res = await call(bea.token, method, path, body);
      expect([method, path, res.status, (await problemOf(res)).code]).toEqual([method, path, 404, "brokerage_account_not_found"]);
    }

    const beaOpened = await call(bea.token, "POST", "/platform/accounts", BEA);
    expect(beaOpened.status).toBe(201);
    const beaView = (await beaOpened.json()) as Record<string, unknown>;
    expect(beaView).toMatchObject({ given_name: "Bea", family_name: "Kim", email: bea.email, tax_id_last4: "1234" });
    expect(beaView.id).not.toBe(annView.id);

    // Bea changes and closes her own; Ann's is untouched.
    expect((await call(bea.token, "PATCH", "/platform/accounts/me", { contact: { city: "Oakland" }, password: STRONG_PASSWORD })).status).toBe(200);
    const beaClosed = await call(bea.token, "POST", "/platform/accounts/me/close", { password: STRONG_PASSWORD });
    expect([beaClosed.status, ((await beaClosed.json()) as { id: string; status: string }).id]).toEqual([200, beaView.id]);
    const annNow = (await (await call(ann.token, "GET", "/platform/accounts/me")).json()) as Record<string, unknown>;
    expect(annNow).toMatchObject({ id: annView.id, given_name: "Ann", email: ann.email });
    expect(annNow.status).not.toBe("ACCOUNT_CLOSED");
    const annTrading = await call(ann.token, "GET", "/platform/accounts/me/trading");
    expect([annTrading.status, ((await annTrading.json()) as { cash: string }).cash]).toEqual([200, "0"]);

    // Bea's login may go, Ann's may not.
    const annDelete = await call(ann.token, "DELETE", "/platform/me", { password: STRONG_PASSWORD });
    expect([annDelete.status, (await problemOf(annDelete)).code]).toEqual([409, "brokerage_account_open"]);
    expect((await call(bea.token, "DELETE", "/platform/me", { password: STRONG_PASSWORD })).status).toBe(204);
  });
});

describe("log lines", () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("never carry the submitted tax id, date of birth, street, phone or a Broker API key", { timeout: 20_000 }, async () => {
    const ann = await verifiedUser();
    await call(ann.token, "POST", "/platform/accounts", { ...OPENING, identity: { ...OPENING.identity, date_of_birth: "2020-01-01" } });
    await call(ann.token, "POST", "/platform/accounts", OPENING);
    await call(ann.token, "POST", "/platform/accounts", OPENING);
    await call(ann.token, "GET", "/platform/accounts/me");
    await call(ann.token, "PATCH", "/platform/accounts/me", { contact: { phone_number: "+15555550111", street_address: ["9 Secret Ln"] }, password: STRONG_PASSWORD });
    await call(ann.token, "PATCH", "/platform/accounts/me", { contact: { street_address: ["9 Secret Ln"], tax_id: "666-55-4321" } });
    await call(ann.token, "GET", "/platform/accounts/me/trading");
    await call(ann.token, "POST", "/platform/accounts/me/close", { password: "Wr0ng-Horse!" });

    // A Broker API that repeats the values in its refusal, and a D1 that fails after the account is made.
    const echo = await brokerUser({ "POST /v1/accounts": [{ status: 422, body: { code: 40010001, message: `tax_id 666-55-4321 dob 1990-01-01 at 20 N San Mateo Dr phone +15555550100 invalid` } }] });
    expect((await echo.open()).status).toBe(422);
    const email = uniqueEmail("crash");
    const crash = await brokerUser({ "POST /v1/accounts": [{ status: 200, body: brokerAccount(accountCreated, email) }] }, { email, vars: { DB: observedDb(1).db } });
    expect((await crash.open()).status).toBe(500);

    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThan(10);
    for (const value of ["666-55-4321", "666554321", "1990-01-01", "2020-01-01", "20 N San Mateo Dr", "9 Secret Ln", "+15555550100", "+15555550111", "5555550100", BROKER_KEYS.APCA_BROKER_API_SECRET, STANDIN.APCA_BROKER_API_SECRET!]) {
      expect(log, value).not.toContain(value);
    }
    expect(log).toContain('"action":"CreateAccount"');

    // Nor does D1, any table: it keeps the tax id's last 4 digits at most.
    const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
    const dump: unknown[] = [];
    for (const { name } of tables) dump.push((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
    const stored = JSON.stringify(dump);
    expect(stored).toContain('"tax_id_last4":"4321"');
    for (const value of ["666-55-4321", "666554321", "1990-01-01", "2020-01-01", "20 N San Mateo Dr", "9 Secret Ln", "+15555550100", "+15555550111", "5555550100"]) {
      expect(stored, value).not.toContain(value);
    }
  });
});
