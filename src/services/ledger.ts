// What D1 keeps of a user's orders, transfers, bank links and account (issue 23), and the one
// way from a row to what the GET answers: the reads, the live stream and its replay all use these.
import type { BrokerRelationship, BrokerTransfer } from "../broker/funding";
import type { BrokerOrder } from "../broker/trading";
import type { ChangeKind } from "../events/types";
import type { Stores } from "../stores";
import type { BankLinkRow } from "../stores/bank-links";
import type { AccountRow } from "../stores/brokerage-accounts";
import type { OrderRow } from "../stores/orders";
import type { TransferRow } from "../stores/transfers";
import type { AccountStatusResponse } from "../schemas/brokerage-responses";
import type { BankLinkResponse, OrderResponse, TransferResponse } from "../schemas/funding-responses";
import { ORDER } from "../events/lifecycle";

/** The Broker's order as this API answers it: each field named, so that a field renamed on either side does not compile. */
export function orderView(order: BrokerOrder): OrderResponse {
  return {
    id: order.id,
    client_order_id: order.client_order_id,
    status: order.status,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    time_in_force: order.time_in_force,
    qty: order.qty ?? null,
    notional: order.notional ?? null,
    filled_qty: order.filled_qty ?? null,
    filled_avg_price: order.filled_avg_price ?? null,
    limit_price: order.limit_price ?? null,
    stop_price: order.stop_price ?? null,
    trail_price: order.trail_price ?? null,
    trail_percent: order.trail_percent ?? null,
    extended_hours: order.extended_hours ?? false,
    replaces: order.replaces ?? null,
    replaced_by: order.replaced_by ?? null,
    created_at: order.created_at,
  };
}

export function bankLinkView(relationship: BrokerRelationship): BankLinkResponse {
  return {
    id: relationship.id,
    status: relationship.status,
    nickname: relationship.nickname ?? null,
    bank_account_type: relationship.bank_account_type || null,
    account_number_last4: relationship.account_number_last4,
    created_at: relationship.created_at,
  };
}

export const transferView = ({ id, status, amount, direction, created_at }: BrokerTransfer): TransferResponse => ({ id, status, amount, direction, created_at });

/** A row's fields as written from a Broker object (the store adds heard_at and the version). */
export type Fields<Row> = Omit<Row, "version" | "heard_at">;

export function orderFields(sub: string, order: BrokerOrder, eventAt: string | null, cancelAsked = 0): Fields<OrderRow> {
  return {
    id: order.id,
    sub,
    status: order.status,
    open: ORDER.final.has(order.status) ? 0 : 1,
    filled_qty: order.filled_qty ?? null,
    filled_avg_price: order.filled_avg_price ?? null,
    filled_at: order.filled_at ?? null,
    canceled_at: order.canceled_at ?? null,
    replaces: order.replaces ?? null,
    replaced_by: order.replaced_by ?? null,
    cancel_asked: cancelAsked,
    created_at: order.created_at,
    view: JSON.stringify(orderView(order)),
    event_at: eventAt,
  };
}

/** A transfer's row from its view (services/funding.ts transferView): the view is all D1 keeps of it, with the Broker's reason. */
export function transferFields(sub: string, { id, status, amount, direction, created_at }: TransferResponse, eventAt: string | null): Fields<TransferRow> {
  return { id, sub, status, reason: null, amount, direction, created_at, event_at: eventAt };
}

export function bankLinkFields(sub: string, view: BankLinkResponse, eventAt: string | null): Fields<BankLinkRow> {
  return { ...view, sub, reason: null, deleted: 0, event_at: eventAt };
}

/** A create's row, written in the create's batch after its audit row (stores/ledger-table.ts write). */
export const orderRecord = (stores: Stores, sub: string, order: BrokerOrder, now: number) => stores.orders.write(orderFields(sub, order, null), now, null, true);
export const transferRecord = (stores: Stores, sub: string, view: TransferResponse, now: number) => stores.transfers.write(transferFields(sub, view, null), now, null, true);
export const bankLinkRecord = (stores: Stores, sub: string, view: BankLinkResponse, now: number) => stores.bankLinks.write(bankLinkFields(sub, view, null), now, null, true);

export const orderOfRow = (row: Pick<OrderRow, "view">): OrderResponse => JSON.parse(row.view) as OrderResponse;

export const transferOfRow = ({ id, status, amount, direction, created_at }: Fields<TransferRow>): TransferResponse => ({ id, status, amount, direction, created_at });

export const bankLinkOfRow = ({ id, status, nickname, bank_account_type, account_number_last4, created_at }: Fields<BankLinkRow>): BankLinkResponse => ({
  id,
  status,
  nickname,
  bank_account_type,
  account_number_last4,
  created_at,
});

const flag = (value: number | null) => (value === null ? null : value === 1);

export function accountStatusOfRow(row: Pick<AccountRow, "broker_account_id" | "account_number" | "status" | "account_blocked" | "trading_blocked">): AccountStatusResponse {
  return { id: row.broker_account_id ?? "", account_number: row.account_number, status: row.status, account_blocked: flag(row.account_blocked), trading_blocked: flag(row.trading_blocked) };
}

/** The body of a change as the matching GET answers it now, from D1 (the live stream's replay after Last-Event-ID); undefined when the object is gone. */
export async function bodyOf(stores: Pick<Stores, "orders" | "transfers" | "bankLinks" | "accounts">, sub: string, kind: ChangeKind, objectId: string): Promise<unknown> {
  switch (kind) {
    case "order": {
      const row = await stores.orders.ofUser(sub, objectId);
      return row ? orderOfRow(row) : undefined;
    }
    case "transfer": {
      const row = await stores.transfers.ofUser(sub, objectId);
      return row ? transferOfRow(row) : undefined;
    }
    case "bank_link": {
      const row = await stores.bankLinks.ofUser(sub, objectId);
      return row ? bankLinkOfRow(row) : undefined;
    }
    case "account": {
      const row = await stores.accounts.rowOf(sub);
      return row?.broker_account_id ? accountStatusOfRow(row) : undefined;
    }
  }
}
