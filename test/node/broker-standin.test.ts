// The local Broker API stand-in (scripts/broker-standin.mjs), over HTTP, as `npm run dev` uses it.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCAL_PLAID_CLIENT_ID, LOCAL_PLAID_SECRET, startBrokerStandin, type BrokerStandin } from "../../scripts/broker-standin.mjs";

const KEY_ID = "test-key-id";
const SECRET = "test-secret";
const AUTH = `Basic ${Buffer.from(`${KEY_ID}:${SECRET}`).toString("base64")}`;

const running: BrokerStandin[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((standin) => standin.stop()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "broker-standin-"));
  dirs.push(dir);
  return dir;
}

async function start(options: { dir?: string; activateAfterMs?: number; settleTransfersAfterMs?: number; rateLimitPerMinute?: number; heartbeatMs?: number } = {}) {
  const lines: string[] = [];
  const dir = options.dir ?? (await tempDir());
  const standin = await startBrokerStandin({ dir, keyId: KEY_ID, secret: SECRET, activateAfterMs: 30, ...options, log: (line) => lines.push(line) });
  running.push(standin);
  return { standin, dir, lines, call: caller(standin.url) };
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

function caller(url: string) {
  return async (method: string, route: string, body?: unknown, auth: string | null = AUTH, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(url + route, {
      method,
      headers: { ...headers, ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}

/** Polls until `check` gives a value, for the stand-in's timed status changes. */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("the stand-in did not get there in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const statusBecomes = (call: ReturnType<typeof caller>, route: string, status: string, pick: (body: any) => any = (body) => body) =>
  eventually(async () => {
    const answer = await call("GET", route);
    return pick(answer.body)?.status === status ? pick(answer.body) : undefined;
  });

function accountRequest(email = `ann-${Math.random().toString(36).slice(2)}@example.com`) {
  return {
    contact: { email_address: email, phone_number: "+15555550100", street_address: ["20 N San Mateo Dr"], unit: "Apt 1", city: "San Mateo", state: "CA", postal_code: "94401" },
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
    agreements: [{ agreement: "customer_agreement", signed_at: "2026-12-01T09:00:00Z", ip_address: "203.0.113.7" }],
  };
}

/** An ACTIVE account with an APPROVED bank link (bank details) and `deposit` settled. */
async function fundedAccount(call: ReturnType<typeof caller>, deposit: string) {
  const { body: account } = await call("POST", "/v1/accounts", accountRequest());
  await statusBecomes(call, `/v1/accounts/${account.id}`, "ACTIVE");
  const { body: bank } = await call("POST", `/v1/accounts/${account.id}/ach_relationships`, {
    account_owner_name: "Ann Lee",
    bank_account_type: "CHECKING",
    bank_account_number: "123456789",
    bank_routing_number: "121000358",
  });
  await statusBecomes(call, `/v1/accounts/${account.id}/ach_relationships`, "APPROVED", (list) => list[0]);
  const { body: transfer } = await call("POST", `/v1/accounts/${account.id}/transfers`, { transfer_type: "ach", relationship_id: bank.id, amount: deposit, direction: "INCOMING" });
  // Settled by the control: a stand-in started to hold its transfers (settleTransfersAfterMs) holds the test's own, not this one.
  expect((await call("POST", `/_standin/transfers/${transfer.id}/settle`, undefined, null)).body).toMatchObject({ id: transfer.id, status: "COMPLETE" });
  return { id: account.id as string, bankId: bank.id as string };
}

describe("the Broker API stand-in", () => {
  it("says it is a development stand-in, and answers only to its key with the Broker API's 401", async () => {
    const { lines, call, standin, dir } = await start();
    expect(lines[0]).toBe(`[broker-standin] running on ${standin.url}: a development stand-in for the Alpaca Broker API and Plaid's sandbox, not the Broker API (data in ${dir})`);
    expect(standin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const unauthorized = { status: 401, body: { code: 40110000, message: "request is not authorized" } };
    for (const auth of [null, `Basic ${Buffer.from(`${KEY_ID}:wrong`).toString("base64")}`, `Bearer ${SECRET}`]) {
      expect(await call("GET", "/v1/accounts", undefined, auth)).toMatchObject(unauthorized);
    }
    const ok = await call("GET", "/v1/accounts");
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual([]);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(Number(ok.headers.get("x-ratelimit-remaining"))).toBeLessThan(1000);
    expect(Number(ok.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
  });

  it("opens an account that becomes ACTIVE, links a bank through Plaid, deposits, buys and shows the position, exactly", async () => {
    const { lines, call, standin } = await start();
    const created = await call("POST", "/v1/accounts", accountRequest("ann@example.com"));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: "SUBMITTED", crypto_status: "INACTIVE", currency: "USD", last_equity: "0", account_type: "trading" });
    expect(created.body.identity).toEqual({
      given_name: "Ann",
      family_name: "Lee",
      date_of_birth: "1990-01-01",
      tax_id_type: "USA_SSN",
      country_of_citizenship: "USA",
      country_of_birth: "USA",
      country_of_tax_residence: "USA",
      funding_source: ["employment_income"],
    });
    expect(JSON.stringify(created.body)).not.toContain("666-55-4321");
    const { id, account_number } = created.body;

    const active = await statusBecomes(call, `/v1/accounts/${id}`, "ACTIVE");
    expect(active.kyc_results).toEqual({ accept: { IDENTITY_VERIFICATION: {} }, indeterminate: {}, reject: {}, summary: "pass" });
    expect(lines).toContain(`[broker-standin] account ${account_number} SUBMITTED -> APPROVED`);
    expect(lines).toContain(`[broker-standin] account ${account_number} APPROVED -> ACTIVE`);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ status: "ACTIVE", cash: "0", buying_power: "0", equity: "0" });

    // Plaid's sandbox flow, as the API's server would run it.
    const plaid = async (route: string, body: object) => (await fetch(`${standin.url}/plaid${route}`, { method: "POST", body: JSON.stringify({ client_id: LOCAL_PLAID_CLIENT_ID, secret: LOCAL_PLAID_SECRET, ...body }) })).json() as Promise<any>;
    const link = await plaid("/link/token/create", { client_name: "Edge Brokerage", language: "en", country_codes: ["US"], user: { client_user_id: "sub-1" }, products: ["auth"] });
    expect(link.link_token).toMatch(/^link-sandbox-/);
    const { public_token } = await plaid("/sandbox/public_token/create", { institution_id: "ins_109508", initial_products: ["auth"] });
    expect(public_token).toMatch(/^public-sandbox-/);
    const { access_token } = await plaid("/item/public_token/exchange", { public_token });
    expect(access_token).toMatch(/^access-sandbox-/);
    const { accounts } = await plaid("/accounts/get", { access_token });
    const { processor_token } = await plaid("/processor/token/create", { access_token, account_id: accounts[0].account_id, processor: "alpaca" });
    expect(processor_token).toMatch(/^processor-sandbox-/);

    const bank = await call("POST", `/v1/accounts/${id}/ach_relationships`, { processor_token });
    expect(bank.status).toBe(200);
    expect(bank.body).toMatchObject({ account_id: id, status: "QUEUED", account_mask: "0000", bank_account_type: "" });
    expect(JSON.stringify(bank.body)).not.toContain(processor_token);
    await statusBecomes(call, `/v1/accounts/${id}/ach_relationships`, "APPROVED", (list) => list[0]);
    // The Item removed: its access token works no more.
    expect(await plaid("/item/remove", { access_token })).toEqual({ request_id: expect.any(String) });
    expect(await plaid("/item/remove", { access_token })).toMatchObject({ error_code: "INVALID_ACCESS_TOKEN" });

    const deposit = await call("POST", `/v1/accounts/${id}/transfers`, { transfer_type: "ach", relationship_id: bank.body.id, amount: "1000.00", direction: "INCOMING" });
    expect(deposit.body).toMatchObject({ status: "QUEUED", type: "ach", amount: "1000", requested_amount: "1000", fee: "0", direction: "INCOMING" });
    await statusBecomes(call, `/v1/accounts/${id}/transfers`, "COMPLETE", (list) => list[0]);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "1000", cash_withdrawable: "1000", buying_power: "1000" });

    const bought = await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", qty: "2.5", side: "buy", type: "market", time_in_force: "day" });
    expect(bought.status).toBe(200);
    expect(bought.body).toMatchObject({ symbol: "AAPL", qty: "2.5", notional: null, status: "filled", filled_qty: "2.5", filled_avg_price: "190.00" });
    // $100 at $190: 0.526315789 shares (9 places, rounded down), worth 99.99999991, charged 100.00.
    const notional = await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", notional: "100", side: "buy", type: "market", time_in_force: "day" });
    expect(notional.body).toMatchObject({ qty: null, notional: "100", status: "filled", filled_qty: "0.526315789" });

    const position = await call("GET", `/v1/trading/accounts/${id}/positions/AAPL`);
    expect(position.body).toMatchObject({
      symbol: "AAPL",
      qty: "3.026315789",
      qty_available: "3.026315789",
      cost_basis: "575",
      market_value: "575",
      avg_entry_price: "190",
      unrealized_pl: "0",
      current_price: "190.00",
    });
    expect((await call("GET", `/v1/trading/accounts/${id}/positions`)).body).toEqual([position.body]);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "425", long_market_value: "575", equity: "1000" });

    // Half the position back: 1.513157894 shares (rounded down) at 190.00 = 287.49999986 -> 287.50.
    const sold = await call("DELETE", `/v1/trading/accounts/${id}/positions/AAPL?percentage=50`);
    expect(sold.body).toMatchObject({ side: "sell", qty: "1.513157894", status: "filled", filled_qty: "1.513157894" });
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "712.5" });
    expect((await call("GET", `/v1/trading/accounts/${id}/positions/AAPL`)).body).toMatchObject({ qty: "1.513157895", cost_basis: "287.5" });
  });

  it("refuses what the Broker API refuses, with its error bodies", async () => {
    // Transfers settle only by the control: the withdrawal's pending state is read before it, however slow the machine.
    const { call } = await start({ settleTransfersAfterMs: 3_600_000 });
    const { id, bankId } = await fundedAccount(call, "300.10");
    const order = (body: object) => call("POST", `/v1/trading/accounts/${id}/orders`, { side: "buy", type: "market", time_in_force: "day", ...body });
    expect(await order({ symbol: "AAPL", qty: "2" })).toMatchObject({
      status: 403,
      body: { code: 40310000, message: "insufficient buying power", buying_power: "300.1", cost_basis: "380" },
    });
    expect(await order({ symbol: "NOPE", qty: "1" })).toMatchObject({ status: 422, body: { code: 40010001, message: 'asset "NOPE" not found' } });
    expect(await order({ symbol: "AAPL", qty: "1", notional: "10" })).toMatchObject({ status: 422, body: { message: "only one of qty or notional may be given" } });
    expect(await order({ symbol: "AAPL", qty: "0.0000000001" })).toMatchObject({ status: 422, body: { code: 40010001 } });
    expect(await order({ symbol: "BRK.A", notional: "50" })).toMatchObject({ status: 422, body: { message: 'asset "BRK.A" is not fractionable' } });
    expect(await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", qty: "1", side: "sell", type: "market", time_in_force: "day" })).toMatchObject({
      status: 403,
      body: { code: 40310000, message: "account is not allowed to short" },
    });

    const withdraw = (amount: string) => call("POST", `/v1/accounts/${id}/transfers`, { transfer_type: "ach", relationship_id: bankId, amount, direction: "OUTGOING" });
    expect(await withdraw("300.11")).toMatchObject({ status: 403, body: { code: 40310000 } });
    expect(await withdraw("0")).toMatchObject({ status: 422, body: { code: 40010001, message: "amount must be greater than 0.00" } });
    expect(await withdraw("1.005")).toMatchObject({ status: 422, body: { code: 40010001 } });
    const withdrawal = (await withdraw("100.05")).body;
    expect(withdrawal).toMatchObject({ status: "QUEUED", amount: "100.05" });
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "300.1", cash_withdrawable: "200.05", pending_transfer_out: "100.05" });
    expect((await call("POST", `/_standin/transfers/${withdrawal.id}/settle`, undefined, null)).body).toMatchObject({ id: withdrawal.id, status: "COMPLETE" });
    // Settled already: answered as it is; an unknown transfer: 404.
    expect(await call("POST", `/_standin/transfers/${withdrawal.id}/settle`, undefined, null)).toMatchObject({ status: 200, body: { id: withdrawal.id, status: "COMPLETE", amount: "100.05" } });
    expect((await call("POST", `/_standin/transfers/${crypto.randomUUID()}/settle`, undefined, null)).status).toBe(404);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "200.05", cash_withdrawable: "200.05" });
    expect(await call("POST", `/v1/accounts/${id}/ach_relationships`, { account_owner_name: "Ann Lee", bank_account_type: "SAVINGS", bank_account_number: "99887766", bank_routing_number: "121000358" })).toMatchObject({
      status: 409,
    });

    const missing = accountRequest();
    delete (missing.identity as Partial<typeof missing.identity>).given_name;
    expect(await call("POST", "/v1/accounts", missing)).toEqual(expect.objectContaining({ status: 422, body: { code: 40010001, message: "identity.given_name is required" } }));
    const future = accountRequest();
    future.identity.date_of_birth = "2999-01-01";
    expect((await call("POST", "/v1/accounts", future)).body.message).toBe("identity.date_of_birth is invalid: in the future");
    const again = accountRequest("twice@example.com");
    expect((await call("POST", "/v1/accounts", again)).status).toBe(200);
    expect((await call("POST", "/v1/accounts", again)).status).toBe(409);
    expect(await call("GET", `/v1/accounts/${crypto.randomUUID()}`)).toMatchObject({ status: 401, body: { code: 40110000, message: "request is not authorized" } });
    expect(await call("PATCH", `/v1/accounts/${id}`, { identity: { given_name: "Eve" } })).toMatchObject({ status: 422, body: { code: 40010001 } });
    const patched = await call("PATCH", `/v1/accounts/${id}`, { contact: { city: "Palo Alto", postal_code: "94301" } });
    expect(patched.body.contact).toMatchObject({ city: "Palo Alto", postal_code: "94301", street_address: ["20 N San Mateo Dr"] });
  });

  it("honours a transfer's Idempotency-Key as the Broker API does: replay 200 with the transfer as it is now, another body 422, per account", async () => {
    const { call } = await start();
    const { id, bankId } = await fundedAccount(call, "1000");
    const transfers = `/v1/accounts/${id}/transfers`;
    const deposit = { transfer_type: "ach", relationship_id: bankId, amount: "100.00", direction: "INCOMING" };
    const keyed = (key: string, body: object = deposit, account = id) => call("POST", `/v1/accounts/${account}/transfers`, body, AUTH, { "idempotency-key": key });
    const key = "2c1f7c9e-5b7d-5a3e-9f1b-0d6c4e8a2b71";

    const first = await keyed(key);
    expect(first).toMatchObject({ status: 200, body: { status: "QUEUED", amount: "100" } });
    expect(first.headers.get("idempotency-replayed")).toBeNull();
    await statusBecomes(call, transfers, "COMPLETE", (list) => list.find((t: any) => t.id === first.body.id));
    // The same request (the amount compared by value): the first transfer, in its current status.
    const replay = await keyed(key, { ...deposit, amount: "100" });
    expect(replay).toMatchObject({ status: 200, body: { id: first.body.id, status: "COMPLETE" } });
    expect(replay.headers.get("idempotency-replayed")).toBe("true");
    // Another request with the key: 422, nothing made (an omitted field differs from it sent with its default).
    expect(await keyed(key, { ...deposit, amount: "100.01" })).toMatchObject({ status: 422, body: { code: 40010001 } });
    expect(await keyed(key, { ...deposit, fee_payment_method: "invoice" })).toMatchObject({ status: 422 });
    expect(await keyed(key, { ...deposit, direction: "OUTGOING" })).toMatchObject({ status: 422 });
    expect((await call("GET", transfers)).body.filter((t: any) => t.amount === "100")).toHaveLength(1);

    // At most 36 characters, and not empty.
    expect(await keyed("k".repeat(37))).toMatchObject({ status: 400, body: { code: 40010000 } });
    expect(await keyed("")).toMatchObject({ status: 400 });
    expect((await keyed("k".repeat(36))).status).toBe(200);
    // Stored only when a transfer is made: after a refusal the key runs as new.
    const withdrawal = { ...deposit, direction: "OUTGOING", amount: "5000.00" };
    expect((await keyed("refused-first", withdrawal)).status).toBe(403);
    expect((await keyed("refused-first", { ...withdrawal, amount: "10.00" })).body).toMatchObject({ status: "QUEUED", amount: "10" });
    // Scoped to the account: the same key on another account makes that account's own transfer.
    const other = await fundedAccount(call, "50");
    const elsewhere = await keyed(key, { ...deposit, relationship_id: other.bankId }, other.id);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.id).not.toBe(first.body.id);
    expect(elsewhere.headers.get("idempotency-replayed")).toBeNull();
  });

  it("refuses to close an account that holds cash or positions, or has a transfer in progress (liquidate and withdraw first); closes an empty one", async () => {
    const first = await start();
    const { id, bankId } = await fundedAccount(first.call, "380");
    const close = (call: ReturnType<typeof caller>) => call("POST", `/v1/accounts/${id}/actions/close`);
    const refused = { status: 422, body: { code: 40010001, message: "account has cash, positions or transfers in progress: liquidate and withdraw first" } };
    expect(await close(first.call)).toMatchObject(refused);
    await first.call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", qty: "2", side: "buy", type: "market", time_in_force: "day" });
    expect((await first.call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "0" });
    expect(await close(first.call)).toMatchObject(refused);
    await first.call("DELETE", `/v1/trading/accounts/${id}/positions/AAPL`);
    const { body: withdrawal } = await first.call("POST", `/v1/accounts/${id}/transfers`, { transfer_type: "ach", relationship_id: bankId, amount: "380", direction: "OUTGOING" });
    await statusBecomes(first.call, `/v1/accounts/${id}/transfers?direction=OUTGOING`, "COMPLETE", (list) => list.find((t: any) => t.id === withdrawal.id));
    const { body: deposit } = await first.call("POST", `/v1/accounts/${id}/transfers`, { transfer_type: "ach", relationship_id: bankId, amount: "50", direction: "INCOMING" });
    await first.standin.stop();
    running.length = 0;
    // The deposit held QUEUED, as a real one is for days (the stand-in's own timer finishes it at once):
    // the account holds no cash, and is owed 50.
    const file = path.join(first.dir, "state.json");
    const state = JSON.parse(await readFile(file, "utf8"));
    state.accounts[id].cash = "0";
    state.transfers[deposit.id].status = "QUEUED";
    state.pending = state.pending.filter((change: { id: string }) => change.id !== deposit.id);
    await writeFile(file, JSON.stringify(state));

    const second = await start({ dir: first.dir });
    expect((await second.call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "0", long_market_value: "0", pending_transfer_in: "50" });
    expect(await close(second.call)).toMatchObject(refused);
    expect((await second.call("DELETE", `/v1/accounts/${id}/transfers/${deposit.id}`)).status).toBe(204);
    expect((await close(second.call)).status).toBe(204);
    expect((await second.call("GET", `/v1/accounts/${id}`)).body).toMatchObject({ status: "ACCOUNT_CLOSED" });
  });

  it("lists a small asset list, one asset not fractionable and one not tradable, and refuses orders as the Broker API does", async () => {
    const { call } = await start();
    const { body: assets } = await call("GET", "/v1/assets?status=active&asset_class=us_equity");
    expect(assets.find((asset: any) => asset.symbol === "AAPL")).toMatchObject({ id: "904837e3-3b76-47ec-b432-046db621571b", class: "us_equity", exchange: "NASDAQ", status: "active", tradable: true, fractionable: true });
    expect(assets.filter((asset: any) => !asset.fractionable && asset.tradable).map((asset: any) => asset.symbol)).toEqual(["BRK.A"]);
    expect(assets.filter((asset: any) => !asset.tradable).map((asset: any) => asset.symbol)).toEqual(["GRAYU"]);
    expect((await call("GET", "/v1/assets/BRK.A")).body).toMatchObject({ symbol: "BRK.A", fractionable: false });
    expect(await call("GET", "/v1/assets/NOPE")).toMatchObject({ status: 404, body: { code: 40410000 } });
    expect((await call("GET", "/v1/assets?status=inactive")).body).toEqual([]);
    const { id } = await fundedAccount(call, "100");
    expect(await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "GRAYU", qty: "1", side: "buy", type: "market", time_in_force: "day" })).toMatchObject({
      status: 422,
      body: { message: 'asset "GRAYU" is not tradable' },
    });
  });

  it("replaces an open order with a new one linked to the old, and cancels every open order at once (207)", async () => {
    const { call } = await start();
    const { id } = await fundedAccount(call, "1000");
    const orders = `/v1/trading/accounts/${id}/orders`;
    const resting = (await call("POST", orders, { symbol: "AAPL", qty: "2", side: "buy", type: "limit", time_in_force: "day", limit_price: "150" })).body;
    expect(resting.status).toBe("new");
    // Its hold moves to the new order: 2 x 150 then 3 x 160 of the 1000.
    const replaced = await call("PATCH", `${orders}/${resting.id}`, { qty: "3", limit_price: "160", client_order_id: "replace-1" });
    expect(replaced).toMatchObject({ status: 200, body: { status: "new", qty: "3", limit_price: "160", type: "limit", client_order_id: "replace-1", replaces: resting.id } });
    expect((await call("GET", `${orders}/${resting.id}`)).body).toMatchObject({ status: "replaced", replaced_by: replaced.body.id });
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ buying_power: "520" });
    // The old order again, a fractional qty, a used client_order_id: refused, nothing changed.
    expect(await call("PATCH", `${orders}/${resting.id}`, { qty: "4" })).toMatchObject({ status: 422, body: { message: 'order is already in "replaced" state' } });
    expect(await call("PATCH", `${orders}/${replaced.body.id}`, { qty: "1.5" })).toMatchObject({ status: 422 });
    expect(await call("PATCH", `${orders}/${replaced.body.id}`, { qty: "1", client_order_id: "replace-1" })).toMatchObject({ status: 422, body: { message: "client_order_id must be unique" } });
    expect((await call("GET", `${orders}/${replaced.body.id}`)).body).toMatchObject({ status: "new", qty: "3" });

    const trailing = (await call("POST", orders, { symbol: "AAPL", qty: "1", side: "buy", type: "trailing_stop", time_in_force: "gtc", trail_percent: "5" })).body;
    expect(trailing).toMatchObject({ status: "new", hwm: "190.00", trail_percent: "5", stop_price: "199.5" });
    expect((await call("PATCH", `${orders}/${trailing.id}`, { trail: "2" })).body).toMatchObject({ trail_percent: "2", stop_price: "193.8", replaces: trailing.id });

    const all = await call("DELETE", orders);
    expect(all.status).toBe(207);
    expect(all.body.map((item: any) => [item.status, item.body.status])).toEqual([
      [200, "canceled"],
      [200, "canceled"],
    ]);
    expect((await call("GET", `${orders}?status=open`)).body).toEqual([]);
    expect((await call("DELETE", orders)).body).toEqual([]);
  });

  it("keeps client_order_id unique per account, also after a cancel", async () => {
    const { call } = await start();
    const { id } = await fundedAccount(call, "1000");
    const limit = { symbol: "AAPL", qty: "1", side: "buy", type: "limit", limit_price: "150.00", time_in_force: "gtc", client_order_id: "order-1" };
    const resting = await call("POST", `/v1/trading/accounts/${id}/orders`, limit);
    expect(resting.body).toMatchObject({ status: "new", limit_price: "150", client_order_id: "order-1" });
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body).toMatchObject({ cash: "1000", buying_power: "850" });
    expect(await call("POST", `/v1/trading/accounts/${id}/orders`, limit)).toEqual(expect.objectContaining({ status: 422, body: { code: 40010001, message: "client_order_id must be unique" } }));
    expect((await call("GET", `/v1/trading/accounts/${id}/orders:by_client_order_id?client_order_id=order-1`)).body.id).toBe(resting.body.id);

    expect((await call("DELETE", `/v1/trading/accounts/${id}/orders/${resting.body.id}`)).status).toBe(204);
    expect((await call("DELETE", `/v1/trading/accounts/${id}/orders/${resting.body.id}`)).status).toBe(422);
    expect((await call("GET", `/v1/trading/accounts/${id}/orders`)).body).toEqual([]);
    expect((await call("GET", `/v1/trading/accounts/${id}/orders?status=closed`)).body.map((o: any) => o.status)).toEqual(["canceled"]);
    expect((await call("POST", `/v1/trading/accounts/${id}/orders`, limit)).status).toBe(422);
    expect((await call("GET", `/v1/trading/accounts/${id}/orders/${crypto.randomUUID()}`)).body).toEqual({ code: 40410000, message: "order not found" });
  });

  it("lists orders newest first by submission, after and until each leaving out its own instant", async () => {
    const { call } = await start();
    const { id } = await fundedAccount(call, "1000");
    const limit = (n: number) => ({ symbol: "AAPL", qty: "1", side: "buy", type: "limit", limit_price: "1.00", time_in_force: "gtc", client_order_id: `order-${n}` });
    const placed = [];
    for (const n of [1, 2, 3]) placed.push((await call("POST", `/v1/trading/accounts/${id}/orders`, limit(n))).body);
    const ids = async (query: string) => (await call("GET", `/v1/trading/accounts/${id}/orders?${query}`)).body.map((o: any) => o.client_order_id);
    expect(await ids("limit=2")).toEqual(["order-3", "order-2"]);
    expect(await ids(`until=${encodeURIComponent(placed[1].submitted_at)}`)).toEqual(placed[0].submitted_at < placed[1].submitted_at ? ["order-1"] : []);
    expect(await ids(`after=${encodeURIComponent(placed[1].submitted_at)}`)).toEqual(placed[2].submitted_at > placed[1].submitted_at ? ["order-3"] : []);
  });

  it("finds accounts by query tokens, all of which must match", async () => {
    const { call } = await start();
    await call("POST", "/v1/accounts", accountRequest("zed@example.com"));
    await call("POST", "/v1/accounts", accountRequest("amy@example.com"));
    const emails = async (query: string) => (await call("GET", `/v1/accounts?query=${encodeURIComponent(query)}&entities=contact`)).body.map((a: any) => a.contact.email_address);
    expect(await emails("zed@example.com")).toEqual(["zed@example.com"]);
    expect(await emails("ann lee")).toEqual(["zed@example.com", "amy@example.com"]);
    expect(await emails("lee nobody")).toEqual([]);
    expect((await call("GET", "/v1/accounts?query=amy")).body[0].contact).toBeUndefined();
  });

  it("keeps its state across a restart, and finishes what was under way", async () => {
    // The activation cannot come due before the stop, however slow the machine; the file then says
    // it came due while the stand-in was down.
    const first = await start({ activateAfterMs: 60_000 });
    const { body: account } = await first.call("POST", "/v1/accounts", accountRequest());
    await first.standin.stop();
    running.length = 0;
    const stateFile = path.join(first.dir, "state.json");
    const state = JSON.parse(await readFile(stateFile, "utf8"));
    expect(state.accounts[account.id].status).toBe("SUBMITTED");
    for (const change of state.pending) change.at = Date.now();
    await writeFile(stateFile, JSON.stringify(state));

    const second = await start({ dir: first.dir, activateAfterMs: 60_000 });
    expect((await second.call("GET", `/v1/accounts/${account.id}`)).body).toMatchObject({ account_number: account.account_number });
    await statusBecomes(second.call, `/v1/accounts/${account.id}`, "APPROVED");
    expect(second.lines).toContain(`[broker-standin] account ${account.account_number} SUBMITTED -> APPROVED`);
  });

  it("answers Plaid's error shape for wrong keys and bad tokens", async () => {
    const { standin } = await start();
    const plaid = async (route: string, body: object) => {
      const res = await fetch(`${standin.url}/plaid${route}`, { method: "POST", body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    expect(await plaid("/item/public_token/exchange", { client_id: LOCAL_PLAID_CLIENT_ID, secret: "wrong", public_token: "public-sandbox-x" })).toEqual({
      status: 400,
      body: {
        display_message: null,
        documentation_url: "https://plaid.com/docs/errors/invalid-input/#invalid_api_keys",
        error_code: "INVALID_API_KEYS",
        error_message: "invalid client_id or secret provided",
        error_type: "INVALID_INPUT",
        request_id: expect.stringMatching(/^\w{15}$/),
        status: 400,
        suggested_action: null,
      },
    });
    expect((await plaid("/item/public_token/exchange", { client_id: LOCAL_PLAID_CLIENT_ID, secret: LOCAL_PLAID_SECRET, public_token: "public-sandbox-x" })).body).toMatchObject({
      error_type: "INVALID_INPUT",
      error_code: "INVALID_PUBLIC_TOKEN",
    });
  });

  it("answers 429 once the minute's calls are used up", async () => {
    const { call } = await start({ rateLimitPerMinute: 2 });
    expect((await call("GET", "/v1/accounts")).headers.get("x-ratelimit-remaining")).toBe("1");
    expect((await call("GET", "/v1/accounts")).headers.get("x-ratelimit-remaining")).toBe("0");
    const over = await call("GET", "/v1/accounts");
    expect(over.status).toBe(429);
    expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
  });
});

/** An event stream of the stand-in, read as it comes: `next(n)` answers once n items (messages' JSON, or comments) have come. */
async function openEvents(url: string, route: string) {
  const reading = new AbortController();
  const res = await fetch(url + route, { headers: { authorization: AUTH }, signal: reading.signal });
  const reader = res.ok ? res.body!.pipeThrough(new TextDecoderStream()).getReader() : undefined;
  let buffer = "";
  let ended = false;
  const items: any[] = [];
  return {
    res,
    get ended() {
      return ended;
    },
    async next(count: number, what: (item: any) => boolean = () => true): Promise<any[]> {
      while (items.filter(what).length < count && !ended) {
        const { value, done } = await reader!.read();
        if (done) ended = true;
        buffer += value ?? "";
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          items.push(block.startsWith("data: ") ? JSON.parse(block.slice(6)) : block);
        }
      }
      return items.filter(what);
    },
    close: () => reading.abort(),
  };
}

