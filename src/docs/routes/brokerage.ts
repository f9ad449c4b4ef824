import { BrokerTradingAccount } from "../../broker/accounts";
import type { FailureCode } from "../../failures";
import type { brokerageRoutes } from "../../routes/brokerage";
import { ChangeContact, OpenAccount } from "../../schemas/brokerage";
import { AccountStatusResponse, AccountViewResponse } from "../../schemas/brokerage-responses";
import { StepUp } from "../../schemas/requests";
import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, SIGNED_IN, STEP_UP, TOKEN, type RouterDocs } from "../route-docs";

/** Any Broker API call: its throttling, our key refused, faults. */
const BROKER: FailureCode[] = ["rate_limited", "misconfigured", "upstream_error", "upstream_unavailable", "upstream_timeout"];

export const OPEN_ACCOUNT_EXAMPLE = {
  contact: { phone_number: "+15555550100", street_address: ["20 N San Mateo Dr"], unit: "Apt 1", city: "San Mateo", state: "CA", postal_code: "94401" },
  identity: {
    given_name: "Ann",
    family_name: "Lee",
    date_of_birth: "1990-01-01",
    tax_id: "666-55-4321",
    tax_id_type: "USA_SSN",
    country_of_citizenship: "USA",
    country_of_birth: "USA",
    country_of_tax_residence: "USA",
    funding_source: ["employment_income"],
  },
  disclosures: { is_control_person: false, is_affiliated_exchange_or_finra: false, is_politically_exposed: false, immediate_family_exposed: false },
  agreements: ["customer_agreement", "margin_agreement"],
};

const VIEW_EXAMPLE = {
  id: "0d969814-40d6-4b2b-99ac-2e37427f1ad2",
  account_number: "682389557",
  status: "SUBMITTED",
  created_at: "2026-12-01T09:30:00.123456Z",
  given_name: "Ann",
  family_name: "Lee",
  email: EXAMPLE.email,
  tax_id_last4: "4321",
  agreements: [
    { agreement: "customer_agreement", signed_at: "2026-12-01T09:30:00.000Z" },
    { agreement: "margin_agreement", signed_at: "2026-12-01T09:30:00.000Z" },
  ],
};

const view = (description: string) => ({ description, body: { schema: AccountViewResponse, example: VIEW_EXAMPLE } });

export const brokerageDocs: RouterDocs<typeof brokerageRoutes> = {
  "/accounts": {
    $post: {
      operationId: "openBrokerageAccount",
      summary:
        "Open the signed-in user's brokerage account (one per user) with the Broker API. Needs a verified email, which is the account's; each accepted agreement is stamped with the time and the client's address",
      auth: true,
      body: { schema: OpenAccount, required: true, example: OPEN_ACCOUNT_EXAMPLE },
      responses: { 201: view("Opened: KYC runs (status SUBMITTED) and the account becomes ACTIVE when it passes") },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, "email_not_verified", ...BROKER, "brokerage_account_exists", "account_details_rejected", ...ANY],
    },
  },
  "/accounts/me": {
    $get: {
      operationId: "getBrokerageAccount",
      summary: "The signed-in user's brokerage account, with its current status (at most 5 seconds old)",
      auth: true,
      responses: { 200: view("The account") },
      problems: [...PLATFORM, ...TOKEN, ...BROKER, "brokerage_account_not_found", ...ANY],
    },
    $patch: {
      operationId: "changeBrokerageContact",
      summary: "Change the account's contact details of record (phone, address), where statements and confirmations go: the password, and the authenticator code when TOTP is on, prove it is the user, and the account's email gets a security notice. Identity, tax fields and the email cannot be changed",
      auth: true,
      body: { schema: ChangeContact, required: true, example: { contact: { phone_number: "+15555550199", city: "Burlingame", postal_code: "94010" }, password: EXAMPLE.password, code: EXAMPLE.totpCode } },
      responses: { 200: view("Changed") },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...STEP_UP, ...BROKER, "brokerage_account_not_found", "account_details_rejected", ...ANY],
    },
  },
  "/accounts/me/status": {
    $get: {
      operationId: "getBrokerageAccountStatus",
      summary:
        "The account's status and blocked flags from D1 alone, which the Broker API's events keep current (no Broker call): the same body as the live stream's account changes",
      auth: true,
      responses: {
        200: {
          description: "The account's status",
          body: {
            schema: AccountStatusResponse,
            example: { id: "0d969814-40d6-4b2b-99ac-2e37427f1ad2", account_number: "682389557", status: "ACTIVE", account_blocked: false, trading_blocked: false },
          },
        },
      },
      problems: [...PLATFORM, ...TOKEN, "brokerage_account_not_found", ...ANY],
    },
  },
  "/accounts/me/trading": {
    $get: {
      operationId: "getTradingAccount",
      summary: "The account's cash, buying power and equity, amounts as decimal strings as the Broker API gives them",
      auth: true,
      responses: {
        200: {
          description: "The trading account",
          body: {
            schema: BrokerTradingAccount,
            example: { status: "ACTIVE", currency: "USD", cash: "1000", cash_withdrawable: "0", buying_power: "2000", equity: "1000", last_equity: "0", multiplier: "2", trading_blocked: false, transfers_blocked: false, account_blocked: false },
          },
        },
      },
      problems: [...PLATFORM, ...TOKEN, ...BROKER, "brokerage_account_not_found", ...ANY],
    },
  },
  "/accounts/me/close": {
    $post: {
      operationId: "closeBrokerageAccount",
      summary:
        "Close the brokerage account: the password, and the authenticator code when TOTP is on, prove it is the user (403 step_up_required names what is missing). Only an account with no positions, no open orders, no cash and no transfer that is not final closes; otherwise 409 saying which remain. The Broker API keeps the record",
      auth: true,
      body: { schema: StepUp, required: true, example: { password: EXAMPLE.password, code: EXAMPLE.totpCode } },
      responses: { 200: view("Closed: status ACCOUNT_CLOSED; the login can now be deleted") },
      problems: [
        ...PLATFORM,
        ...BODY,
        ...SIGNED_IN,
        ...COGNITO,
        ...STEP_UP,
        ...BROKER,
        "brokerage_account_not_found",
        "brokerage_account_not_closable",
        ...ANY,
      ],
    },
  },
};
