// The Broker API's funding calls this API makes (ACH relationships, ACH transfers), and the parts of
// their answers it reads. A bank account number is read only to keep its last 4: the whole number
// never leaves this module.
import * as z from "zod/mini";
import { Decimal } from "../decimal";
import { pathId, read } from "./accounts";
import type { BrokerClient } from "./client";
import { pages } from "./pages";

/** Bank details as the Broker API takes them, or a Plaid processor token (Alpaca reads the bank from Plaid). */
export type NewRelationship =
  | { account_owner_name: string; bank_account_type: "CHECKING" | "SAVINGS"; bank_account_number: string; bank_routing_number: string; nickname?: string }
  | { processor_token: string };

/** An ACH relationship, its bank account number cut to the last 4 on reading. */
const BrokerRelationship = z.pipe(
  z.object({
    id: z.string().check(z.minLength(1)),
    account_id: z.optional(z.string()),
    status: z.string(),
    nickname: z.nullish(z.string()),
    // "" when the link came through Plaid.
    bank_account_type: z.nullish(z.string()),
    account_mask: z.nullish(z.string()),
    bank_account_number: z.nullish(z.string()),
    // A bank's public number, kept to find a link by its details (services/funding.ts); never answered.
    bank_routing_number: z.nullish(z.string()),
    created_at: z.string(),
  }),
  z.transform(({ bank_account_number, account_mask, ...relationship }) => ({
    ...relationship,
    account_number_last4: (account_mask ?? bank_account_number ?? "").slice(-4) || null,
  })),
);

export type BrokerRelationship = z.output<typeof BrokerRelationship>;

const BrokerTransfer = z.object({
  id: z.string().check(z.minLength(1)),
  account_id: z.optional(z.string()),
  relationship_id: z.nullish(z.string()),
  status: z.string(),
  amount: Decimal,
  direction: z.enum(["INCOMING", "OUTGOING"]),
  created_at: z.string(),
});

export type BrokerTransfer = z.infer<typeof BrokerTransfer>;

export interface NewTransfer {
  relationshipId: string;
  amount: string;
  direction: "INCOMING" | "OUTGOING";
}

/** The funding calls of one account, bound to one request. */
export class BrokerFunding {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  /** Not idempotent (the Broker API has no key for it): never retried. */
  async createRelationship(accountId: string, relationship: NewRelationship): Promise<BrokerRelationship> {
    const answer = await this.#client.call("CreateAchRelationship", "POST", `/v1/accounts/${pathId(accountId)}/ach_relationships`, relationship);
    return read(BrokerRelationship, answer, "CreateAchRelationship");
  }

  async relationships(accountId: string): Promise<BrokerRelationship[]> {
    const answer = await this.#client.call("ListAchRelationships", "GET", `/v1/accounts/${pathId(accountId)}/ach_relationships`);
    return read(z.array(BrokerRelationship), answer, "ListAchRelationships");
  }

  async deleteRelationship(accountId: string, relationshipId: string): Promise<void> {
    await this.#client.call("DeleteAchRelationship", "DELETE", `/v1/accounts/${pathId(accountId)}/ach_relationships/${pathId(relationshipId)}`);
  }

  /**
   * An ACH transfer under the Broker API's own Idempotency-Key (at most 36 characters, scoped to the
   * account, never expiring): the same key and body answer the first transfer, in its current
   * status, with `Idempotency-Replayed: true` (`replayed` here); the same key with another body is
   * 422. Not retried here: services/funding.ts decides when to send it again, always with its key.
   */
  async createTransfer(accountId: string, transfer: NewTransfer, idempotencyKey: string): Promise<{ transfer: BrokerTransfer; replayed: boolean }> {
    const body = { transfer_type: "ach", relationship_id: transfer.relationshipId, amount: transfer.amount, direction: transfer.direction };
    const answer = await this.#client.create("CreateTransfer", `/v1/accounts/${pathId(accountId)}/transfers`, body, { "idempotency-key": idempotencyKey });
    return { transfer: read(BrokerTransfer, answer.body, "CreateTransfer"), replayed: answer.headers.get("idempotency-replayed") === "true" };
  }

  /** Newest first, `limit` from `offset` (the Broker API pages transfers so; `[]` is the end). */
  async transfers(accountId: string, page: { limit: number; offset: number; direction?: "INCOMING" | "OUTGOING" }): Promise<BrokerTransfer[]> {
    const query = new URLSearchParams({ limit: String(page.limit), offset: String(page.offset), ...(page.direction ? { direction: page.direction } : {}) });
    return read(z.array(BrokerTransfer), await this.#client.call("ListTransfers", "GET", `/v1/accounts/${pathId(accountId)}/transfers?${query}`), "ListTransfers");
  }

  /**
   * Every transfer of the account, newest first, `pageSize` a page from offset 0 on; a short page
   * (`[]` too) is the last, and `maxPages` bounds a reader that needs a bound. A transfer made while
   * it reads moves the older ones down a place: one may come twice, none is missed.
   */
  allTransfers(accountId: string, { direction, pageSize = 100, maxPages }: { direction?: "INCOMING" | "OUTGOING"; pageSize?: number; maxPages?: number } = {}): AsyncGenerator<BrokerTransfer, void, undefined> {
    const page = async (offset: number) => {
      const items = await this.transfers(accountId, { limit: pageSize, offset, direction });
      return { items, next: items.length < pageSize ? undefined : offset + pageSize };
    };
    return pages(0, page, maxPages);
  }

  async cancelTransfer(accountId: string, transferId: string): Promise<void> {
    await this.#client.call("CancelTransfer", "DELETE", `/v1/accounts/${pathId(accountId)}/transfers/${pathId(transferId)}`);
  }
}
