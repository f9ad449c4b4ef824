// The fake upstream as REST tests (the Broker API, Plaid) script it: actions by method and path.
import { describe, expect, it } from "vitest";
import { stallWatch, timingOut } from "./timeouts";
import { scenario } from "./worker";

const ACCOUNT_ID = "2a87c088-ffb6-472b-a4a3-cd9305c8605c";

describe("the fake upstream, for a REST upstream", () => {
  it("scripts by method and path with UUID segments as {id}, and records the headers", async () => {
    const upstream = await scenario({
      "POST /v1/accounts/{id}/transfers": [{ status: 200, body: { id: "t-1", status: "QUEUED" } }],
      "GET /v1/accounts/{id}/transfers": [{ status: 200, body: [] }],
    });
    const posted = await fetch(`${upstream.base}/v1/accounts/${ACCOUNT_ID}/transfers`, {
      method: "POST",
      headers: { Authorization: "Basic a2V5OnNlY3JldA==", "Content-Type": "application/json" },
      body: JSON.stringify({ amount: "100.00" }),
    });
    expect(posted.status).toBe(200);
    expect(posted.headers.get("content-type")).toBe("application/json");
    expect(await posted.json()).toEqual({ id: "t-1", status: "QUEUED" });
    const listed = await fetch(`${upstream.base}/v1/accounts/${ACCOUNT_ID}/transfers?direction=INCOMING&limit=5`);
    expect(await listed.json()).toEqual([]);

    const calls = await upstream.calls();
    expect(calls.map((call) => [call.action, call.signed, call.body])).toEqual([
      ["POST /v1/accounts/{id}/transfers", true, { amount: "100.00" }],
      ["GET /v1/accounts/{id}/transfers", false, ""],
    ]);
    expect(calls[0]!.headers).toMatchObject({ authorization: "Basic a2V5OnNlY3JldA==", "content-type": "application/json" });
    expect(calls.map((call) => call.path)).toEqual([`/v1/accounts/${ACCOUNT_ID}/transfers`, `/v1/accounts/${ACCOUNT_ID}/transfers?direction=INCOMING&limit=5`]);
  });

  it("keeps path segments that are not UUIDs", async () => {
    const upstream = await scenario({ "GET /v1/trading/accounts/{id}/positions/AAPL": [{ status: 404, body: { code: 40410000, message: "position not found" } }] });
    const res = await fetch(`${upstream.base}/v1/trading/accounts/${ACCOUNT_ID}/positions/AAPL`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 40410000, message: "position not found" });
    expect((await upstream.calls()).map((call) => call.action)).toEqual(["GET /v1/trading/accounts/{id}/positions/AAPL"]);
  });
});

describe("the fake upstream's held calls, as the timing tests use them", () => {
  it("holds an answer until the test releases it, reports the held call, and answers later calls at once", async () => {
    const upstream = await scenario({ "POST /v1/accounts": [{ body: { id: "a-1" }, holdUntilReleased: true }] });
    const stalls = await stallWatch();
    const held = fetch(`${upstream.base}/v1/accounts`, { method: "POST" });
    expect(await stalls.next()).toEqual([{ method: "POST", url: expect.stringMatching(/^\/s\/[\w-]+\/v1\/accounts$/) }]);
    expect(await upstream.release()).toBe(1);
    expect(await (await held).json()).toEqual({ id: "a-1" });
    expect(await (await fetch(`${upstream.base}/v1/accounts`, { method: "POST" })).json()).toEqual({ id: "a-1" });
  });

  it("fires the timeout of the call the fake holds, and of no other call", async () => {
    const upstream = await scenario({ "GET /v1/slow": [{ hang: true }], "GET /v1/fast": [{ body: { ok: true } }] });
    const started = Date.now();
    const [slow, fast] = await timingOut(() =>
      Promise.allSettled([`${upstream.base}/v1/slow`, `${upstream.base}/v1/fast`].map((url) => fetch(url, { signal: AbortSignal.timeout(60_000) }))),
    );
    expect(slow).toMatchObject({ status: "rejected", reason: { name: "TimeoutError" } });
    expect(fast).toMatchObject({ status: "fulfilled", value: { status: 200 } });
    // Long before the minute the timer was set for.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
