// The per-user allowances of money and trades, in workerd against real D1 and the rate-limit bindings
// of wrangler.toml: each action is counted on its own, just before its first Broker API call, so no
// flood of one action (a stolen token cancelling random ids, say) locks the owner out of another,
// and a refusal that never reached the Broker uses up nothing. A 429 writes no audit row.
import { describe, expect, it } from "vitest";
import { achRelationshipQueued, BROKER_ERRORS, notionalMarketOrderAccepted, transferQueued } from "../fixtures/broker";
import { accountHolder, moneyTrail } from "../support/funding";
import { limitersInIsolate } from "../support/limiters-in-isolate";
import { inOneLimitWindow, problemOf, randomIp, upToLimitThenOne } from "../support/worker";

const TRANSFERS = "/platform/accounts/me/transfers";
const ORDERS = "/platform/accounts/me/orders";
const POSITIONS = "/platform/accounts/me/positions";
const APPROVED = { ...achRelationshipQueued, status: "APPROVED" };
const DEPOSIT = { bank_link_id: achRelationshipQueued.id, amount: "500.00", direction: "INCOMING" };
const BUY = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" };
const CLOSING = { ...notionalMarketOrderAccepted, side: "sell", notional: null, qty: "5" };
const key = () => crypto.randomUUID();

/** Sends `n` requests one after another; their statuses. */
async function statuses(n: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await send(i)).status);
  return seen;
}

const depositor = (more = {}, vars: Record<string, unknown> = {}) =>
  accountHolder(
    {
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }],
      "POST /v1/accounts/{id}/transfers": [{ body: transferQueued }],
      "DELETE /v1/accounts/{id}/transfers/{id}": [{ status: 404, body: { code: 40410000, message: "transfer not found" } }],
      ...more,
    },
    { vars },
  );

