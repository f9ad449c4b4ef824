// The fake upstream as REST tests (the Broker API, Plaid) script it: actions by method and path.
import { describe, expect, it } from "vitest";
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
