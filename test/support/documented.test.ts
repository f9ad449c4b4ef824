// The harness's check of 2xx bodies against /openapi.json (worker.ts asDocumented), on its own: what
// it lets through and what it names, so that a green suite means the bodies are the documented ones.
import { describe, expect, it } from "vitest";
import { OrdersResponse, TransferResponse } from "../../src/schemas/funding-responses";
import { unlikeSchema } from "./worker";

const TRANSFER = { id: "750d8323-19f6-47d5-8e9a-a34ed4a6f2d2", status: "QUEUED", amount: "100.00", direction: "INCOMING", created_at: "2026-12-01T09:41:05.44Z" };

describe("a 2xx body checked against its documented schema", () => {
  it("passes a body that is the schema's, field for field", () => {
    expect(unlikeSchema(TransferResponse, TRANSFER)).toBeUndefined();
  });

  it("names a field the schema does not document, which zod's parse alone would drop", () => {
    expect(unlikeSchema(TransferResponse, { ...TRANSFER, account_id: "x" })).toBe("undocumented field account_id");
    expect(unlikeSchema(OrdersResponse, { orders: [], next_cursor: null, total: 0 })).toBe("undocumented field total");
  });

  it("names a field of the wrong shape, where it is, and only the first few of a page", () => {
    expect(unlikeSchema(TransferResponse, { ...TRANSFER, amount: 100 })).toMatch(/^amount: /);
    const page = { orders: Array.from({ length: 5 }, () => ({ filled_avg_price: 190 })), next_cursor: null };
    expect(unlikeSchema(OrdersResponse, page)).toMatch(/^orders\.0\.id: .*; orders\.0\.client_order_id: .*; orders\.0\.status: .* and \d+ more$/);
  });
});
