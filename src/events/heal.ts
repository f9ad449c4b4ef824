// The heal pass (issue 23, item 4): every 10 minutes a Cron Trigger asks the Broker API for the
// current state of each object D1 holds in a status that is not final and has heard nothing of for
// 10 minutes, and fixes D1 with an audit row (actor source "heal"): a lost event is corrected here.
// Bounded per run, and it stops while the Broker API's X-RateLimit-Remaining is low, so that it
// never starves user requests of the budget they share with it.
import type { Actor } from "../actor";
import type { Broker } from "../deps";
import { BROKER_API } from "../broker/errors";
import { log } from "../log";
import { orderFields } from "../services/ledger";
import type { OwnedAccountRow } from "../stores/brokerage-accounts";
import type { LedgerRow } from "../stores/ledger-table";
import { depsFrom } from "../root";
import { unusableAnswer, type RequestScope } from "../upstream";
import { accountChange, appliedChange, bankLinkChange, changeStatements, orderChange, transferChange, type Change, type EventDeps, type StatusChange } from "./apply";
import { accountMovesForward, BANK_LINK, FINAL, movesForward, orderMovesForward, TRANSFER, type Lifecycle } from "./lifecycle";
import { publishChanges } from "./publish";
import type { AppliedChange } from "./types";

export interface HealDeps extends EventDeps {
  broker: Broker;
  /** The invocation's scope: its rateLimit is what the Broker API's last answer said is left. */
  scope: Pick<RequestScope, "rateLimit">;
}

export const HEAL_LIMITS = {
  /** How long D1 may hear nothing of an object that is not final before the pass asks after it. */
  silentMs: 10 * 60_000,
  /** Rows of each kind one run looks at. */
  rowsPerKind: 25,
  /** Broker API calls one run makes at most. */
  maxCalls: 40,
  /** The run stops once the Broker API says less than this share of its limit is left. */
  reserveShare: 0.25,
};

export interface HealReport {
  checked: number;
  fixed: number;
  /** Items whose Broker call failed: left for the next run. */
  failed: number;
  calls: number;
  /** Why the run stopped before its rows were done, if it did. */
  stopped?: "rate_limit" | "max_calls";
  changes: AppliedChange[];
}

class Stop extends Error {
  constructor(readonly reason: NonNullable<HealReport["stopped"]>) {
    super(reason);
  }
}

