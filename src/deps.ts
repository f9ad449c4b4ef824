// What the composition root (root.ts) gives every entry point, and what a flow runs with (Deps):
// types only, so that a flow names its dependencies without importing how they are built.
import type { ChallengeSeal } from "./auth/challenge-session";
import type { BrokerAccountData } from "./broker/account-data";
import type { BrokerAccounts } from "./broker/accounts";
import type { BrokerAssets } from "./broker/assets";
import type { BrokerFunding } from "./broker/funding";
import type { MarketHours } from "./broker/market-hours";
import type { BrokerTrading } from "./broker/trading";
import type { UserPool } from "./cognito/user-pool";
import type { MarketData } from "./market/client";
import type { BrokerConfig, Config, ConfigResult, FundingConfig } from "./config";
import type { AppliedChange } from "./events/types";
import type { StreamRequest } from "./events/user-streams";
import type { CountedAction } from "./limits";
import type { PlaidClient } from "./plaid/client";
import type { SignedInUser } from "./auth/signed-in-user";
import type { NotifyOwner } from "./services/notices";
import type { Proof, StepUpCheck } from "./services/step-up";
import type { Ses } from "./ses/client";
import type { Stores } from "./stores";
import type { EventDeps } from "./events/apply";
import type { RequestScope } from "./upstream";

/** The Broker API, one client per invocation: accounts, funding, trading and asset calls, and the account's data (activities, history, documents). */
export interface Broker {
  accounts: BrokerAccounts;
  accountData: BrokerAccountData;
  funding: BrokerFunding;
  trading: BrokerTrading;
  assets: BrokerAssets;
}

/** The upstream clients of one invocation, each lent its scope. */
export interface Clients {
  cognito: UserPool;
  /** Undefined without SES_FROM_ADDRESS: no notice is sent. */
  ses: Ses | undefined;
  /** 503 not_configured without the Broker API's settings or D1. */
  readonly broker: Broker;
  /** The Market Data API; 503 not_configured without the Broker API's key pair (it takes that key) or with a bad MARKET_DATA_*. D1 is not needed. */
  readonly market: MarketData;
  /** The market's clock and calendar (the Broker API's); the same settings as `market`. */
  readonly marketHours: MarketHours;
  /** 503 not_configured without Plaid's settings: only Plaid bank links need it. */
  plaid(): PlaidClient;
}

/** The users' live streams: one Durable Object per user holds that user's open streams (events/user-streams.ts). */
export interface LiveStreams {
  /** A new stream of the user's changes, or null when the user has as many open as allowed. */
  open(request: StreamRequest): Promise<ReadableStream<Uint8Array> | null>;
  /** Hands each user's changes to that user's object; answers how many users' objects could not be reached. */
  publish(changes: AppliedChange[]): Promise<number>;
}

/** The server's keys, each derived once per isolate from its secret. */
export interface Keys {
  /** Idempotency-Key fingerprints (services/idempotency.ts), from the Broker API secret. */
  fingerprint(): Promise<CryptoKey>;
  /** Accepted step-up codes' MACs (services/step-up.ts), from the IAM secret. */
  stepUpCode(): Promise<CryptoKey>;
  /** Seals the log-in's TOTP challenge session to its email. */
  challengeSeal(): ChallengeSeal;
}

