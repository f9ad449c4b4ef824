// Watchlists in workerd against real D1: the signed-in user's own, each symbol checked against the
// asset list the tests load (test/support/assets.ts); another user's id answers as an unknown one.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountHolder } from "../support/funding";
import { inOneLimitWindow, problemOf, upToLimitThenOne, visibleAnswer } from "../support/worker";
import type { WatchlistResponse } from "../../src/schemas/assets";

const LISTS = "/platform/accounts/me/watchlists";
const key = () => crypto.randomUUID();
type User = Awaited<ReturnType<typeof accountHolder>>;

async function create(user: User, body: unknown, k = key()): Promise<WatchlistResponse> {
  const res = await user.post(LISTS, body, k);
  expect(res.status).toBe(201);
  return (await res.json()) as WatchlistResponse;
}

const symbolsOf = (list: WatchlistResponse) => list.assets.map((asset) => asset.symbol);

describe("a user's watchlists", () => {
  it("are created, listed, read, renamed, changed and deleted, each symbol with its asset; no Broker call", async () => {
    const user = await accountHolder();
    const tech = await create(user, { name: "Tech", symbols: ["aapl", "MSFT", "AAPL"] });
    expect(tech).toMatchObject({ name: "Tech", assets: [{ symbol: "AAPL", name: "Apple Inc. Common Stock", tradable: true }, { symbol: "MSFT" }] });
    expect(tech.id).toMatch(/^[0-9a-f-]{36}$/);
    const empty = await create(user, { name: "Later" });
    expect(empty.assets).toEqual([]);
    const path = `${LISTS}/${tech.id}`;

    expect(await (await user.call(LISTS)).json()).toEqual({ watchlists: [tech, empty] });
    expect(await (await user.call(path)).json()).toEqual(tech);

    const renamed = (await (await user.send("PATCH", path, { name: "Big tech" })).json()) as WatchlistResponse;
    expect([renamed.name, symbolsOf(renamed)]).toEqual(["Big tech", ["AAPL", "MSFT"]]);

    // Added at the end; one it holds is no change.
    expect(symbolsOf((await (await user.send("POST", `${path}/symbols`, { symbol: "brk.a" })).json()) as WatchlistResponse)).toEqual(["AAPL", "MSFT", "BRK.A"]);
    expect(symbolsOf((await (await user.send("POST", `${path}/symbols`, { symbol: "AAPL" })).json()) as WatchlistResponse)).toEqual(["AAPL", "MSFT", "BRK.A"]);
    // Removed; one it does not hold is no change.
    expect(symbolsOf((await (await user.call(`${path}/symbols/msft`, { method: "DELETE" })).json()) as WatchlistResponse)).toEqual(["AAPL", "BRK.A"]);
    expect(symbolsOf((await (await user.call(`${path}/symbols/AMZN`, { method: "DELETE" })).json()) as WatchlistResponse)).toEqual(["AAPL", "BRK.A"]);

    expect((await user.call(path, { method: "DELETE" })).status).toBe(204);
    expect((await problemOf(await user.call(path))).code).toBe("watchlist_not_found");
    expect(await (await user.call(LISTS)).json()).toEqual({ watchlists: [empty] });
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("are created once per Idempotency-Key: the retry replays the first answer; none without a key", async () => {
    const user = await accountHolder();
    const k = key();
    const first = await visibleAnswer(await user.post(LISTS, { name: "Once" }, k));
    expect(await visibleAnswer(await user.post(LISTS, { name: "Once" }, k))).toEqual({ ...first, headers: { ...first.headers, "idempotency-replayed": "true" } });
    expect((await problemOf(await user.post(LISTS, { name: "Other" }, k))).code).toBe("idempotency_key_reused");
    expect((await problemOf(await user.send("POST", LISTS, { name: "Keyless" }))).code).toBe("idempotency_key_required");
    expect(((await (await user.call(LISTS)).json()) as { watchlists: unknown[] }).watchlists).toHaveLength(1);
  });

  it("take only symbols of the asset list: 400 naming each field, nothing made or added", async () => {
    const user = await accountHolder();
    const problem = await problemOf(await user.post(LISTS, { name: "Bad", symbols: ["AAPL", "aapl", "ZZZZ", "NOPE"] }, key()));
    expect([problem.code, problem.errors]).toEqual([
      "validation_failed",
      [
        { field: "symbols.2", message: "symbol is not an asset the broker lists" },
        { field: "symbols.3", message: "symbol is not an asset the broker lists" },
      ],
    ]);
    const list = await create(user, { name: "Good" });
    const added = await problemOf(await user.send("POST", `${LISTS}/${list.id}/symbols`, { symbol: "ZZZZ" }));
    expect(added.errors).toEqual([{ field: "symbol", message: "symbol is not an asset the broker lists" }]);
    expect(symbolsOf((await (await user.call(`${LISTS}/${list.id}`)).json()) as WatchlistResponse)).toEqual([]);
  });

  it.each([
    [{}, "name", "name must be a string"],
    [{ name: " " }, "name", "name must not be empty"],
    [{ name: "x".repeat(65) }, "name", "name must be at most 64 characters"],
    [{ name: "A", symbols: "AAPL" }, "symbols", "symbols must be an array of symbols"],
    [{ name: "A", symbols: ["$$"] }, "symbols.0", "symbol must be a ticker symbol, e.g. AAPL"],
    [{ name: "A", account_id: "x" }, "(body)", "unknown field: account_id"],
  ])("refuses %j with 400 naming the field", async (body, field, message) => {
    const user = await accountHolder();
    expect((await problemOf(await user.post(LISTS, body, key()))).errors).toEqual([{ field, message }]);
  });

  it("have names unique per user, whatever their case: 409 on create and on rename; another user may use it", async () => {
    const user = await accountHolder();
    await create(user, { name: "Tech" });
    const other = await create(user, { name: "Energy" });
    expect((await problemOf(await user.post(LISTS, { name: "TECH" }, key()))).code).toBe("watchlist_name_taken");
    expect((await problemOf(await user.send("PATCH", `${LISTS}/${other.id}`, { name: "tech" }))).code).toBe("watchlist_name_taken");
    await create(await accountHolder(), { name: "Tech" });
  });

  it("are at most 20 a user, and 100 symbols a list: 409 watchlist_limit", async () => {
    const user = await accountHolder();
    for (let i = 0; i < 20; i++) await env.DB.prepare("INSERT INTO watchlists (id, sub, name, created_at, updated_at) VALUES (?, ?, ?, '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')").bind(crypto.randomUUID(), user.sub, `List ${i}`).run();
    expect(await problemOf(await user.post(LISTS, { name: "One more" }, key()))).toMatchObject({ code: "watchlist_limit", detail: "A user has at most 20 watchlists." });
    const other = await accountHolder();
    const full = await create(other, { name: "Full" });
    await env.DB.prepare("INSERT INTO watchlist_symbols (watchlist_id, symbol, position) SELECT ?, 'X' || value, value FROM json_each(?)").bind(full.id, JSON.stringify(Array.from({ length: 100 }, (_, i) => i))).run();
    expect(await problemOf(await other.send("POST", `${LISTS}/${full.id}/symbols`, { symbol: "AAPL" }))).toMatchObject({ code: "watchlist_limit", detail: "A watchlist holds at most 100 symbols." });
  });
});

describe("two users", () => {
  it("never reach each other's watchlists: every id-taking route answers Ann's id exactly as an unknown one, and Ann's list is unchanged", async () => {
    const ann = await accountHolder();
    const bea = await accountHolder();
    const list = await create(ann, { name: "Ann's", symbols: ["AAPL"] });
    const tries: [string, (id: string) => Promise<Response>][] = [
      ["GET", (id) => bea.call(`${LISTS}/${id}`)],
      ["PATCH", (id) => bea.send("PATCH", `${LISTS}/${id}`, { name: "Mine now" })],
      ["POST symbol", (id) => bea.send("POST", `${LISTS}/${id}/symbols`, { symbol: "MSFT" })],
      ["DELETE symbol", (id) => bea.call(`${LISTS}/${id}/symbols/AAPL`, { method: "DELETE" })],
      ["DELETE", (id) => bea.call(`${LISTS}/${id}`, { method: "DELETE" })],
    ];
    for (const [what, attempt] of tries) {
      const foreign = await visibleAnswer(await attempt(list.id));
      const unknown = await visibleAnswer(await attempt(crypto.randomUUID()));
      expect(foreign.status, what).toBe(404);
      expect(foreign, what).toEqual(unknown);
      // An id no list can have answers the same too.
      expect(await visibleAnswer(await attempt("not-an-id")), what).toEqual(unknown);
    }
    expect(await (await bea.call(LISTS)).json()).toEqual({ watchlists: [] });
    expect(await (await ann.call(`${LISTS}/${list.id}`)).json()).toEqual(list);
  });
});

describe("per-user limits", () => {
  it("30 watchlist reads a minute per user: the 31st is 429 with Retry-After; the list of lists, counted apart, still answers, and so does another user", () =>
    inOneLimitWindow(async () => {
      const user = await accountHolder();
      const answers = await upToLimitThenOne(30, () => user.call(`${LISTS}/${crypto.randomUUID()}`));
      expect(answers).toEqual([...Array(30).fill(404), 429]);
      const over = await user.call(`${LISTS}/${crypto.randomUUID()}`);
      expect([over.status, (await problemOf(over)).code, over.headers.get("retry-after")]).toEqual([429, "rate_limited", "60"]);
      expect((await user.call(LISTS)).status).toBe(200);
      expect((await (await accountHolder()).call(`${LISTS}/${crypto.randomUUID()}`)).status).toBe(404);
    }));

  it("120 asset reads a minute per user: the 121st is 429 with Retry-After", () =>
    inOneLimitWindow(async () => {
      const user = await accountHolder();
      const answers = await upToLimitThenOne(120, () => user.call("/platform/assets/AAPL"));
      expect(answers).toEqual([...Array(120).fill(200), 429]);
      expect((await user.call("/platform/assets?q=apple")).status).toBe(200);
    }));
});
