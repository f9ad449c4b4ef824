import type { FailureCode } from "../../failures";
import type { fundingRoutes } from "../../routes/funding";
import { BankLinkRequest, MoneyStepUp, OrderRequest, ReplaceOrderRequest, transferRequest } from "../../schemas/funding";
import { DEFAULT_MAX_TRANSFER_AMOUNT } from "../../decimal";
import {
  ActivityResponse,
  BankLinkResponse,
  BankLinksResponse,
  CancelAllResponse,
  LinkTokenResponse,
  OrderResponse,
  OrdersResponse,
  PositionsResponse,
  TransferResponse,
  TransfersResponse,
} from "../../schemas/funding-responses";
import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, STEP_UP, TOKEN, type RouterDocs } from "../route-docs";

/** Any Broker API call: its throttling, our key refused, faults. */
const BROKER: FailureCode[] = ["rate_limited", "misconfigured", "upstream_error", "upstream_unavailable", "upstream_timeout"];
/** The user's account, before anything else: none, or not ACTIVE (Broker API asked when D1 says otherwise). */
const ACCOUNT: FailureCode[] = ["brokerage_account_not_found", "brokerage_account_not_active", ...BROKER];
/** An idempotent create (services/idempotency.ts). */
const IDEMPOTENT: FailureCode[] = ["idempotency_key_required", "idempotency_key_reused", "request_in_progress"];
/** The step up of money moving out: what is missing (403), or wrong (401), and Cognito's own faults. */
const MONEY_STEP_UP: FailureCode[] = [...STEP_UP, ...COGNITO];
/** The verifiedEmail rule (routes/rules.ts), on every route that moves money: Cognito's GetUser. */
const VERIFIED: FailureCode[] = ["email_not_verified", "account_not_confirmed", "password_reset_required", ...COGNITO];
/** A signed-in money route: the token, the address limit and the user's own limit. */
const SIGNED: FailureCode[] = [...PLATFORM, ...TOKEN];

export const BANK_LINK = {
  id: "15ef9978-cb1e-4872-9565-bd0a720b8b76",
  status: "QUEUED",
  nickname: "Checking",
  bank_account_type: "CHECKING",
  account_number_last4: "9abc",
  created_at: "2026-12-01T09:40:00.523349Z",
};

export const TRANSFER = { id: "750d8323-19f6-47d5-8e9a-a34ed4a6f2d2", status: "QUEUED", amount: "100.00", direction: "INCOMING", created_at: "2026-12-01T09:41:05.44Z" };

export const ORDER = {
  id: "61e69015-8549-4bfd-b9c3-01e75843f47d",
  client_order_id: "q2mX0n8vBv3Gd6yq5bQ0oXh1sGm3uV1nJk9tY2wL4pE",
  status: "filled",
  symbol: "AAPL",
  side: "buy",
  type: "market",
  time_in_force: "day",
  qty: null,
  notional: "500.00",
  filled_qty: "2.631578947",
  filled_avg_price: "190.00",
  limit_price: null,
  stop_price: null,
  trail_price: null,
  trail_percent: null,
  extended_hours: false,
  replaces: null,
  replaced_by: null,
  created_at: "2026-12-01T09:42:01.942282Z",
};

/** A resting limit order replaced with a new limit price: the new order, linked to the old. */
const REPLACEMENT = {
  ...ORDER,
  id: "7a1f3c52-9b4e-4d86-a0c2-5e8f1b3d7a96",
  client_order_id: "Zk3p8Qm1Xv7Ld2Hs9Tn4Wb6Yc0Re5Ju3Gf8Ai1Ko7Mq",
  status: "new",
  type: "limit",
  qty: "2",
  notional: null,
  filled_qty: "0",
  filled_avg_price: null,
  limit_price: "185.00",
  replaces: ORDER.id,
  created_at: "2026-12-01T09:45:12.118204Z",
};

const STEP_UP_EXAMPLE = { password: EXAMPLE.password, code: EXAMPLE.totpCode };
const idempotent = (summary: string) => `${summary}. Needs an Idempotency-Key header (1 to 255 characters): the same key and body replay the first answer, with the header Idempotency-Replayed: true; another body is 422`;
const cursor = { cursor: { description: "Where the page begins: the next_cursor of the page before" } };

