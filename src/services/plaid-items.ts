// The Plaid Items this API makes, one per Plaid bank link: kept in D1 (the Item id, its access token
// sealed), so that each is removed when its link fails or is deleted, and a removal that failed is
// tried again by the user's next bank-link list or delete. Removal is best effort: a failure is
// logged and never fails the request. Not covered: an Item whose request ended between the exchange
// and the link (a crash) stays 'linking', as its link may exist; docs/funding-and-trading.md, "Plaid".
import { isFailure } from "../failures";
import { log } from "../log";
import { PlaidError, type PlaidClient } from "../plaid/client";
import type { ItemRow, PlaidItemStore } from "../stores/plaid-items";

/** A failure as a log names it: its code, Plaid's error code, or the error's class. */
const nameOf = (error: unknown) => (isFailure(error) ? error.code : error instanceof PlaidError ? (error.errorCode ?? "plaid_error") : error instanceof Error ? error.name : "unknown");

/** At most this many owed removals are tried per request: the request's budget is the user's. */
const RETRIES_PER_REQUEST = 3;

/**
 * Removes the Item: marked owed first (so that a failure or a crash leaves it to retry), the row gone
 * once Plaid removed it. Never throws.
 */
async function removeItem(items: PlaidItemStore, plaid: PlaidClient, row: number | undefined, sealed: string, now: number, requestId: string): Promise<void> {
  try {
    if (row !== undefined) await items.removalOwed(row, now);
    await plaid.removeItem(sealed);
    if (row !== undefined) await items.removed(row);
  } catch (error) {
    log("warn", NOT_REMOVED, { error: nameOf(error) }, { requestId });
  }
}

/**
 * Makes a bank link from a Plaid public token: the exchange, the Item recorded ('linking'), then
 * `link` with the access token; the Item is 'linked' to the link it made, or removed when anything
 * after the exchange failed.
 */
export async function linkPlaidItem<T extends { id: string }>(
  items: PlaidItemStore,
  plaid: PlaidClient,
  sub: string,
  publicToken: string,
  context: Context,
  link: (accessToken: string) => Promise<T>,
): Promise<T> {
  const { accessToken, itemId } = await plaid.exchangePublicToken(publicToken);
  const sealed = await plaid.sealAccessToken(accessToken);
  // The row's own id: an Item id is Plaid's, and nothing here needs it unique.
  let row: number | undefined;
  let made: T;
  try {
    row = await items.linking(itemId, sub, sealed, context.now());
    made = await link(accessToken);
  } catch (error) {
    await removeItem(items, plaid, row, sealed, context.now(), context.requestId);
    throw error;
  }
  try {
    await items.linked(row, made.id, context.now());
  } catch (error) {
    // The link is made: its answer stands, and the row stays 'linking' (never removed by a retry).
    log("warn", "plaid item not recorded as linked", { error: nameOf(error) }, { requestId: context.requestId });
  }
  return made;
}

interface Context {
  now: () => number;
  requestId: string;
}

const NOT_REMOVED = "plaid item not removed; retried on the next bank-link list or delete";

/** Removes each Item of `select`'s rows; never throws (Plaid unconfigured, D1 down: the rows wait). */
async function removeEach(items: PlaidItemStore, plaid: () => PlaidClient, select: () => Promise<ItemRow[]>, context: Context): Promise<void> {
  try {
    const results = await select();
    if (results.length === 0) return;
    const client = plaid();
    for (const item of results) await removeItem(items, client, item.id, item.sealed_access_token, context.now(), context.requestId);
  } catch (error) {
    log("warn", NOT_REMOVED, { error: nameOf(error) }, { requestId: context.requestId });
  }
}

/** After the Broker API deleted a bank link: its Item, when Plaid made it, is removed too. */
export function bankLinkDeleted(items: PlaidItemStore, plaid: () => PlaidClient, sub: string, bankLinkId: string, context: Context): Promise<void> {
  return removeEach(items, plaid, () => items.ofBankLink(sub, bankLinkId), context);
}

/** The user's owed removals (a failed link's, a deleted link's), a few per request, tried again. */
export function retryItemRemovals(items: PlaidItemStore, plaid: () => PlaidClient, sub: string, context: Context): Promise<void> {
  return removeEach(items, plaid, () => items.removalsOwed(sub, RETRIES_PER_REQUEST), context);
}