const isEvent = (item: unknown) => typeof item === "object";
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("the stand-in's event streams and controls", () => {
  it("tells an account SUBMITTED -> APPROVED -> ACTIVE, its bank link and deposit, on the accounts and funding streams, each with a ULID in order; history from the cursor", async () => {
    const { standin, call } = await start();
    const accounts = await openEvents(standin.url, "/v1/events/accounts/status");
    const funding = await openEvents(standin.url, "/v2/events/funding/status");
    expect([accounts.res.status, accounts.res.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
    const { id, bankId } = await fundedAccount(call, "250.00");
    const statuses = await accounts.next(2, isEvent);
    expect(statuses).toMatchObject([
      { account_id: id, status_from: "SUBMITTED", status_to: "APPROVED" },
      { account_id: id, status_from: "APPROVED", status_to: "ACTIVE" },
    ]);
    expect(statuses.every((event) => ULID.test(event.event_ulid) && typeof event.at === "string" && typeof event.account_number === "string")).toBe(true);
    expect(statuses[0].event_ulid < statuses[1].event_ulid).toBe(true);
    const [link, deposit] = await funding.next(2, isEvent);
    expect(link).toMatchObject({ account_id: id, entity_type: "BankRelationship", entity_id: bankId, status_from: "QUEUED", status_to: "APPROVED" });
    expect(deposit).toMatchObject({ account_id: id, entity_type: "Transfer", status_from: "QUEUED", status_to: "COMPLETE" });
    expect(ULID.test(deposit.event_id) && link.event_id < deposit.event_id).toBe(true);
    accounts.close();
    funding.close();

    // From a cursor: what came after it, then live; with until, up to it and the end.
    const after = await openEvents(standin.url, `/v1/events/accounts/status?since_ulid=${statuses[0].event_ulid}`);
    expect(await after.next(1, isEvent)).toEqual([statuses[1]]);
    after.close();
    const bounded = await openEvents(standin.url, `/v2/events/funding/status?since_id=${"0".repeat(26)}&until_id=${link.event_id}`);
    expect(await bounded.next(5, isEvent)).toEqual([link]);
    expect(bounded.ended).toBe(true);
  });

  it("rests a limit order as new until the fill control fills it at its limit price: the trades stream tells new, then fill with the position", async () => {
    const { standin, call, dir, lines } = await start();
    const { id } = await fundedAccount(call, "1000.00");
    const trades = await openEvents(standin.url, "/v2/events/trades");
    const { body: order } = await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", side: "buy", type: "limit", time_in_force: "gtc", qty: "2", limit_price: "150.00" });
    expect(order.status).toBe("new");
    const [placed] = await trades.next(1, isEvent);
    expect(placed).toMatchObject({ account_id: id, event: "new", order: { id: order.id, status: "new" } });
    expect((await call("GET", `/v1/trading/accounts/${id}/orders/${order.id}`)).body.status).toBe("new");

    const control = await fetch(`${standin.url}/_standin/orders/${order.id}/fill`, { method: "POST" });
    expect(control.status).toBe(200);
    expect(await control.json()).toMatchObject({ id: order.id, status: "filled", filled_qty: "2", filled_avg_price: "150" });
    const [, filled] = await trades.next(2, isEvent);
    expect(filled).toMatchObject({ event: "fill", price: "150", qty: "2", position_qty: "2", order: { id: order.id, status: "filled" } });
    expect(ULID.test(filled.event_id) && placed.event_id < filled.event_id).toBe(true);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body.cash).toBe("700");
    expect(lines).toContain(`[broker-standin] order ${order.id} (buy AAPL) filled at 150 by the control`);
    // Filled once: a second fill is refused, as is an unknown order.
    expect((await fetch(`${standin.url}/_standin/orders/${order.id}/fill`, { method: "POST" })).status).toBe(422);
    expect((await fetch(`${standin.url}/_standin/orders/${crypto.randomUUID()}/fill`, { method: "POST" })).status).toBe(404);
    // The control script finds this stand-in through its data folder.
    expect(await readFile(path.join(dir, "url"), "utf8")).toBe(standin.url);
    trades.close();
  });

  it("returns a COMPLETE deposit with the return control: RETURNED with a reason, the money out of the account, told on the funding stream", async () => {
    const { standin, call } = await start();
    const { id } = await fundedAccount(call, "300.00");
    const [deposit] = (await call("GET", `/v1/accounts/${id}/transfers`)).body;
    const funding = await openEvents(standin.url, "/v2/events/funding/status");
    const returned = await fetch(`${standin.url}/_standin/transfers/${deposit.id}/return`, { method: "POST" });
    expect(await returned.json()).toMatchObject({ id: deposit.id, status: "RETURNED", reason: expect.any(String) });
    expect(await funding.next(1, isEvent)).toMatchObject([{ entity_type: "Transfer", entity_id: deposit.id, status_from: "COMPLETE", status_to: "RETURNED", reason: expect.stringMatching(/\S/) }]);
    expect((await call("GET", `/v1/trading/accounts/${id}/account`)).body.cash).toBe("0");
    expect((await fetch(`${standin.url}/_standin/transfers/${deposit.id}/return`, { method: "POST" })).status).toBe(422);
    funding.close();
  });

  it("sends heartbeats on an open stream, takes each stream's own cursor only, and the key", async () => {
    const { standin } = await start({ heartbeatMs: 20 });
    const trades = await openEvents(standin.url, "/v2/events/trades");
    expect(await trades.next(2)).toEqual([":heartbeat", ":heartbeat"]);
    trades.close();
    const refused = async (route: string, auth: string | null = AUTH) => {
      const res = await fetch(standin.url + route, auth ? { headers: { authorization: auth } } : {});
      return [res.status, ((await res.json()) as { code: number }).code];
    };
    expect(await refused(`/v2/events/trades?since_ulid=${"0".repeat(26)}`)).toEqual([400, 40010000]);
    expect(await refused(`/v1/events/accounts/status?since_id=${"0".repeat(26)}`)).toEqual([400, 40010000]);
    expect(await refused(`/v2/events/funding/status?until_id=${"0".repeat(26)}`)).toEqual([400, 40010000]);
    expect(await refused("/v2/events/trades", null)).toEqual([401, 40110000]);
  });

  it("keeps each stream's history across a restart", async () => {
    const first = await start();
    await fundedAccount(first.call, "10.00");
    await first.standin.stop();
    running.length = 0;
    const second = await start({ dir: first.dir });
    const history = await openEvents(second.standin.url, `/v2/events/funding/status?since_id=${"0".repeat(26)}`);
    expect((await history.next(2, isEvent)).map((event) => event.status_to)).toEqual(["APPROVED", "COMPLETE"]);
    history.close();
  });
});

describe("the stand-in's account data", () => {
  /** The stand-in stopped, its state changed as `edit` says, and started again on it. */
  async function restarted(standin: BrokerStandin, dir: string, edit: (saved: any) => void) {
    await standin.stop();
    running.splice(running.indexOf(standin), 1);
    const saved = JSON.parse(await readFile(path.join(dir, "state.json"), "utf8"));
    edit(saved);
    await writeFile(path.join(dir, "state.json"), JSON.stringify(saved));
    return start({ dir });
  }

  it("lists activities that follow what was done (a deposit, a fill), newest first, paged by the last id, filtered by type", async () => {
    const { call } = await start();
    const { id } = await fundedAccount(call, "1000.00");
    const order = (await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", qty: "2", client_order_id: "c1" })).body;
    const all = await call("GET", `/v1/accounts/activities?account_id=${id}`);
    expect(all.status).toBe(200);
    expect(all.body.map((activity: any) => activity.activity_type)).toEqual(["FILL", "CSD"]);
    expect(all.body[0]).toMatchObject({ account_id: id, type: "fill", side: "buy", symbol: "AAPL", qty: "2", price: "190.00", order_id: order.id, leaves_qty: "0", cum_qty: "2" });
    expect(all.body[1]).toMatchObject({ net_amount: "1000", status: "executed", date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(all.body[1]).not.toHaveProperty("at");
    for (const activity of all.body) expect(activity.id).toMatch(/^\d{17}::[0-9a-f-]{36}$/);
    const page = await call("GET", `/v1/accounts/activities?account_id=${id}&page_size=1&page_token=${encodeURIComponent(all.body[0].id)}`);
    expect(page.body).toEqual([all.body[1]]);
    expect((await call("GET", `/v1/accounts/activities?account_id=${id}&activity_types=CSD,CSW`)).body).toEqual([all.body[1]]);
    expect((await call("GET", `/v1/accounts/activities?account_id=${id}&page_size=101`)).status).toBe(422);
    // The same state answers the same: nothing random in an activity.
    expect((await call("GET", `/v1/accounts/activities?account_id=${id}`)).body).toEqual(all.body);
  });

  it("derives the portfolio history from the activities: JSON numbers, aligned, positions on the price path, the deposit a cash flow, not profit; the same twice", async () => {
    const { call, standin, dir } = await start();
    const { id } = await fundedAccount(call, "1000.00");
    await call("POST", `/v1/trading/accounts/${id}/orders`, { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", qty: "2", client_order_id: "c1" });
    // Both 40 days ago: before the month's window, so its base, and every point holds them.
    const again = await restarted(standin, dir, (saved) => {
      const before = new Date(Date.now() - 40 * 86_400_000).toISOString();
      for (const transfer of Object.values<any>(saved.transfers)) transfer.updated_at = before;
      for (const order of Object.values<any>(saved.orders)) order.filled_at = before;
    });
    const route = `/v1/trading/accounts/${id}/account/portfolio/history?period=1M&timeframe=1D`;
    const history = await again.call("GET", route);
    expect(history.status).toBe(200);
    const { timestamp, equity, profit_loss, profit_loss_pct, base_value, timeframe } = history.body;
    expect(timeframe).toBe("1D");
    expect([equity.length, profit_loss.length, profit_loss_pct.length]).toEqual([timestamp.length, timestamp.length, timestamp.length]);
    expect(timestamp.length).toBeGreaterThanOrEqual(15);
    for (const value of timestamp) expect(Number.isInteger(value) && value < 1e12).toBe(true);
    // 1000 in, 380 of it in AAPL: the equity moves with AAPL's path, the profit is what it moved by.
    expect(Math.abs(base_value - 1000)).toBeLessThan(30);
    equity.forEach((value: number, i: number) => {
      expect(Math.abs(value - profit_loss[i] - base_value)).toBeLessThan(0.011);
      expect(Math.abs(profit_loss_pct[i] - profit_loss[i] / base_value)).toBeLessThan(1e-5);
    });
    expect(new Set(equity).size).toBeGreaterThan(1);
    expect((await again.call("GET", route)).body).toEqual(history.body);
    expect((await again.call("GET", `/v1/trading/accounts/${id}/account/portfolio/history?period=1M&timeframe=5Min`)).status).toBe(422);
  });

  it("serves a month's statement: listed once the month has ended, a 301 to its link, a PDF of a few hundred bytes, the same each time; no link opens another account's", async () => {
    const { call, standin, dir } = await start();
    const { id } = await fundedAccount(call, "10.00");
    const again = await restarted(standin, dir, (saved) => (saved.accounts[id].created_at = "2026-09-15T12:00:00Z"));
    const listed = await again.call("GET", `/v1/accounts/${id}/documents?type=account_statement&start=2026-09-01&end=2026-10-31`);
    expect(listed.body).toEqual([
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Account Statement October 2026", type: "account_statement", sub_type: "", date: "2026-10-31" },
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Account Statement September 2026", type: "account_statement", sub_type: "", date: "2026-09-30" },
    ]);
    const download = await fetch(`${again.standin.url}/v1/accounts/${id}/documents/${listed.body[0].id}/download`, { headers: { authorization: AUTH }, redirect: "manual" });
    expect(download.status).toBe(301);
    const link = download.headers.get("location")!;
    expect(link).toMatch(new RegExp(`^${again.standin.url}/documents/${listed.body[0].id}\\.pdf\\?signature=\\w+$`));
    const pdf = await fetch(link);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect([pdf.status, pdf.headers.get("content-type")]).toEqual([200, "application/pdf"]);
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(bytes.length).toBeGreaterThan(200);
    expect(bytes.length).toBeLessThan(1000);
    expect(bytes.toString("latin1")).toContain("Account Statement October 2026");
    expect(Buffer.from(await (await fetch(link)).arrayBuffer())).toEqual(bytes);
    // Another document's signature, or none: 403, as an expired or forged link.
    expect((await fetch(link.replace(listed.body[0].id, listed.body[1].id))).status).toBe(403);
    // Another account's path: 404.
    const other = await fundedAccount(again.call, "10.00");
    expect((await again.call("GET", `/v1/accounts/${other.id}/documents/${listed.body[0].id}/download`)).status).toBe(404);
  });

  it("takes KYC documents: recorded without their content, an ACTION_REQUIRED account back to SUBMITTED then ACTIVE; refuses what is not a document", async () => {
    const { call } = await start();
    const request = accountRequest();
    const { body: account } = await call("POST", "/v1/accounts", { ...request, disclosures: { ...request.disclosures, is_politically_exposed: true } });
    expect(account.status).toBe("ACTION_REQUIRED");
    const content = Buffer.from("%PDF-1.4 passport").toString("base64");
    const uploaded = await call("POST", `/v1/accounts/${account.id}/documents/upload`, [{ document_type: "identity_verification", document_sub_type: "passport", mime_type: "application/pdf", content }]);
    expect(uploaded.status).toBe(202);
    const active = await statusBecomes(call, `/v1/accounts/${account.id}`, "ACTIVE");
    expect(active.documents).toEqual([{ document_type: "identity_verification", id: expect.stringMatching(/^[0-9a-f-]{36}$/), created_at: expect.any(String) }]);
    expect(JSON.stringify(active)).not.toContain(content);
    for (const body of [[], [{ document_type: "selfie", mime_type: "application/pdf", content }], [{ document_type: "w9", mime_type: "image/gif", content }], { document_type: "w9" }]) {
      expect((await call("POST", `/v1/accounts/${account.id}/documents/upload`, body)).status).toBe(400);
    }
  });
});