export const fundingDocs: RouterDocs<typeof fundingRoutes> = {
  "/accounts/me/bank-links": {
    $post: {
      operationId: "createBankLink",
      summary: idempotent("Link a bank account to the user's ACTIVE brokerage account: its details (the routing number's ABA checksum is checked), or Plaid Link's public token and account id (exchanged on the server for an Alpaca processor token)"),
      auth: true,
      body: {
        schema: BankLinkRequest,
        required: true,
        example: { account_owner_name: "Ann Lee", bank_account_type: "CHECKING", bank_account_number: "123456789abc", bank_routing_number: "121000358", nickname: "Checking" },
      },
      responses: { 201: { description: "Linked: QUEUED, then APPROVED by the broker. Only the number's last 4 are shown", body: { schema: BankLinkResponse, example: BANK_LINK } } },
      problems: [...SIGNED, ...VERIFIED, ...BODY, ...IDEMPOTENT, ...ACCOUNT, "bank_link_rejected", "bank_link_exists", ...ANY],
    },
    $get: {
      operationId: "listBankLinks",
      summary: "The account's bank links, numbers masked to their last 4",
      auth: true,
      responses: { 200: { description: "The links", body: { schema: BankLinksResponse, example: { bank_links: [{ ...BANK_LINK, status: "APPROVED" }] } } } },
      problems: [...SIGNED, ...ACCOUNT, ...ANY],
    },
  },
  "/accounts/me/bank-links/:id": {
    $delete: {
      operationId: "deleteBankLink",
      summary: "Remove a bank link: the password, and the authenticator code when TOTP is on, prove it is the user (a JSON body on the DELETE)",
      auth: true,
      body: { schema: MoneyStepUp, required: true, example: STEP_UP_EXAMPLE },
      responses: { 204: { description: "Removed" } },
      problems: [...SIGNED, ...BODY, ...ACCOUNT, ...MONEY_STEP_UP, "bank_link_not_found", ...ANY],
    },
  },
  "/plaid/link-token": {
    $post: {
      operationId: "createPlaidLinkToken",
      summary: "A link token for Plaid Link in the browser (client_user_id is the user's sub); its public token then goes to POST /platform/accounts/me/bank-links",
      auth: true,
      responses: { 200: { description: "The link token", body: { schema: LinkTokenResponse, example: { link_token: "link-sandbox-af1a0311-da53-4636-b754-dd15cc058176", expiration: "2026-12-01T13:40:00Z" } } } },
      problems: [...SIGNED, ...BODY, ...BROKER, "bank_link_rejected", ...ANY],
    },
  },
  "/accounts/me/transfers": {
    $post: {
      operationId: "createTransfer",
      summary: idempotent(
        `An ACH deposit (INCOMING) or withdrawal (OUTGOING) with an APPROVED bank link, amount a decimal string of at most 2 places and at most MAX_TRANSFER_AMOUNT (default ${DEFAULT_MAX_TRANSFER_AMOUNT}). A withdrawal needs the password (and the TOTP code when on) and at most the cash withdrawable. A retry after a timeout finds the first try's transfer before it calls again`,
      ),
      auth: true,
      body: { schema: transferRequest(DEFAULT_MAX_TRANSFER_AMOUNT), required: true, example: { bank_link_id: BANK_LINK.id, amount: "100.00", direction: "INCOMING" } },
      responses: { 201: { description: "Made: QUEUED, then COMPLETE when the money has moved", body: { schema: TransferResponse, example: TRANSFER } } },
      problems: [...SIGNED, ...VERIFIED, ...BODY, ...IDEMPOTENT, ...ACCOUNT, ...MONEY_STEP_UP, "bank_link_not_found", "insufficient_funds", "transfer_rejected", ...ANY],
    },
    $get: {
      operationId: "listTransfers",
      summary: "The account's transfers, newest first, 50 a page",
      auth: true,
      query: cursor,
      responses: { 200: { description: "A page of transfers", body: { schema: TransfersResponse, example: { transfers: [TRANSFER], next_cursor: null } } } },
      problems: [...SIGNED, "validation_failed", ...ACCOUNT, ...ANY],
    },
  },
  "/accounts/me/transfers/:id": {
    $get: {
      operationId: "getTransfer",
      summary: "One of the account's transfers",
      auth: true,
      responses: { 200: { description: "The transfer", body: { schema: TransferResponse, example: { ...TRANSFER, status: "COMPLETE" } } } },
      problems: [...SIGNED, ...ACCOUNT, "transfer_not_found", ...ANY],
    },
    $delete: {
      operationId: "cancelTransfer",
      summary: "Cancel a transfer the broker still allows cancelling (QUEUED)",
      auth: true,
      responses: { 204: { description: "Cancelled" } },
      problems: [...SIGNED, ...BODY, ...ACCOUNT, "transfer_not_found", "transfer_not_cancellable", ...ANY],
    },
  },
  "/accounts/me/orders": {
    $post: {
      operationId: "placeOrder",
      summary: idempotent(
        "Place an order: qty (at most 9 places) or notional (market day orders only), limit_price and stop_price as the type needs; a trailing_stop with one of trail_price and trail_percent (day or gtc); extended_hours only for limit day orders. Checked against the asset list before the broker is asked: an unknown or untradable symbol, or a fractional qty or a notional on an asset that is not fractionable, is 422 order_rejected. Its client_order_id is derived from the user and the key, so the broker refuses a second order for one key",
      ),
      auth: true,
      body: { schema: OrderRequest, required: true, example: { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" } },
      responses: { 201: { description: "Placed", body: { schema: OrderResponse, example: ORDER } } },
      problems: [...SIGNED, ...VERIFIED, ...BODY, ...IDEMPOTENT, ...ACCOUNT, "order_rejected", ...ANY],
    },
    $get: {
      operationId: "listOrders",
      summary: "The account's orders, newest first, 50 a page",
      auth: true,
      query: { status: { description: "open (default), closed or all", enum: ["open", "closed", "all"] }, ...cursor },
      responses: { 200: { description: "A page of orders", body: { schema: OrdersResponse, example: { orders: [ORDER], next_cursor: null } } } },
      problems: [...SIGNED, "validation_failed", ...ACCOUNT, ...ANY],
    },
    $delete: {
      operationId: "cancelAllOrders",
      summary: "Cancel every open order of the account: each order's id, and whether the broker took its cancel (failed: it may have filled first)",
      auth: true,
      responses: { 200: { description: "The cancels asked", body: { schema: CancelAllResponse, example: { orders: [{ id: REPLACEMENT.id, cancel: "requested" }] } } } },
      problems: [...SIGNED, ...BODY, ...ACCOUNT, ...ANY],
    },
  },
  "/accounts/me/orders/:id": {
    $patch: {
      operationId: "replaceOrder",
      summary: idempotent(
        "Replace an open order: any of qty (whole shares), time_in_force, limit_price, stop_price and trail (a trailing stop's new trail_price or trail_percent); the rest is the order's own. The answer is the new order, its replaces the old one's id (the old one becomes replaced). A notional order cannot be replaced, nor one the broker has not routed yet (accepted, pending_new): 422 order_rejected. Two requests with one key make one replacement",
      ),
      auth: true,
      body: { schema: ReplaceOrderRequest, required: true, example: { limit_price: "185.00" } },
      responses: { 200: { description: "The new order", body: { schema: OrderResponse, example: REPLACEMENT } } },
      problems: [...SIGNED, ...VERIFIED, ...BODY, ...IDEMPOTENT, ...ACCOUNT, "order_not_found", "order_rejected", ...ANY],
    },
    $get: {
      operationId: "getOrder",
      summary: "One of the account's orders",
      auth: true,
      responses: { 200: { description: "The order", body: { schema: OrderResponse, example: ORDER } } },
      problems: [...SIGNED, ...ACCOUNT, "order_not_found", ...ANY],
    },
    $delete: {
      operationId: "cancelOrder",
      summary: "Cancel an open order",
      auth: true,
      responses: { 204: { description: "Cancel requested" } },
      problems: [...SIGNED, ...BODY, ...ACCOUNT, "order_not_found", "order_not_cancellable", ...ANY],
    },
  },
  "/accounts/me/positions": {
    $get: {
      operationId: "listPositions",
      summary: "The account's positions, amounts as decimal strings",
      auth: true,
      responses: {
        200: {
          description: "The positions",
          body: {
            schema: PositionsResponse,
            example: {
              positions: [
                { symbol: "AAPL", qty: "2.631578947", qty_available: "2.631578947", side: "long", avg_entry_price: "190.00", market_value: "500.00", cost_basis: "500.00", unrealized_pl: "0.00", unrealized_plpc: "0", current_price: "190.00" },
              ],
            },
          },
        },
      },
      problems: [...SIGNED, ...ACCOUNT, ...ANY],
    },
  },
  "/accounts/me/positions/:symbol": {
    $delete: {
      operationId: "closePosition",
      summary: "Close a position (sell it all): a trade, so the token alone, like a sell. Answers the closing order",
      auth: true,
      responses: { 200: { description: "The closing order", body: { schema: OrderResponse, example: { ...ORDER, side: "sell", notional: null, qty: "2.631578947", client_order_id: "a6f0c1d2-7b7e-4c43-9f8a-0c2b7e2d6a11" } } } },
      problems: [...SIGNED, ...BODY, ...VERIFIED, ...ACCOUNT, "position_not_found", "order_rejected", ...ANY],
    },
  },
  "/accounts/me/activity": {
    $get: {
      operationId: "listActivity",
      summary:
        "The user's own audit trail, newest first, 50 a page: every request of the brokerage, funding and trading routes, with its outcome (ok, replayed, recovered: an earlier try's object recorded now, or a problem code), its key, what it moved or traded (a transfer's amount, direction and bank link; an order's side, qty or notional in amount, type, symbol), the Broker object's id once known, the server's request id and the client's X-Request-Id as correlation_id",
      auth: true,
      query: cursor,
      responses: {
        200: {
          description: "A page of events",
          body: {
            schema: ActivityResponse,
            example: {
              events: [
                {
                  id: "42",
                  action: "transfer.create",
                  outcome: "ok",
                  idempotency_key: "8e0f2c1a-5d2b-4c7e-9b1a-2f3d4e5f6a7b",
                  amount: "100.00",
                  symbol: null,
                  direction: "INCOMING",
                  bank_link_id: "15ef9978-cb1e-4872-9565-bd0a720b8b76",
                  side: null,
                  qty: null,
                  order_type: null,
                  object_id: "750d8323-19f6-47d5-8e9a-a34ed4a6f2d2",
                  request_id: "0f8fad5b-d9cb-469f-a165-70867728950e",
                  correlation_id: "checkout-7f3a",
                  at: "2026-12-01T09:41:05.512Z",
                },
              ],
              next_cursor: null,
            },
          },
        },
      },
      problems: [...SIGNED, "validation_failed", "brokerage_account_not_found", ...ANY],
    },
  },
};

