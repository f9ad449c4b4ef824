// The Broker API inside the bench isolate, as fake-cognito.ts is Cognito: globalThis.fetch answers
// the account, asset list and order calls the brokerage routes make with the Broker API's recorded answers
// (test/fixtures/broker.ts), each account and order with an id of its own, and counts every call by action.
// A bench tool, not the Broker API: it checks nothing and keeps only the accounts it made.
import { accountActive, accountCreated, assetsActive, notionalMarketOrderAccepted } from "../test/fixtures/broker";
import type { CallCounts } from "./fake-cognito";

const ACCOUNT = /^\/v1\/accounts\/([0-9a-f-]{36})$/;
const ORDERS = /^\/v1\/trading\/accounts\/([0-9a-f-]{36})\/orders$/;

/** Wraps globalThis.fetch: requests below `baseUrl` are answered here, the rest go to the fetch installed before. */
export function installFakeBroker(baseUrl: string, counts: CallCounts): void {
  const next = globalThis.fetch;
  const count = (name: string) => (counts[name] = (counts[name] ?? 0) + 1);
  const emails = new Map<string, string>();
  const answer = (action: string, body: object) => {
    count(action);
    return Response.json(body);
  };
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(baseUrl)) return next(request);
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && path === "/v1/accounts") {
      const { contact } = (await request.json()) as { contact: { email_address: string } };
      const id = crypto.randomUUID();
      emails.set(id, contact.email_address);
      return answer("CreateAccount", { ...accountCreated, id, contact: { ...accountCreated.contact, email_address: contact.email_address } });
    }
    // The asset list an order is checked against, loaded into D1 on the first order.
    if (request.method === "GET" && path === "/v1/assets") return answer("ListAssets", assetsActive);
    const orderAccount = ORDERS.exec(path)?.[1];
    if (request.method === "POST" && orderAccount && emails.has(orderAccount)) {
      const order = (await request.json()) as Record<string, string>;
      return answer("CreateOrder", { ...notionalMarketOrderAccepted, ...order, id: crypto.randomUUID(), created_at: new Date().toISOString() });
    }
    const id = ACCOUNT.exec(path)?.[1];
    if (request.method === "GET" && id && emails.has(id)) {
      return answer("GetAccount", { ...accountActive, id, contact: { ...accountActive.contact, email_address: emails.get(id) } });
    }
    await request.arrayBuffer();
    count(`unscripted:${request.method} ${path}`);
    return Response.json({ code: 40410000, message: "not in the bench fake" }, { status: 404 });
  };
}
