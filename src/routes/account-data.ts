import { Hono } from "hono/tiny";
import { validJson, validQuery } from "../middleware/validate";
import { DocumentsQuery, DocumentUpload, PortfolioHistoryQuery, TransactionsQuery } from "../schemas/account-data";
import { documentFile, documents, portfolioHistory, transactions, uploadDocument } from "../services/account-data";
import { requestActor } from "./actor";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/**
 * The signed-in user's own account data: its ledger, its equity over time, its documents. No route
 * takes an account id; each is counted per user and route, as the brokerage reads. A document's PDF streams through as the Broker API's link serves it: never
 * cached (forPlatform's no-store), never logged.
 */
export const accountDataRoutes = new Hono<PlatformEnv>()
  .get("/accounts/me/transactions", ...rules({ uses: "broker", limit: { brokerage: "transactions" } }), validQuery(TransactionsQuery), async (c) => {
    return c.json(await transactions(c.get("deps"), requestActor(c), c.req.valid("query")), 200);
  })
  .get("/accounts/me/portfolio/history", ...rules({ uses: "broker", limit: { brokerage: "portfolio_history" } }), validQuery(PortfolioHistoryQuery), async (c) => {
    return c.json(await portfolioHistory(c.get("deps"), requestActor(c), c.req.valid("query")), 200);
  })
  .get("/accounts/me/documents", ...rules({ uses: "broker", limit: { brokerage: "documents" } }), validQuery(DocumentsQuery), async (c) => {
    return c.json(await documents(c.get("deps"), requestActor(c), c.req.valid("query")), 200);
  })
  .get("/accounts/me/documents/:id", ...rules({ uses: "broker", limit: { brokerage: "document" } }), async (c) => {
    const id = c.req.param("id");
    const file = await documentFile(c.get("deps"), requestActor(c), id);
    const headers: Record<string, string> = { "content-type": "application/pdf", "content-disposition": `attachment; filename="${id}.pdf"` };
    const length = file.headers.get("content-length");
    if (length) headers["content-length"] = length;
    // The id is a UUID by now (a path segment of no other shape is a 404): safe in a header.
    return c.body(file.body as ReadableStream<Uint8Array>, 200, headers);
  })
  .post("/accounts/me/documents", ...rules({ uses: "broker", limit: { brokerage: "document_upload" } }), validJson(DocumentUpload), async (c) => {
    return c.json(await uploadDocument(c.get("deps"), requestActor(c), c.req.valid("json")), 202);
  });
