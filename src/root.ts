// The composition root: from `env`, everything the flows run with — the config, the stores, the keys,
// the clock and the upstream clients — built once per isolate (workerd keeps one `env` per isolate:
// keptFor). Requests (middleware/deps.ts), Cron Triggers (index.ts `scheduled`) and Durable Objects
// all start here. What belongs to one invocation (its upstream budget, call log and rate-limit
// clearance) is a Scope, lent to the clients of that invocation only.
import { challengeSeal } from "./auth/challenge-session";
import { BrokerAccountData } from "./broker/account-data";
import { BrokerAccounts } from "./broker/accounts";
import { BrokerAssets } from "./broker/assets";
import { BrokerClient } from "./broker/client";
import { BrokerFunding } from "./broker/funding";
import { MarketHours } from "./broker/market-hours";
import { BrokerTrading } from "./broker/trading";
import { openUserPool, type UserPool } from "./cognito/user-pool";
import { loadBrokerConfig, loadConfig, loadMarketDataConfig, notConfigured, loadFundingConfig, loadPlaidConfig, loadTimeouts, type BrokerConfig, type Config } from "./config";
import type { Broker, Clients, Keys, Root } from "./deps";
import { liveStreamsOf } from "./events/live-streams";
import { keptFor } from "./isolate";
import { MarketData } from "./market/client";
import { openPlaid } from "./plaid/client";
import { fingerprintKey } from "./services/idempotency";
import { countPasswordGuess } from "./limits";
import { acceptedCodesIn, acceptedCodesInIsolate, codeKey, stepUpCheck, type AcceptedCodes } from "./services/step-up";
import { securityNotice, sendSecurityNotice } from "./services/notices";
import { tellThrough } from "./services/event-notices";
import { openSes, type Ses } from "./ses/client";
import { storesOf } from "./stores";
import type { RequestScope } from "./upstream";

export type { Root };

/**
 * A scope's clients, kept on the scope under a key of this module's own: a WeakMap entry per
 * invocation, as before, was an ephemeron for the collector to trace on every request.
 */
const CLIENTS = Symbol("clients");
type ScopeWithClients = RequestScope & { [CLIENTS]?: Clients };

// One key of each per isolate: kept for the settings object its secret comes from.
const fingerprintKeyOf = (config: BrokerConfig) => fingerprintKey(config.secret);
const codeKeyOf = (config: Config) => codeKey(config.awsCredentials.secretAccessKey);
const sealOf = (config: Config) => challengeSeal(config.awsCredentials.secretAccessKey);

