// The account data routes in workerd against the Broker API's recorded answers (test/fixtures/broker.ts)
// on the fake upstream: the ledger, the equity chart, the documents (a PDF streamed, another user's
// id answered as an unknown one), and the KYC upload (its own body limit, its bytes in no log and no
// D1 row).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HISTORY_EXAMPLE, TRANSACTIONS_EXAMPLE } from "../../src/docs/routes/account-data";
import { MAX_DOCUMENT_BYTES, MAX_UPLOAD_BODY_BYTES } from "../../src/limits";
import { accountActive, activities, documentsListed, PORTFOLIO_HISTORY_TEXT, STATEMENT_PDF } from "../fixtures/broker";
import { jsonText } from "../fixtures/market";
import { auditTrail, BROKER_AUTH, everyRowStored } from "../support/brokerage";
import { consoleLines } from "../support/logs";
import type { Reply } from "../support/fake-upstream";
import { accountHolder } from "../support/funding";
import { timingOut } from "../support/timeouts";
import { inOneLimitWindow, problemOf, scenario, upToLimitThenOne, visibleAnswer } from "../support/worker";

const ACTIVITIES = "GET /v1/accounts/activities";
const HISTORY = "GET /v1/trading/accounts/{id}/account/portfolio/history";
const DOCUMENTS = "GET /v1/accounts/{id}/documents";
const DOWNLOAD = "GET /v1/accounts/{id}/documents/{id}/download";
const UPLOAD = "POST /v1/accounts/{id}/documents/upload";

const throttled = (reset: number): Reply => ({ status: 429, body: { code: 42910000, message: "rate limit exceeded" }, headers: { "x-ratelimit-reset": String(reset) } });
const fieldsOf = async (res: Response) => ((await problemOf(res)).errors as { field: string }[]).map((error) => error.field);