describe("per-user allowances, one per action", () => {
  it("11 cancels of random transfer ids use up the cancels' allowance only: a deposit then succeeds, and the 429 writes no audit row", () =>
    inOneLimitWindow(async () => {
      const user = await depositor();
      const cancels = await upToLimitThenOne(10, () => user.call(`${TRANSFERS}/${crypto.randomUUID()}`, { method: "DELETE" }));
      expect(cancels).toEqual([...Array(10).fill(404), 429]);
      expect((await user.post(TRANSFERS, DEPOSIT, key())).status).toBe(201);
      expect((await moneyTrail(user.sub)).map((row) => `${row.action} ${row.outcome}`)).toEqual([...Array(10).fill("transfer.cancel transfer_not_found"), "transfer.create ok"]);
    }));

  it("61 order cancels use up the cancels' allowance only: an order and a position close then succeed", () =>
    inOneLimitWindow(async () => {
      const user = await accountHolder({
        "DELETE /v1/trading/accounts/{id}/orders/{id}": [BROKER_ERRORS.orderNotFound],
        "POST /v1/trading/accounts/{id}/orders": [{ body: notionalMarketOrderAccepted }],
        "DELETE /v1/trading/accounts/{id}/positions/AAPL": [{ body: CLOSING }],
      });
      const cancels = await upToLimitThenOne(60, () => user.call(`${ORDERS}/${crypto.randomUUID()}`, { method: "DELETE" }));
      expect(cancels).toEqual([...Array(60).fill(404), 429]);
      const cancelled = await user.call(`${ORDERS}/${crypto.randomUUID()}`, { method: "DELETE" });
      expect(await problemOf(cancelled)).toMatchObject({ code: "rate_limited", detail: "Too many order cancels for this account; retry later." });
      expect(cancelled.headers.get("retry-after")).toBe("60");
      expect((await user.post(ORDERS, BUY, key())).status).toBe(201);
      expect((await user.call(`${POSITIONS}/AAPL`, { method: "DELETE" })).status).toBe(200);
    }));

  it("20 refused transfers that never reached the Broker (bad body, no key, no step up, replays, another body for a key) use up nothing: a transfer then succeeds", () =>
    inOneLimitWindow(async () => {
      const user = await depositor();
      const used = key();
      expect((await user.post(TRANSFERS, DEPOSIT, used)).status).toBe(201);
      const refusals = [
        ...Array.from({ length: 4 }, () => () => user.post(TRANSFERS, { ...DEPOSIT, amount: "1e3" }, key())),
        ...Array.from({ length: 4 }, () => () => user.send("POST", TRANSFERS, DEPOSIT)),
        ...Array.from({ length: 4 }, () => () => user.post(TRANSFERS, { ...DEPOSIT, direction: "OUTGOING" }, key())),
        ...Array.from({ length: 4 }, () => () => user.post(TRANSFERS, DEPOSIT, used)),
        ...Array.from({ length: 4 }, () => () => user.post(TRANSFERS, { ...DEPOSIT, amount: "500.01" }, used)),
      ];
      const refused = await statuses(refusals.length, (i) => refusals[i]!());
      expect(refused).toEqual([...Array(4).fill(400), ...Array(4).fill(400), ...Array(4).fill(403), ...Array(4).fill(201), ...Array(4).fill(422)]);
      expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(1);
      expect((await user.post(TRANSFERS, DEPOSIT, key())).status).toBe(201);
    }));

  it("answers the 11th transfer of a minute 429 with Retry-After, writing no audit row for it; its key is free for the retry", () =>
    inOneLimitWindow(async () => {
      const user = await depositor();
      const answers = await Promise.all(Array.from({ length: 10 }, () => user.post(TRANSFERS, DEPOSIT, key())));
      expect(answers.map((res) => res.status)).toEqual(Array(10).fill(201));
      const k = key();
      const over = await user.post(TRANSFERS, DEPOSIT, k);
      expect(over.status).toBe(429);
      expect(over.headers.get("retry-after")).toBe("60");
      expect(await problemOf(over)).toMatchObject({ code: "rate_limited", detail: "Too many transfers for this account; retry later." });
      expect((await user.brokerTrail()).filter((call) => call.startsWith("POST"))).toHaveLength(10);
      expect((await moneyTrail(user.sub)).map((row) => row.outcome)).toEqual(Array(10).fill("ok"));
      // Nothing was done: the key is not held, so the retry after Retry-After is a first try, not a 409.
      expect((await problemOf(await user.post(TRANSFERS, DEPOSIT, k))).code).toBe("rate_limited");
      expect(await moneyTrail(user.sub)).toHaveLength(10);
    }));

  it("writes no audit row for a refused body from an address over its limit: that request is answered 429", async () => {
    // The bindings counted in the isolate: 121 requests, from one address, to one route.
    const user = await depositor({}, limitersInIsolate());
    const ip = randomIp();
    const answers = await upToLimitThenOne(120, () => user.send("POST", TRANSFERS, { ...DEPOSIT, amount: "1e3" }, { "idempotency-key": key(), "cf-connecting-ip": ip }));
    expect(answers).toEqual([...Array(120).fill(400), 429]);
    const trail = await moneyTrail(user.sub);
    expect(trail).toHaveLength(120);
    expect(new Set(trail.map((row) => row.outcome))).toEqual(new Set(["validation_failed"]));
  });

  it("writes no audit row for a replay from an address over its limit: that request is answered 429", async () => {
    const user = await depositor({}, limitersInIsolate());
    const ip = randomIp();
    const k = key();
    // The first makes the transfer; the 119 replays of its key can then go at once.
    const send = () => user.send("POST", TRANSFERS, DEPOSIT, { "idempotency-key": k, "cf-connecting-ip": ip });
    const first = await send();
    const answers = [first.status, ...(await upToLimitThenOne(119, send))];
    expect(answers).toEqual([...Array(120).fill(201), 429]);
    expect((await moneyTrail(user.sub)).map((row) => row.outcome)).toEqual(["ok", ...Array(119).fill("replayed")]);
  });
});
