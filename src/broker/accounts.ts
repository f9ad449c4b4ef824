// The Broker API's account calls this API makes, and the parts of their answers it reads.
import * as z from "zod/mini";
import type { BrokerConfig } from "../config";
import { Decimal } from "../decimal";
import { unusableAnswer, type RequestScope } from "../upstream";
import { BrokerClient } from "./client";
import { BROKER_API } from "./errors";

/** An agreement as the Broker API takes it: the user's consent, stamped by the server. */
interface SignedAgreement {
  agreement: string;
  signed_at: string;
  ip_address: string;
}

/** `POST /v1/accounts`: a US individual trading account with its holder inline. */
export interface NewAccount {
  contact: {
    email_address: string;
    phone_number: string;
    street_address: string[];
    unit?: string;
    city: string;
    state: string;
    postal_code: string;
  };
  identity: {
    given_name: string;
    family_name: string;
    date_of_birth: string;
    tax_id: string;
    tax_id_type: string;
    country_of_citizenship: string;
    country_of_birth: string;
    country_of_tax_residence: string;
    funding_source: string[];
  };
  disclosures: {
    is_control_person: boolean;
    is_affiliated_exchange_or_finra: boolean;
    is_politically_exposed: boolean;
    immediate_family_exposed: boolean;
  };
  agreements: SignedAgreement[];
}

export type ContactChange = Partial<Omit<NewAccount["contact"], "email_address">>;

/** What this API reads of an Account (the status is any string: the Broker API's enum grows). */
const AccountAnswer = z.object({
  id: z.string().check(z.minLength(1)),
  account_number: z.nullish(z.string()),
  status: z.string().check(z.minLength(1)),
  created_at: z.string(),
  contact: z.optional(z.object({ email_address: z.optional(z.string()) })),
  // The date of birth is read to compare an account found by email with an opening (never shown or kept).
  identity: z.optional(z.object({ given_name: z.optional(z.string()), family_name: z.optional(z.string()), date_of_birth: z.optional(z.string()) })),
  agreements: z.optional(z.array(z.object({ agreement: z.string(), signed_at: z.optional(z.string()) }))),
});

export type Account = z.infer<typeof AccountAnswer>;

/**
 * The Broker API's TradeAccount: amounts as its decimal strings. Passed on as it is, so it is also the
 * one definition of GET /platform/accounts/me/trading's answer (the docs document this schema).
 */
export const BrokerTradingAccount = z.object({
  status: z.string(),
  currency: z.string(),
  cash: Decimal,
  buying_power: Decimal,
  equity: Decimal,
  portfolio_value: z.optional(Decimal),
  cash_withdrawable: z.optional(Decimal),
  cash_transferable: z.optional(Decimal),
  regt_buying_power: z.optional(Decimal),
  non_marginable_buying_power: z.optional(Decimal),
  last_equity: z.optional(Decimal),
  long_market_value: z.optional(Decimal),
  short_market_value: z.optional(Decimal),
  initial_margin: z.optional(Decimal),
  maintenance_margin: z.optional(Decimal),
  multiplier: z.optional(Decimal),
  pending_transfer_in: z.optional(Decimal),
  pending_transfer_out: z.optional(Decimal),
  trading_blocked: z.optional(z.boolean()),
  transfers_blocked: z.optional(z.boolean()),
  account_blocked: z.optional(z.boolean()),
});

export type BrokerTradingAccount = z.output<typeof BrokerTradingAccount>;

export function read<T extends z.ZodMiniType>(schema: T, answer: unknown, action: string): z.infer<T> {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw unusableAnswer(BROKER_API, `${action} answered a body that is not its documented shape`);
  return parsed.data;
}

/** Account ids go into paths: only a UUID, as the Broker API makes them, is put in one. */
export function pathId(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw unusableAnswer(BROKER_API, "an account id is not a UUID");
  return id;
}

const accountPath = (id: string) => `/v1/accounts/${pathId(id)}`;

/** The account calls of the firm's Broker API key, bound to one request. */
export class BrokerAccounts {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  /** Not idempotent: never retried (a second call would meet 409, the email being taken). */
  async create(account: NewAccount): Promise<Account> {
    return read(AccountAnswer, await this.#client.call("CreateAccount", "POST", "/v1/accounts", account), "CreateAccount");
  }

  async get(id: string): Promise<Account> {
    return read(AccountAnswer, await this.#client.call("GetAccount", "GET", accountPath(id)), "GetAccount");
  }

  /**
   * The account whose email is exactly `email`: the search matches tokens against numbers, phones,
   * names and emails, so its results are compared whole.
   */
  async findByEmail(email: string): Promise<Account | undefined> {
    const query = new URLSearchParams({ query: email, entities: "contact,identity,agreements" });
    const answer = read(z.array(AccountAnswer), await this.#client.call("ListAccounts", "GET", `/v1/accounts?${query}`), "ListAccounts");
    return answer.find((account) => account.contact?.email_address?.toLowerCase() === email.toLowerCase());
  }

  async updateContact(id: string, contact: ContactChange): Promise<Account> {
    return read(AccountAnswer, await this.#client.call("UpdateAccount", "PATCH", accountPath(id), { contact }), "UpdateAccount");
  }

  /** The contact's email: only ever the user's verified one (services/brokerage.ts followEmailChange). */
  async updateEmail(id: string, email: string): Promise<Account> {
    return read(AccountAnswer, await this.#client.call("UpdateAccount", "PATCH", accountPath(id), { contact: { email_address: email } }), "UpdateAccount");
  }

  /** 204: the Broker API keeps the record, status ACCOUNT_CLOSED. */
  async close(id: string): Promise<void> {
    await this.#client.call("CloseAccount", "POST", `${accountPath(id)}/actions/close`);
  }

  async trading(id: string): Promise<BrokerTradingAccount> {
    return read(BrokerTradingAccount, await this.#client.call("GetTradingAccount", "GET", `/v1/trading/accounts/${pathId(id)}/account`), "GetTradingAccount");
  }
}

/** The Broker API as one request sees it: its calls share the request's budget, call log and clearance. */
export function openBroker(config: BrokerConfig, scope: RequestScope, timeoutMs: number): BrokerAccounts {
  return new BrokerAccounts(new BrokerClient(config, scope, timeoutMs));
}