describe("GET /platform/accounts/me/transactions", () => {
  it("answers the account's activities in our shape, types as sent; asks under the user's own account, newest first, the types passed on", async () => {
    const user = await accountHolder({ [ACTIVITIES]: [{ body: activities }] });
    const res = await user.call("/platform/accounts/me/transactions?types=FILL,CSD,DIVFT");
    expect(res.status).toBe(200);
    const body = (await res.json()) as typeof TRANSACTIONS_EXAMPLE;
    expect(body.next_cursor).toBeNull();
    expect(body.transactions.map((entry) => [entry.activity_type, entry.time, entry.qty, entry.price, entry.net_amount])).toEqual([
      ["FILL", "2021-05-11T15:12:37.213Z", "10", "125.91", null],
      ["CSD", "2021-05-12", null, null, "1234"],
    ]);
    expect(body.transactions[0]).toMatchObject({ symbol: "AAPL", side: "buy", fill_type: "fill", order_id: "61e69015-8549-4bfd-b9c3-01e75843f47d" });
    const [call, ...more] = await user.brokerCalls();
    expect(more).toEqual([]);
    expect(call!.headers.authorization).toBe(BROKER_AUTH);
    expect(call!.path).toBe(`/v1/accounts/activities?account_id=${user.accountId}&direction=desc&page_size=50&activity_types=FILL%2CCSD%2CDIVFT`);
    expect(await auditTrail(user.sub)).toEqual([["account.transactions.read", "ok"]]);
  });

  it("keeps the digits of amounts the Broker API writes as JSON numbers (187.1200000001, 1e-7)", async () => {
    const text = '[{"id":"20210512000000000::1","activity_type":"DIV","date":"2021-05-12","net_amount":187.1200000001,"per_share_amount":1e-7,"qty":-0.50,"status":"executed"}]';
    const user = await accountHolder({ [ACTIVITIES]: [jsonText(text)] });
    const body = (await (await user.call("/platform/accounts/me/transactions")).json()) as typeof TRANSACTIONS_EXAMPLE;
    expect(body.transactions[0]).toMatchObject({ net_amount: "187.1200000001", per_share_amount: "0.0000001", qty: "-0.50" });
  });

  it("pages: a full page names its last id, which the next request passes as the Broker API's page_token", async () => {
    const user = await accountHolder({ [ACTIVITIES]: [{ body: activities }, { body: [] }] });
    const first = (await (await user.call("/platform/accounts/me/transactions?limit=2")).json()) as typeof TRANSACTIONS_EXAMPLE;
    expect(first.next_cursor).toBe(activities[1]!.id);
    const second = (await (await user.call(`/platform/accounts/me/transactions?limit=2&cursor=${encodeURIComponent(first.next_cursor!)}`)).json()) as typeof TRANSACTIONS_EXAMPLE;
    expect(second).toEqual({ transactions: [], next_cursor: null });
    const paths = (await user.brokerCalls()).map((call) => new URL(call.path, "http://x").searchParams);
    expect(paths.map((params) => [params.get("page_size"), params.get("page_token")])).toEqual([["2", null], ["2", activities[1]!.id]]);
  });

  it.each([
    ["a lower-case type", "types=fill", "types"],
    ["an empty type", "types=FILL,,DIV", "types"],
    ["limit 0", "limit=0", "limit"],
    ["limit 101", "limit=101", "limit"],
    ["limit not a number", "limit=ten", "limit"],
    ["a cursor with a space", "cursor=a%20b", "cursor"],
  ])("%s: 400 naming the field, no Broker call", async (_, query, field) => {
    const user = await accountHolder({ [ACTIVITIES]: [{ body: activities }] });
    const res = await user.call(`/platform/accounts/me/transactions?${query}`);
    expect(res.status).toBe(400);
    expect(await fieldsOf(res)).toEqual([field]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  it("the Broker API's 429 is a 429 with Retry-After; its fault a 502; a type it refuses as a filter, a 400", async () => {
    const reset = Math.floor(Date.now() / 1000) + 20;
    const user = await accountHolder({ [ACTIVITIES]: [throttled(reset), { status: 500, body: { code: 50010000, message: "internal server error" } }, { status: 500, body: { code: 50010000, message: "x" } }, { status: 500, body: { code: 50010000, message: "x" } }, { status: 422, body: { code: 40010001, message: "invalid activity type: CORR" } }] });
    const limited = await user.call("/platform/accounts/me/transactions");
    expect([limited.status, (await problemOf(limited)).code]).toEqual([429, "rate_limited"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Three 500s: a read retried twice, then a 502.
    const fault = await user.call("/platform/accounts/me/transactions");
    expect([fault.status, (await problemOf(fault)).code]).toEqual([502, "upstream_error"]);
    const refused = await user.call("/platform/accounts/me/transactions?types=CORR");
    expect([refused.status, (await problemOf(refused)).code]).toEqual([400, "validation_failed"]);
  });

  it("a user without a brokerage account: 404, no Broker call", async () => {
    const user = await accountHolder({ [ACTIVITIES]: [{ body: activities }] });
    await env.DB.prepare("DELETE FROM brokerage_accounts WHERE sub = ?").bind(user.sub).run();
    const res = await user.call("/platform/accounts/me/transactions");
    expect([res.status, (await problemOf(res)).code]).toEqual([404, "brokerage_account_not_found"]);
    expect(await user.brokerCalls()).toEqual([]);
  });
});

describe("GET /platform/accounts/me/portfolio/history", () => {
  it("answers the recorded history as aligned arrays of strings, digit for digit, its ms timestamps as RFC 3339; period and timeframe passed on", async () => {
    const user = await accountHolder({ [HISTORY]: [jsonText(PORTFOLIO_HISTORY_TEXT)] });
    const res = await user.call("/platform/accounts/me/portfolio/history?period=1W&timeframe=15Min");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(HISTORY_EXAMPLE);
    const [call] = await user.brokerCalls();
    expect(call!.path).toBe(`/v1/trading/accounts/${user.accountId}/account/portfolio/history?period=1W&timeframe=15Min`);
  });

  it("reads epoch seconds too, and a null point stays null", async () => {
    const text = '{"timestamp":[1580826600],"equity":[1e-7],"profit_loss":[0],"profit_loss_pct":[null],"base_value":0,"timeframe":"1D"}';
    const user = await accountHolder({ [HISTORY]: [jsonText(text)] });
    expect(await (await user.call("/platform/accounts/me/portfolio/history")).json()).toEqual({
      timeframe: "1D",
      base_value: "0",
      timestamps: ["2020-02-04T14:30:00Z"],
      equity: ["0.0000001"],
      profit_loss: ["0"],
      profit_loss_pct: [null],
    });
  });

  it("all: from the day the account was opened, the Broker API's start in place of a period", async () => {
    const user = await accountHolder({ [HISTORY]: [jsonText(PORTFOLIO_HISTORY_TEXT)] });
    await env.DB.prepare("UPDATE brokerage_accounts SET created_at = '2025-03-04T10:11:12.000Z' WHERE sub = ?").bind(user.sub).run();
    expect((await user.call("/platform/accounts/me/portfolio/history?period=all&timeframe=1D")).status).toBe(200);
    const [call] = await user.brokerCalls();
    expect(call!.path).toBe(`/v1/trading/accounts/${user.accountId}/account/portfolio/history?start=2025-03-04T00%3A00%3A00Z&timeframe=1D`);
  });

  it.each([
    ["a period it does not know", "period=2D", "period"],
    ["a timeframe it does not know", "timeframe=1Hour", "timeframe"],
    ["intraday over a month", "period=1M&timeframe=5Min", "timeframe"],
    ["intraday with the default period (1M)", "timeframe=1Min", "timeframe"],
  ])("%s: 400 naming the field, no Broker call", async (_, query, field) => {
    const user = await accountHolder({ [HISTORY]: [jsonText(PORTFOLIO_HISTORY_TEXT)] });
    const res = await user.call(`/platform/accounts/me/portfolio/history?${query}`);
    expect(res.status).toBe(400);
    expect(await fieldsOf(res)).toEqual([field]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  it("arrays that do not align are an unusable answer: 502", async () => {
    const user = await accountHolder({ [HISTORY]: [jsonText('{"timestamp":[1580826600,1580827500],"equity":[1],"profit_loss":[0],"profit_loss_pct":[0],"base_value":1}')] });
    const res = await user.call("/platform/accounts/me/portfolio/history");
    expect([res.status, (await problemOf(res)).code]).toEqual([502, "upstream_error"]);
  });

  it("the Broker API's 429 is a 429 with Retry-After", async () => {
    const user = await accountHolder({ [HISTORY]: [throttled(Math.floor(Date.now() / 1000) + 5)] });
    const res = await user.call("/platform/accounts/me/portfolio/history");
    expect([res.status, (await problemOf(res)).code]).toEqual([429, "rate_limited"]);
    expect(res.headers.get("retry-after")).not.toBeNull();
  });
});

/** A pre-signed link on its own scenario: the Broker API's redirect points there. */
async function presignedLink(reply: Reply = { status: 200, body: STATEMENT_PDF, headers: { "content-type": "application/pdf" } }) {
  const link = await scenario({ "GET /statement.pdf": [reply] });
  return { url: `${link.base}/statement.pdf?X-Amz-Signature=link-signature-never-logged`, calls: () => link.calls() };
}

const redirectTo = (url: string): Reply => ({ status: 301, body: "", headers: { location: url } });
const documentNotFound: Reply = { status: 404, body: { code: 40410000, message: "document not found" } };

describe("documents", () => {
  it("lists the account's documents, the filter passed on, in any status", async () => {
    const user = await accountHolder({ [DOCUMENTS]: [{ body: documentsListed }] }, { status: "ACCOUNT_CLOSED" });
    const res = await user.call("/platform/accounts/me/documents?type=account_statement&start=2026-01-01&end=2026-12-31");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      documents: [
        { ...documentsListed[0], sub_type: null },
        { ...documentsListed[1], sub_type: "1099-Comp" },
      ],
    });
    const [call] = await user.brokerCalls();
    expect(call!.path).toBe(`/v1/accounts/${user.accountId}/documents?type=account_statement&start=2026-01-01&end=2026-12-31`);
  });

  it.each([
    ["a start that is not a date", "start=2026-1-1", "start"],
    ["an end before the start", "start=2026-02-01&end=2026-01-01", "end"],
    ["a type with capitals", "type=Statement", "type"],
  ])("the list with %s: 400 naming the field", async (_, query, field) => {
    const user = await accountHolder({ [DOCUMENTS]: [{ body: documentsListed }] });
    const res = await user.call(`/platform/accounts/me/documents?${query}`);
    expect(await fieldsOf(res)).toEqual([field]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  it("streams the PDF as an attachment, never cached: asked under the user's own account, the link fetched without our key; nothing of it logged", async () => {
    const lines = consoleLines();
    const link = await presignedLink();
    const id = documentsListed[0]!.id;
    const user = await accountHolder({ [DOWNLOAD]: [redirectTo(link.url)] });
    const res = await user.call(`/platform/accounts/me/documents/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${id}.pdf"`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe(STATEMENT_PDF);
    const [call, ...more] = await user.brokerCalls();
    expect(more).toEqual([]);
    expect(call!.path).toBe(`/v1/accounts/${user.accountId}/documents/${id}/download`);
    // Accept: application/json would get the statement as JSON.
    expect(call!.headers.accept ?? "").not.toContain("json");
    const [fetched] = await link.calls();
    expect(fetched!.signed).toBe(false);
    expect(await auditTrail(user.sub)).toEqual([["document.download", "ok"]]);
    const log = lines.join("\n");
    expect(log).toContain("DownloadDocument");
    for (const secret of ["link-signature-never-logged", "%PDF", "MediaBox"]) expect(log, secret).not.toContain(secret);
  });

  it("another user's document id answers exactly as an unknown one (and an id of no UUID shape too): 404, asked only under the caller's account", async () => {
    const link = await presignedLink();
    const annsId = documentsListed[0]!.id;
    const ann = await accountHolder({ [DOWNLOAD]: [redirectTo(link.url)] });
    expect((await ann.call(`/platform/accounts/me/documents/${annsId}`)).status).toBe(200);
    // The Broker API answers Bea's account as it would: nothing of Ann's is under it.
    const bea = await accountHolder({ [DOWNLOAD]: [documentNotFound] });
    const foreign = await visibleAnswer(await bea.call(`/platform/accounts/me/documents/${annsId}`));
    const unknown = await visibleAnswer(await bea.call(`/platform/accounts/me/documents/${crypto.randomUUID()}`));
    const shapeless = await visibleAnswer(await bea.call("/platform/accounts/me/documents/statement-2026-11"));
    expect(foreign.status).toBe(404);
    expect(JSON.parse(foreign.body)).toMatchObject({ code: "document_not_found" });
    expect(foreign).toEqual(unknown);
    expect(shapeless).toEqual(unknown);
    const trail = await bea.brokerTrail();
    expect(trail.length).toBe(2);
    for (const call of trail) expect(call).toContain(`/accounts/${bea.accountId}/`);
    expect(trail.some((call) => call.includes(ann.accountId))).toBe(false);
    expect((await link.calls()).length).toBe(1);
  });

  it("a link that fails is a 502; a Broker API that does not redirect, too", async () => {
    const link = await presignedLink({ status: 403, body: "<Error><Code>AccessDenied</Code></Error>" });
    const user = await accountHolder({ [DOWNLOAD]: [redirectTo(link.url), { status: 200, body: { id: "x" } }] });
    const expired = await user.call(`/platform/accounts/me/documents/${documentsListed[0]!.id}`);
    expect([expired.status, (await problemOf(expired)).code]).toEqual([502, "upstream_error"]);
    const noRedirect = await user.call(`/platform/accounts/me/documents/${documentsListed[0]!.id}`);
    expect([noRedirect.status, (await problemOf(noRedirect)).code]).toEqual([502, "upstream_error"]);
  });
});

/**
 * A PDF of `size` bytes (at least 64), in base64, with a marker a scan can look for: its head, then
 * "AAA" groups written straight as base64 ("QUFB"), so that a 10 MB file costs a string repeat.
 */
function pdfOf(size: number, marker = "PASSPORT-OF-ANN-LEE-X9Z7") {
  const head = `%PDF-1.4\n% ${marker}\n`.padEnd(48, " ");
  const rest = size - head.length;
  const tail = ["", "QQ==", "QUE="][rest % 3]!;
  return btoa(head) + "QUFB".repeat(Math.floor(rest / 3)) + tail;
}

const upload = (content: string, more: Record<string, unknown> = {}) => ({ document_type: "identity_verification", document_sub_type: "passport", mime_type: "application/pdf", content, ...more });
const actionRequired: Reply = { body: { ...accountActive, status: "ACTION_REQUIRED" } };

describe("POST /platform/accounts/me/documents (KYC remediation)", () => {
  it("while ACTION_REQUIRED: 202, the document sent to the Broker API as it came; its bytes in no log line and no D1 row, a refusal and a timeout included", async () => {
    const lines = consoleLines();
    const content = pdfOf(600);
    const user = await accountHolder({ "GET /v1/accounts/{id}": [actionRequired], [UPLOAD]: [{ status: 202, body: "" }, { status: 400, body: { code: 40010000, message: `invalid document content ${content.slice(0, 40)}` } }, { hang: true }] }, { status: "ACTION_REQUIRED" });
    const res = await user.send("POST", "/platform/accounts/me/documents", upload(content));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ document_type: "identity_verification", mime_type: "application/pdf" });
    const sent = (await user.brokerCalls()).find((call) => call.action === UPLOAD)!;
    expect(sent.path).toBe(`/v1/accounts/${user.accountId}/documents/upload`);
    expect(sent.body).toEqual([upload(content)]);
    const refused = await user.send("POST", "/platform/accounts/me/documents", upload(content));
    expect([refused.status, (await problemOf(refused)).code]).toEqual([400, "validation_failed"]);
    expect((await timingOut(() => user.send("POST", "/platform/accounts/me/documents", upload(content)))).status).toBe(504);
    expect(await auditTrail(user.sub)).toEqual([
      ["document.upload", "ok"],
      ["document.upload", "validation_failed"],
      ["document.upload", "upstream_timeout"],
    ]);

    const stored = await everyRowStored();
    const log = lines.join("\n");
    expect(log).toContain("UploadDocuments");
    for (const secret of [content.slice(0, 24), content.slice(200, 240), "PASSPORT-OF-ANN-LEE-X9Z7"]) {
      expect(log, secret).not.toContain(secret);
      expect(stored, secret).not.toContain(secret);
    }
  });

  it("in another status: 409 documents_not_requested naming it, asked of the Broker API (D1's status may be old), nothing uploaded", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [{ body: accountActive }], [UPLOAD]: [{ status: 202, body: "" }] }, { status: "ACTION_REQUIRED" });
    const res = await user.send("POST", "/platform/accounts/me/documents", upload(pdfOf(300)));
    const problem = await problemOf(res);
    expect([res.status, problem.code]).toEqual([409, "documents_not_requested"]);
    expect(problem.detail).toContain("ACTIVE");
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["GET /v1/accounts/{id}"]);
  });

  it.each([
    ["a PNG said to be a PDF", { mime_type: "image/png" }, "content"],
    ["content that is not base64", { content: "not base64 at all!!" }, "content"],
    ["a type the Broker API does not take", { document_type: "selfie" }, "document_type"],
    ["a GIF", { mime_type: "image/gif" }, "mime_type"],
    ["an unknown field", { filename: "passport.pdf" }, "(body)"],
  ])("%s: 400 naming the field, nothing asked of the Broker API", async (_, change, field) => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [actionRequired] }, { status: "ACTION_REQUIRED" });
    const res = await user.send("POST", "/platform/accounts/me/documents", upload(pdfOf(300), change));
    expect(res.status).toBe(400);
    expect(await fieldsOf(res)).toEqual([field]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  // The large bodies each in a test of their own, with room beyond vitest's 5 s: 13 MB through the
  // Worker and the fake upstream takes a second or two, more on a loaded machine.
  it(`takes a file of ${MAX_DOCUMENT_BYTES} bytes: a body far past 16 KiB, within this route's own limit`, async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [actionRequired], [UPLOAD]: [{ status: 202, body: "" }] }, { status: "ACTION_REQUIRED" });
    const content = pdfOf(MAX_DOCUMENT_BYTES);
    expect(atob(content).length).toBe(MAX_DOCUMENT_BYTES);
    expect((await user.send("POST", "/platform/accounts/me/documents", upload(content))).status).toBe(202);
    expect(await auditTrail(user.sub)).toEqual([["document.upload", "ok"]]);
  }, 60_000);

  it("a file one byte larger: 400 naming content, nothing asked of the Broker API", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [actionRequired] }, { status: "ACTION_REQUIRED" });
    const over = await user.send("POST", "/platform/accounts/me/documents", upload(pdfOf(MAX_DOCUMENT_BYTES + 1)));
    expect(await fieldsOf(over)).toEqual(["content"]);
    expect(await user.brokerCalls()).toEqual([]);
  }, 60_000);

  it("a body over the route's limit: 413, unread when its Content-Length says so, stopped at the limit when it streams", async () => {
    const user = await accountHolder({ "GET /v1/accounts/{id}": [actionRequired] }, { status: "ACTION_REQUIRED" });
    const declared = await user.call("/platform/accounts/me/documents", { method: "POST", headers: { "content-type": "application/json", "content-length": String(MAX_UPLOAD_BODY_BYTES + 1) }, body: "{}" });
    expect([declared.status, (await problemOf(declared)).code]).toEqual([413, "payload_too_large"]);
    const bytes = new TextEncoder().encode(JSON.stringify(upload("QUFB".repeat(MAX_UPLOAD_BODY_BYTES / 4))));
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const streamed = await user.call("/platform/accounts/me/documents", { method: "POST", headers: { "content-type": "application/json" }, body: chunked, duplex: "half" } as RequestInit);
    expect([streamed.status, (await problemOf(streamed)).code]).toEqual([413, "payload_too_large"]);
    expect(await user.brokerCalls()).toEqual([]);
  }, 60_000);

  it("every other route keeps 16 KiB", async () => {
    const user = await accountHolder();
    const order = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", qty: "1", note: "x".repeat(17 * 1024) };
    const elsewhere = await user.send("POST", "/platform/accounts/me/orders", order, { "idempotency-key": crypto.randomUUID() });
    expect([elsewhere.status, (await problemOf(elsewhere)).code]).toEqual([413, "payload_too_large"]);
  });
});

describe("per-user limits", () => {
  it("30 document downloads a minute per user (random ids: 404s): the 31st is 429 with Retry-After; the ledger, counted apart, still answers", () =>
    inOneLimitWindow(async () => {
      const user = await accountHolder({ [DOWNLOAD]: [documentNotFound], [ACTIVITIES]: [{ body: activities }] });
      const answers = await upToLimitThenOne(30, () => user.call(`/platform/accounts/me/documents/${crypto.randomUUID()}`));
      expect(answers).toEqual([...Array(30).fill(404), 429]);
      const over = await user.call(`/platform/accounts/me/documents/${crypto.randomUUID()}`);
      expect([over.status, (await problemOf(over)).code, over.headers.get("retry-after")]).toEqual([429, "rate_limited", "60"]);
      expect((await user.call("/platform/accounts/me/transactions")).status).toBe(200);
    }));
});
