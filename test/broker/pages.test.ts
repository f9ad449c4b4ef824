// The Broker API's lists read as one async iterator each (src/broker/pages.ts): transfers by limit and
// offset, orders by `until` from the last one's submitted_at, on the recorded transfer and order
// (test/fixtures/broker.ts) over several pages; each end of a list, the bound on pages, and a reader
// that stops early asking for no more.
import { describe, expect, it } from "vitest";
import { BrokerClient } from "../../src/broker/client";
import { BrokerFunding } from "../../src/broker/funding";
import { findIn } from "../../src/broker/pages";
import { BrokerTrading } from "../../src/broker/trading";
import type { RequestScope } from "../../src/upstream";
import { BROKER_ERRORS, notionalMarketOrderAccepted, transferQueued } from "../fixtures/broker";
import type { Reply } from "../support/fake-upstream";
import { BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";

const ACCOUNT = transferQueued.account_id;
const TRANSFERS = "GET /v1/accounts/{id}/transfers";
const ORDERS = "GET /v1/trading/accounts/{id}/orders";

async function broker(replies: Record<string, Reply[]>) {
  const upstream = await scenario(replies);
  const scope: RequestScope = { budgetEndsAt: Date.now() + 5_000, calls: [], clearance: Promise.resolve() };
  const client = new BrokerClient({ url: upstream.base, keyId: BROKER_KEYS.APCA_BROKER_API_KEY, secret: BROKER_KEYS.APCA_BROKER_API_SECRET }, scope, 2_000);
  return { funding: new BrokerFunding(client), trading: new BrokerTrading(client), paths: async () => (await upstream.calls()).map((call) => call.path) };
}

/** The recorded transfer, `n` of them, each its own id. */
const transfers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ ...transferQueued, id: `750d8323-19f6-47d5-8e9a-${String(from + i).padStart(12, "0")}` }));
const pageOf = (body: unknown[]): Reply => ({ status: 200, body });

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const taken: T[] = [];
  for await (const item of items) taken.push(item);
  return taken;
}

describe("BrokerFunding.allTransfers, limit and offset", () => {
  const list = `/v1/accounts/${ACCOUNT}/transfers`;

  it("reads every page in order until a short one, the direction sent on each", async () => {
    const { funding, paths } = await broker({ [TRANSFERS]: [pageOf(transfers(2)), pageOf(transfers(2, 2)), pageOf(transfers(1, 4))] });
    const read = await all(funding.allTransfers(ACCOUNT, { direction: "INCOMING", pageSize: 2 }));
    expect(read.map((transfer) => transfer.id)).toEqual(transfers(5).map((transfer) => transfer.id));
    expect(await paths()).toEqual([0, 2, 4].map((offset) => `${list}?limit=2&offset=${offset}&direction=INCOMING`));
  });

  it("ends at an empty page after full ones, and reads an empty list as one empty page", async () => {
    const full = await broker({ [TRANSFERS]: [pageOf(transfers(2)), pageOf([])] });
    expect(await all(full.funding.allTransfers(ACCOUNT, { pageSize: 2 }))).toHaveLength(2);
    expect(await full.paths()).toEqual([`${list}?limit=2&offset=0`, `${list}?limit=2&offset=2`]);
    const none = await broker({ [TRANSFERS]: [pageOf([])] });
    expect(await all(none.funding.allTransfers(ACCOUNT))).toEqual([]);
    expect(await none.paths()).toEqual([`${list}?limit=100&offset=0`]);
  });

  it("reads no more than maxPages pages, full as they are", async () => {
    const { funding, paths } = await broker({ [TRANSFERS]: [pageOf(transfers(2)), pageOf(transfers(2, 2)), pageOf(transfers(2, 4))] });
    expect(await all(funding.allTransfers(ACCOUNT, { pageSize: 2, maxPages: 2 }))).toHaveLength(4);
    expect(await paths()).toHaveLength(2);
  });

  it("asks for no page past the one a reader stops in", async () => {
    const wanted = transfers(1, 3)[0]!;
    const { funding, paths } = await broker({ [TRANSFERS]: [pageOf(transfers(2)), pageOf(transfers(2, 2)), pageOf(transfers(2, 4))] });
    expect(await findIn(funding.allTransfers(ACCOUNT, { pageSize: 2 }), (transfer) => transfer.id === wanted.id)).toMatchObject({ id: wanted.id });
    expect(await paths()).toHaveLength(2);
  });

  it("throws a page's refusal to the reader, after the items of the pages before", async () => {
    const { funding } = await broker({ [TRANSFERS]: [pageOf(transfers(2)), BROKER_ERRORS.notAuthorized] });
    const read: string[] = [];
    const reading = (async () => {
      for await (const transfer of funding.allTransfers(ACCOUNT, { pageSize: 2 })) read.push(transfer.id);
    })();
    await expect(reading).rejects.toMatchObject({ name: "BrokerError", httpStatus: 401 });
    expect(read).toHaveLength(2);
  });
});