/** An isolate's dependencies (root.ts depsFrom). Accessors that need settings throw 503 not_configured naming them. */
export interface Root {
  env: Env;
  configResult: ConfigResult;
  config(): Config;
  /** The Broker API's settings, its timeout and the stores: the brokerage needs all three. */
  brokerage(): { broker: BrokerConfig; timeoutMs: number; stores: Stores };
  funding(): FundingConfig;
  /** The stores, where the brokerage is configured (503 naming what is missing otherwise). */
  stores(): Stores;
  /** The stores where D1 is bound, else undefined (a deployment without the brokerage). */
  storesIfBound: Stores | undefined;
  now: () => number;
  keys: Keys;
  /** A new invocation's scope: the request budget from now, an empty call log, and what its calls wait for. */
  scope(clearance: Promise<void>): RequestScope;
  clients(scope: RequestScope): Clients;
  /** The dependencies of one invocation's brokerage and money flows: the clients lent `scope`; `allow` counts the actor's own actions (a heal pass or an event consumer passes its own). */
  flowDeps(scope: RequestScope, actorOnly: Pick<Deps, "allow" | "stepUp" | "notify">): Deps;
  /** The dependencies of one invocation's login flows (Cognito): every deployment has them, brokerage or not. */
  loginDeps(scope: RequestScope, actorOnly: Pick<LoginDeps, "stepUp" | "notify" | "countPasswordGuess">): LoginDeps;
  /** The security notices of one invocation, sent through its SES (none without SES_FROM_ADDRESS), with the time of the change and `clientAddress` as given; `sent` takes each send's outcome (a request's log line). */
  notifier(scope: RequestScope, clientAddress: string | undefined, sent: (outcome: Promise<string>) => void): NotifyOwner;
  /** What applying the Broker API's events needs (events/apply.ts): D1, the clock, and notices through this invocation's Broker API and SES. No request needed. */
  eventDeps(scope: RequestScope): EventDeps;
  /** The step up of a signed-in user (services/step-up.ts): their password, counted as a guess from `address`, and code. */
  stepUp(who: { pool: UserPool; user: SignedInUser; address: string }, proof: Proof): StepUpCheck;
}

export type { CountedAction };

/** What every flow has, whatever started it: the isolate's keys and clock, and the actor's own step up and notices. */
interface Invocation {
  keys: Keys;
  now: () => number;
  /** The actor's step up from the proof it sent (a request's user); an actor that cannot step up (a heal pass) fails it. */
  stepUp(proof: Proof): StepUpCheck;
  /** Tells the account's email of a change of control, once it has happened (services/notices.ts); never fails the flow. */
  notify: NotifyOwner;
}

/**
 * What the login's flows run with (Cognito: sign-up, log-in, passwords, TOTP, the email, deleting the
 * login): the user pool of the invocation, and the brokerage only where the deployment has one.
 */
export interface LoginDeps extends Invocation {
  cognito: UserPool;
  config: Pick<Config, "autoConfirm" | "totpIssuer">;
  /** Counts a password guess at `login` (an email) from the caller's address, for a flow that only sometimes checks one (resuming a sign-up). */
  countPasswordGuess(login: string): Promise<void>;
  /** D1's stores where it is bound, else undefined (a deployment that keeps no brokerage accounts). */
  storesIfBound: Stores | undefined;
  /** The stores and the Broker API where the brokerage is configured, else undefined: a verified email keeps the Broker in step. */
  readonly brokerage: Pick<Deps, "stores" | "broker" | "now"> | undefined;
}

/**
 * What a brokerage or money flow runs with, whatever started it (a request, a Cron Trigger, a Durable
 * Object): the isolate's stores, keys and clock, and this invocation's clients and limits. Flows take
 * `(deps, actor, input)` and know nothing of HTTP.
 */
export interface Deps extends Invocation {
  stores: Stores;
  /** The Broker API, one client for the invocation. */
  broker: Broker;
  /** Plaid, or 503 not_configured (bank details work without it). */
  plaid(): PlaidClient;
  /** How long the invocation may spend upstream: a lease lasts a little longer (stores/lease.ts). */
  requestBudgetMs: number;
  /** Counts one of the actor's actions against its own allowance, just before the flow's first Broker call: 429 over it. */
  allow(action: CountedAction): Promise<void>;
  /** Settles once the invocation may call upstream: a request's address limit (429 for an address over it, which writes no audit row). */
  cleared: Promise<void>;
  /** The users' live streams; 503 not_configured without the USER_EVENTS binding. */
  readonly liveStreams: LiveStreams;
}