export async function healPass(deps: HealDeps, limits = HEAL_LIMITS): Promise<HealReport> {
  const { stores } = deps;
  const report: HealReport = { checked: 0, fixed: 0, failed: 0, calls: 0, changes: [] };
  const before = deps.now() - limits.silentMs;
  /** The calls the kind under way may reach: its share of what is left (kinds()). */
  let share = limits.maxCalls;
  /** One Broker call, if the run (and the kind under way) may still make one. */
  const ask = async <T>(call: () => Promise<T>): Promise<T> => {
    const left = deps.scope.rateLimit;
    if (left && left.remaining < left.limit * limits.reserveShare) throw new Stop("rate_limit");
    if (report.calls >= share) throw new Stop("max_calls");
    report.calls++;
    return call();
  };
  const owners = new Map<string, OwnedAccountRow | null>();
  const ownerOf = async (sub: string) => {
    if (!owners.has(sub)) {
      const row = await stores.accounts.rowOf(sub);
      owners.set(sub, row?.broker_account_id ? (row as OwnedAccountRow) : null);
    }
    return owners.get(sub)!;
  };
  /** Applies `change` while the row is as read (`first` changes one row only then); its notice follows. */
  const fix = async (first: D1PreparedStatement, change: Change) => {
    const actor: Actor = { sub: change.owner.sub, source: "heal", id: `heal-${crypto.randomUUID()}` };
    const results = await stores.accounts.batch([first, ...changeStatements(stores, actor, change, deps.now())]);
    if (results[0]!.meta.changes !== 1) return;
    report.fixed++;
    report.changes.push(appliedChange(change, results[3]!));
    if (change.notice) await deps.tell?.(change.owner, change.notice);
  };
  const heard = (row: LedgerRow, table: "orders" | "transfers" | "bankLinks") => stores[table].heardAt(row, deps.now());

  /** One item: a failure of its own (the Broker API refusing one account's call) is logged, and the run goes on. */
  const item = async (kind: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      if (error instanceof Stop) throw error;
      report.failed++;
      log("warn", "heal pass item failed", { kind, error: error instanceof Error ? error.name : "unknown" });
    }
  };
  const at = () => new Date(deps.now()).toISOString();
  /** Rows of a kind the Broker API only lists: each silent account's list asked once, each row fixed from it or heard. */
  const listed = async <Row extends LedgerRow & { reason: string | null }>(
    silentRows: Promise<Row[]>,
    table: "transfers" | "bankLinks",
    lifecycle: Lifecycle,
    change: (stores: HealDeps["stores"], owner: OwnedAccountRow, held: Row, to: StatusChange, now: number) => Change,
    list: (accountId: string) => Promise<{ id: string; status: string }[]>,
  ) => {
    const silent = await silentRows;
    for (const sub of new Set(silent.map((row) => row.sub))) {
      const rows = silent.filter((row) => row.sub === sub);
      report.checked += rows.length;
      await item(table, async () => {
        const owner = await ownerOf(sub);
        if (!owner) return;
        const found = await ask(() => list(owner.broker_account_id));
        for (const row of rows) {
          const now = found.find((object) => object.id === row.id);
          if (!now || !movesForward(lifecycle, { status: row.status, at: row.event_at }, { status: now.status, at: at() })) await heard(row, table).run();
          else await fix(heard(row, table), change(stores, owner, row, { status: now.status, reason: row.reason, event_at: at() }, deps.now()));
        }
      });
    }
  };

  const accounts = async () => {
    for (const account of await stores.accounts.silent(FINAL.account, before, limits.rowsPerKind)) {
      report.checked++;
      await item("account", async () => {
        const { status } = await ask(() => deps.broker.accounts.get(account.broker_account_id));
        const first = stores.accounts.heardAt(account, deps.now());
        if (status === account.status || !accountMovesForward({ status: account.status, at: account.status_at }, { status, at: at() })) await first.run();
        else await fix(first, accountChange(stores, account, { status, status_at: at(), account_blocked: account.account_blocked, trading_blocked: account.trading_blocked }, deps.now()));
      });
    }
  };
  const orders = async () => {
    for (const row of await stores.orders.silent(FINAL.order, before, limits.rowsPerKind)) {
      report.checked++;
      await item("order", async () => {
        const owner = await ownerOf(row.sub);
        if (!owner) return;
        const order = await ask(() => deps.broker.trading.order(owner.broker_account_id, row.id));
        if (order.id !== row.id) throw unusableAnswer(BROKER_API, "GetOrder answered another order");
        const next = orderFields(row.sub, order, at(), row.cancel_asked);
        if (next.view === row.view || !orderMovesForward({ ...row, at: row.event_at }, { ...next, at: next.event_at })) await heard(row, "orders").run();
        else await fix(heard(row, "orders"), orderChange(stores, owner, row, next, deps.now()));
      });
    }
  };
  // The Broker API has no GET of one transfer (the account's newest 100) nor of one bank link: a list, once per account.
  const transfers = () =>
    listed(stores.transfers.silent(FINAL.transfer, before, limits.rowsPerKind), "transfers", TRANSFER, transferChange, (accountId) =>
      deps.broker.funding.transfers(accountId, { limit: 100, offset: 0 }),
    );
  const bankLinks = () => listed(stores.bankLinks.silent(FINAL.bankLink, before, limits.rowsPerKind), "bankLinks", BANK_LINK, bankLinkChange, (accountId) => deps.broker.funding.relationships(accountId));

  // Each kind may use its share of the calls left (what one leaves, the next may use): open orders
  // and pending accounts that stay silent for days must not keep every run from reaching the transfers.
  const kinds = [accounts, orders, transfers, bankLinks];
  try {
    for (const [index, kind] of kinds.entries()) {
      share = report.calls + Math.ceil((limits.maxCalls - report.calls) / (kinds.length - index));
      try {
        await kind();
      } catch (error) {
        if (!(error instanceof Stop && error.reason === "max_calls" && report.calls < limits.maxCalls)) throw error;
        report.stopped = "max_calls";
      }
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    report.stopped = error.reason;
  }
  log("info", "heal pass", { checked: report.checked, fixed: report.fixed, failed: report.failed, calls: report.calls, ...(report.stopped ? { stopped: report.stopped } : {}) });
  return report;
}

/** How long one run may spend on the Broker API, its calls each within their own timeout too. */
const RUN_BUDGET_MS = 60_000;

/** The Cron Trigger's job ("*\/10 * * * *"), and `GET /__scheduled` under `wrangler dev --test-scheduled`. */
export async function runHealPass(env: Env): Promise<HealReport | undefined> {
  const root = depsFrom(env);
  if (!root.storesIfBound) return undefined;
  const scope: RequestScope = { budgetEndsAt: Date.now() + RUN_BUDGET_MS, calls: [], clearance: Promise.resolve() };
  const report = await healPass({ ...root.eventDeps(scope), broker: root.clients(scope).broker, scope });
  // A corrected row is a change like an event's: the owner's open streams hear of it too.
  await publishChanges(env, report.changes);
  return report;
}