describe("BrokerTrading.allOrders, newest first by until", () => {
  const list = `/v1/trading/accounts/${ACCOUNT}/orders`;
  /** The recorded order, one per time of submission given, newest first as the Broker API lists them. */
  const orders = (...submittedAt: string[]) =>
    submittedAt.map((submitted_at, i) => ({ ...notionalMarketOrderAccepted, id: `61e69015-8549-4bfd-b9c3-00000000000${i}`, submitted_at }));
  const [a, b, c, d, e] = orders("2021-03-16T18:38:05.5Z", "2021-03-16T18:38:04.5Z", "2021-03-16T18:38:03.5Z", "2021-03-16T18:38:02.5Z", "2021-03-16T18:38:01.5Z");
  const until = (at: string) => `&until=${encodeURIComponent(at)}`;

  it("reads each page until the last order's submitted_at, the status and lower bound sent on each, to a short page", async () => {
    const { trading, paths } = await broker({ [ORDERS]: [pageOf([a, b]), pageOf([c, d]), pageOf([e])] });
    const read = await all(trading.allOrders(ACCOUNT, { status: "closed", after: "2021-01-01T00:00:00Z", pageSize: 2 }));
    expect(read.map((order) => order.id)).toEqual([a, b, c, d, e].map((order) => order!.id));
    const after = `&after=${encodeURIComponent("2021-01-01T00:00:00Z")}`;
    expect(await paths()).toEqual([
      `${list}?status=closed&limit=2&direction=desc${after}`,
      `${list}?status=closed&limit=2&direction=desc${until(b!.submitted_at)}${after}`,
      `${list}?status=closed&limit=2&direction=desc${until(d!.submitted_at)}${after}`,
    ]);
  });

  it("goes by created_at for an order without submitted_at", async () => {
    const [x, y] = [a!, b!].map(({ submitted_at, ...order }) => ({ ...order, created_at: submitted_at }));
    const { trading, paths } = await broker({ [ORDERS]: [pageOf([x, y]), pageOf([])] });
    expect(await all(trading.allOrders(ACCOUNT, { status: "all", pageSize: 2 }))).toHaveLength(2);
    expect(await paths()).toEqual([`${list}?status=all&limit=2&direction=desc`, `${list}?status=all&limit=2&direction=desc${until(y!.created_at)}`]);
  });

  it("ends at an empty page, and reads no more than maxPages pages", async () => {
    const ended = await broker({ [ORDERS]: [pageOf([a, b]), pageOf([])] });
    expect(await all(ended.trading.allOrders(ACCOUNT, { status: "open", pageSize: 2 }))).toHaveLength(2);
    expect(await ended.paths()).toHaveLength(2);
    const bounded = await broker({ [ORDERS]: [pageOf([a, b]), pageOf([c, d]), pageOf([e])] });
    expect(await all(bounded.trading.allOrders(ACCOUNT, { status: "open", pageSize: 2, maxPages: 1 }))).toHaveLength(2);
    expect(await bounded.paths()).toHaveLength(1);
  });

  it("asks for 500 a page unless told", async () => {
    const { trading, paths } = await broker({ [ORDERS]: [pageOf([a])] });
    await all(trading.allOrders(ACCOUNT, { status: "open" }));
    expect(await paths()).toEqual([`${list}?status=open&limit=500&direction=desc`]);
  });
});