function build(env: Env): Root {
  const configResult = loadConfig(env);
  const brokerResult = loadBrokerConfig(env);
  const timeoutsResult = loadTimeouts(env);
  const db = (env as { DB?: D1Database }).DB;
  const stores = db && storesOf(db);
  const config = () => {
    if (!configResult.ok) throw notConfigured(configResult.invalid, configResult.placeholders);
    return configResult.config;
  };
  /** The Broker API's settings, its timeout and D1 together: the brokerage needs all three. */
  const brokerage = () => {
    if (!brokerResult.ok || !timeoutsResult.ok || !stores) {
      const invalid = [...(brokerResult.ok ? [] : brokerResult.invalid), ...(timeoutsResult.ok ? [] : timeoutsResult.invalid), ...(stores ? [] : ["DB"])];
      throw notConfigured(invalid, brokerResult.ok ? [] : brokerResult.placeholders);
    }
    return { broker: brokerResult.broker, timeoutMs: timeoutsResult.timeouts.brokerMs, stores };
  };
  const keys: Keys = {
    fingerprint: () => keptFor(brokerage().broker, fingerprintKeyOf),
    stepUpCode: () => keptFor(config(), codeKeyOf),
    challengeSeal: () => keptFor(config(), sealOf),
  };
  let acceptedCodes: AcceptedCodes | undefined;
  const acceptedCodesOf = () => (acceptedCodes ??= stores ? acceptedCodesIn(stores.stepUpCodes, keys.stepUpCode()) : acceptedCodesInIsolate(keys.stepUpCode()));
  // One set per scope: every part of an invocation that asks gets the same clients.
  const clientsOf = (scope: ScopeWithClients): Clients => (scope[CLIENTS] ??= newClients(scope));
  /** The Market Data API's settings with the Broker API's key pair and both timeouts: no D1 needed. */
  const marketData = () => {
    const market = loadMarketDataConfig(env);
    if (!brokerResult.ok || !market.ok || !timeoutsResult.ok) {
      const invalid = [...(brokerResult.ok ? [] : brokerResult.invalid), ...(market.ok ? [] : market.invalid), ...(timeoutsResult.ok ? [] : timeoutsResult.invalid)];
      throw notConfigured(invalid, [...(brokerResult.ok ? [] : brokerResult.placeholders), ...(market.ok ? [] : market.placeholders)]);
    }
    return { market: market.marketData, broker: brokerResult.broker, timeouts: timeoutsResult.timeouts };
  };
  const newClients = (scope: RequestScope): Clients => {
    let broker: Broker | undefined;
    let market: MarketData | undefined;
    let marketHours: MarketHours | undefined;
    let cognito: UserPool | undefined;
    let ses: { client: Ses | undefined } | undefined;
    return {
      // Made when first asked for: an event consumer or a heal pass needs no Cognito settings.
      get cognito() {
        return (cognito ??= openUserPool(config(), scope));
      },
      get ses() {
        return (ses ??= { client: openSes(config(), scope) }).client;
      },
      // One Broker client per invocation: its account, funding and trading calls share it.
      get broker() {
        if (!broker) {
          const { broker: settings, timeoutMs } = brokerage();
          const client = new BrokerClient(settings, scope, timeoutMs);
          broker = { accounts: new BrokerAccounts(client), accountData: new BrokerAccountData(client), funding: new BrokerFunding(client), trading: new BrokerTrading(client), assets: new BrokerAssets(client) };
        }
        return broker;
      },
      get market() {
        if (!market) {
          const settings = marketData();
          market = new MarketData(settings.market, settings.broker, scope, settings.timeouts.marketDataMs);
        }
        return market;
      },
      // The Broker API's, but without D1: a client of its own on the same scope.
      get marketHours() {
        if (!marketHours) {
          const settings = marketData();
          marketHours = new MarketHours(new BrokerClient(settings.broker, scope, settings.timeouts.brokerMs), settings.broker.url);
        }
        return marketHours;
      },
      plaid: () => {
        const plaid = loadPlaidConfig(env);
        if (!plaid.ok) throw notConfigured(plaid.invalid, plaid.placeholders);
        if (!timeoutsResult.ok) throw notConfigured(timeoutsResult.invalid);
        return openPlaid(plaid.plaid, scope, timeoutsResult.timeouts.plaidMs);
      },
    };
  };
  return {
    env,
    configResult,
    config,
    brokerage,
    funding: () => {
      const funding = loadFundingConfig(env);
      if (!funding.ok) throw notConfigured(funding.invalid, funding.placeholders);
      return funding.funding;
    },
    stores: () => brokerage().stores,
    storesIfBound: stores,
    now: Date.now,
    keys,
    stepUp: ({ pool, user, address }, proof) =>
      stepUpCheck({ pool, user, countGuess: () => countPasswordGuess(env, user.sub, address), codes: acceptedCodesOf(), now: Date.now }, proof),
    scope: (clearance) => ({ budgetEndsAt: Date.now() + config().requestBudgetMs, calls: [], clearance }),
    clients: clientsOf,
    loginDeps: (scope, { stepUp, notify, countPasswordGuess }) => {
      const clients = clientsOf(scope);
      return {
        cognito: clients.cognito,
        config: config(),
        keys,
        now: Date.now,
        stepUp,
        notify,
        countPasswordGuess,
        storesIfBound: stores,
        // Asked for only by the flows that keep the Broker API in step: no Broker client otherwise.
        get brokerage() {
          return brokerResult.ok && timeoutsResult.ok && stores ? { stores, broker: clients.broker, now: Date.now } : undefined;
        },
      };
    },
    notifier: (scope, clientAddress, sent) => (to, change) => {
      sent(to === null ? Promise.resolve("no_address") : sendSecurityNotice(clientsOf(scope).ses, securityNotice(to, change, { at: new Date(), clientAddress })));
    },
    eventDeps: (scope) => {
      const clients = clientsOf(scope);
      // SES's credentials are the Cognito settings' (Config): without them, events are applied and no notice is sent.
      return { stores: brokerage().stores, now: Date.now, tell: configResult.ok ? tellThrough(() => clients.broker.accounts, clients.ses) : undefined };
    },
    flowDeps: (scope, { allow, stepUp, notify }) => {
      const clients = clientsOf(scope);
      return {
        stores: brokerage().stores,
        get broker() {
          return clients.broker;
        },
        plaid: () => clients.plaid(),
        keys,
        now: Date.now,
        requestBudgetMs: config().requestBudgetMs,
        allow,
        stepUp,
        notify,
        cleared: scope.clearance,
        get liveStreams() {
          if (!env.USER_EVENTS) throw notConfigured(["USER_EVENTS"]);
          return liveStreamsOf(env.USER_EVENTS);
        },
      };
    },
  };
}

/** The root of this isolate: made on its first invocation, found again on every later one. */
export function depsFrom(env: Env): Root {
  return keptFor(env, build);
}
