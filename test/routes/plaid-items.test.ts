// Plaid Items are removed (issue 21): a Plaid link that fails after the public token was exchanged,
// and a deleted Plaid-made link, call Plaid's /item/remove; a removal that fails never fails the
// request, and is tried again by the user's next bank-link list or delete. Workerd, real D1, the
// scripted Broker API and Plaid (test/fixtures/plaid.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { achRelationshipQueued, plaidProcessorTokenCreated } from "../fixtures/broker";
import { authenticationResult } from "../fixtures/cognito";
import { PLAID_ERRORS, plaidPublicTokenExchanged } from "../fixtures/plaid";
import type { Reply } from "../support/fake-upstream";
import { accountHolder } from "../support/funding";
import { problemOf, STRONG_PASSWORD } from "../support/worker";

const LINKS = "/platform/accounts/me/bank-links";
const PLAID_BODY = { plaid_public_token: "public-sandbox-5c224a01-8314-4491-a06f-39e193d5cddc", plaid_account_id: "QPO8Jo8vdDHMepg41PBwckXm4KdK1yUdmXOwK" };
const PLAID_LINK = { ...achRelationshipQueued, bank_account_type: "", bank_account_number: undefined, account_mask: "0000", nickname: "Plaid Checking" };
const REMOVED: Reply = { body: { request_id: "m8MDnv9okwxFNBV" } };
const REMOVAL = ["POST /plaid/item/remove", { access_token: plaidPublicTokenExchanged.access_token }];
const key = () => crypto.randomUUID();

/** A user whose Plaid link Plaid and the Broker API answer with `replies` (the exchange always works). */
function plaidUser(replies: Record<string, Reply[]>) {
  return accountHolder(
    {
      "POST /plaid/item/public_token/exchange": [{ body: plaidPublicTokenExchanged }],
      "POST /plaid/processor/token/create": [{ body: plaidProcessorTokenCreated }],
      "POST /v1/accounts/{id}/ach_relationships": [{ body: PLAID_LINK }],
      InitiateAuth: [authenticationResult()],
      ...replies,
    },
    { plaid: true },
  );
}

const plaidCalls = async (user: { calls: () => Promise<{ action: string; body: unknown }[]> }) =>
  (await user.calls()).filter((call) => call.action.startsWith("POST /plaid/item/remove")).map((call) => [call.action, call.body]);

/** The user's Item rows: never the access token, only its sealed form. */
async function itemRows(sub: string) {
  const { results } = await env.DB.prepare("SELECT item_id, bank_link_id, state, sealed_access_token FROM plaid_items WHERE sub = ? ORDER BY id").bind(sub).all<Record<string, string | null>>();
  for (const row of results) expect(JSON.stringify(row)).not.toContain(plaidPublicTokenExchanged.access_token);
  return results.map(({ sealed_access_token: _, ...row }) => row);
}

describe("Plaid Items", () => {
  const failures: [string, Record<string, Reply[]>, number, string][] = [
    ["the Broker API refuses the processor token", { "POST /v1/accounts/{id}/ach_relationships": [{ status: 422, body: { code: 40010001, message: "invalid processor token" } }] }, 422, "bank_link_rejected"],
    ["Plaid refuses the processor token", { "POST /plaid/processor/token/create": [PLAID_ERRORS.itemLoginRequired] }, 422, "bank_link_rejected"],
    ["the Broker API is down", { "POST /v1/accounts/{id}/ach_relationships": [{ status: 502, body: "<html>bad gateway</html>" }] }, 502, "upstream_error"],
  ];
  for (const [what, replies, status, code] of failures) {
    it(`removes the Item when ${what} after the exchange: the same answer as before, /item/remove with the access token, no row left`, async () => {
      const user = await plaidUser({ ...replies, "POST /plaid/item/remove": [REMOVED] });
      const res = await user.post(LINKS, PLAID_BODY, key());
      expect([res.status, (await problemOf(res)).code]).toEqual([status, code]);
      expect(await plaidCalls(user)).toEqual([REMOVAL]);
      expect(await itemRows(user.sub)).toEqual([]);
    });
  }

  it("never fails the request when the removal fails: the Item is owed (its id kept, the token only sealed) and removed by the next list", async () => {
    const user = await plaidUser({
      "POST /v1/accounts/{id}/ach_relationships": [{ status: 422, body: { code: 40010001, message: "invalid processor token" } }],
      "POST /plaid/item/remove": [PLAID_ERRORS.rateLimited, REMOVED],
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [] }],
    });
    const res = await user.post(LINKS, PLAID_BODY, key());
    expect([res.status, (await problemOf(res)).code]).toEqual([422, "bank_link_rejected"]);
    expect(await itemRows(user.sub)).toEqual([{ item_id: plaidPublicTokenExchanged.item_id, bank_link_id: null, state: "remove" }]);

    const list = await user.call(LINKS);
    expect([list.status, await list.json()]).toEqual([200, { bank_links: [] }]);
    expect(await plaidCalls(user)).toEqual([REMOVAL, REMOVAL]);
    expect(await itemRows(user.sub)).toEqual([]);
  });

  it("keeps the Item of a link that was made, and removes it when the link is deleted; a bank-details link's delete asks nothing of Plaid", async () => {
    const user = await plaidUser({ "DELETE /v1/accounts/{id}/ach_relationships/{id}": [{ status: 204 }], "POST /plaid/item/remove": [REMOVED] });
    expect((await user.post(LINKS, PLAID_BODY, key())).status).toBe(201);
    expect(await plaidCalls(user)).toEqual([]);
    expect(await itemRows(user.sub)).toEqual([{ item_id: plaidPublicTokenExchanged.item_id, bank_link_id: PLAID_LINK.id, state: "linked" }]);

    const other = crypto.randomUUID();
    expect((await user.send("DELETE", `${LINKS}/${other}`, { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await plaidCalls(user)).toEqual([]);
    expect((await user.send("DELETE", `${LINKS}/${PLAID_LINK.id}`, { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await plaidCalls(user)).toEqual([REMOVAL]);
    expect(await itemRows(user.sub)).toEqual([]);
  });

  it("deletes the link all the same when Plaid cannot remove the Item, and tries again on the next delete", async () => {
    const user = await plaidUser({
      "DELETE /v1/accounts/{id}/ach_relationships/{id}": [{ status: 204 }, { status: 404, body: { code: 40410000, message: "relationship not found" } }, { status: 204 }],
      "POST /plaid/item/remove": [PLAID_ERRORS.rateLimited, REMOVED],
    });
    expect((await user.post(LINKS, PLAID_BODY, key())).status).toBe(201);
    const deleted = await user.send("DELETE", `${LINKS}/${PLAID_LINK.id}`, { password: STRONG_PASSWORD });
    expect(deleted.status).toBe(204);
    expect(await itemRows(user.sub)).toEqual([{ item_id: plaidPublicTokenExchanged.item_id, bank_link_id: PLAID_LINK.id, state: "remove" }]);
    // A refused delete retries nothing: it failed before the removals.
    expect((await user.send("DELETE", `${LINKS}/${PLAID_LINK.id}`, { password: STRONG_PASSWORD })).status).toBe(404);
    expect((await user.send("DELETE", `${LINKS}/${crypto.randomUUID()}`, { password: STRONG_PASSWORD })).status).toBe(204);
    expect(await plaidCalls(user)).toEqual([REMOVAL, REMOVAL]);
    expect(await itemRows(user.sub)).toEqual([]);
  });
});
