// The D1 schema (migrations/) as the brokerage code relies on it, on the real database in workerd.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const NOW = "2026-12-01T09:00:00.000Z";

async function columns(table: string): Promise<{ name: string; type: string; notnull: number; pk: number }[]> {
  const { results } = await env.DB.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid").bind(table).all();
  return results as { name: string; type: string; notnull: number; pk: number }[];
}

async function auditRow(sub: string): Promise<number> {
  const row = await env.DB.prepare(
    "INSERT INTO audit_events (sub, action, request_id, idempotency_key, outcome, amount, symbol, at) VALUES (?, 'transfer.create', ?, 'key-1', 'ok', '100.00', NULL, ?) RETURNING id",
  )
    .bind(sub, crypto.randomUUID(), NOW)
    .first<{ id: number }>();
  return row!.id;
}

describe("D1 schema", () => {
  it("has its tables with their columns, and nothing personal", async () => {
    expect(await columns("brokerage_accounts")).toEqual([
      { name: "sub", type: "TEXT", notnull: 0, pk: 1 },
      { name: "broker_account_id", type: "TEXT", notnull: 0, pk: 0 },
      { name: "account_number", type: "TEXT", notnull: 0, pk: 0 },
      { name: "status", type: "TEXT", notnull: 1, pk: 0 },
      { name: "created_at", type: "TEXT", notnull: 1, pk: 0 },
      { name: "updated_at", type: "TEXT", notnull: 1, pk: 0 },
      { name: "tax_id_last4", type: "TEXT", notnull: 0, pk: 0 },
      { name: "broker_email_stale", type: "INTEGER", notnull: 1, pk: 0 },
      { name: "account_blocked", type: "INTEGER", notnull: 0, pk: 0 },
      { name: "trading_blocked", type: "INTEGER", notnull: 0, pk: 0 },
      { name: "status_at", type: "TEXT", notnull: 0, pk: 0 },
      { name: "version", type: "INTEGER", notnull: 1, pk: 0 },
      { name: "orders_filled", type: "INTEGER", notnull: 1, pk: 0 },
      { name: "transfers_filled", type: "INTEGER", notnull: 1, pk: 0 },
      { name: "bank_links_filled", type: "INTEGER", notnull: 1, pk: 0 },
    ]);
    expect((await columns("audit_events")).map((c) => c.name)).toEqual([
      "id",
      "sub",
      "action",
      "request_id",
      "idempotency_key",
      "outcome",
      "amount",
      "symbol",
      "at",
      "correlation_id",
      "direction",
      "bank_link_id",
      "side",
      "qty",
      "order_type",
      "object_id",
      "source",
      "status",
    ]);
    expect((await columns("idempotency_keys")).map((c) => [c.name, c.pk])).toEqual([
      ["sub", 1],
      ["key", 2],
      ["request_hash", 0],
      ["state", 0],
      ["response_status", 0],
      ["response_body", 0],
      ["resource_id", 0],
      ["created_at", 0],
      ["expires_at", 0],
      ["holder", 0],
      ["held_until", 0],
    ]);
    // Plaid's Item id and the access token sealed, never readable (services/plaid-items.ts).
    expect((await columns("plaid_items")).map((c) => c.name)).toEqual(["id", "item_id", "sub", "bank_link_id", "sealed_access_token", "state", "created_at", "updated_at"]);
    // The Broker API's events and each user's objects (issue 23): ids, statuses, amounts and last 4 digits, never a payload, a name or a bank number.
    expect((await columns("broker_events")).map((c) => c.name)).toEqual(["stream", "id", "sub", "type", "object_id", "status", "outcome", "at", "received_at", "notice"]);
    expect((await columns("orders")).map((c) => c.name)).toEqual([
      "id",
      "sub",
      "status",
      "open",
      "filled_qty",
      "filled_avg_price",
      "filled_at",
      "canceled_at",
      "replaces",
      "replaced_by",
      "cancel_asked",
      "created_at",
      "view",
      "event_at",
      "heard_at",
      "version",
    ]);
    expect((await columns("transfers")).map((c) => c.name)).toEqual(["id", "sub", "status", "reason", "amount", "direction", "created_at", "event_at", "heard_at", "version"]);
    expect((await columns("bank_links")).map((c) => c.name)).toEqual([
      "id",
      "sub",
      "status",
      "reason",
      "nickname",
      "bank_account_type",
      "account_number_last4",
      "created_at",
      "deleted",
      "event_at",
      "heard_at",
      "version",
    ]);
    expect((await columns("ledger_changes")).map((c) => c.name)).toEqual(["seq", "sub", "kind", "object_id", "at"]);
    // These four tables' indexes; the later tables' own tests hold theirs.
    const { results: indexes } = await env.DB.prepare(
      "SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name IN ('audit_events', 'idempotency_keys', 'plaid_items', 'brokerage_accounts') ORDER BY name",
    ).all();
    expect(indexes).toEqual([
      { name: "audit_events_one_success_per_request", tbl_name: "audit_events" },
      { name: "audit_events_sub_id", tbl_name: "audit_events" },
      { name: "idempotency_keys_expires_at", tbl_name: "idempotency_keys" },
      { name: "plaid_items_sub_state", tbl_name: "plaid_items" },
    ]);
    // The asset list (the Broker API's, synced daily) and the users' watchlists: symbols and names only.
    expect((await columns("assets")).map((c) => c.name)).toEqual(["symbol", "id", "name", "class", "exchange", "status", "tradable", "fractionable", "shortable", "marginable", "synced_at"]);
    expect((await columns("asset_sync")).map((c) => c.name)).toEqual(["id", "synced_at", "holder", "held_until"]);
    expect((await columns("watchlists")).map((c) => c.name)).toEqual(["id", "sub", "name", "created_at", "updated_at"]);
    expect((await columns("watchlist_symbols")).map((c) => c.name)).toEqual(["watchlist_id", "symbol", "position"]);
    const { results: watchlistIndexes } = await env.DB.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name LIKE 'watchlist%'").all();
    expect(watchlistIndexes).toEqual([{ name: "watchlists_sub_name" }]);
  });

  it("applies each migration once, however often the set-up runs (one database for every file)", async () => {
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    const { results } = await env.DB.prepare("SELECT name FROM d1_migrations").all();
    expect(results.map((row) => row.name)).toEqual(env.TEST_MIGRATIONS.map((migration) => migration.name));
    expect(results.slice(0, 3)).toEqual([{ name: "0001_brokerage.sql" }, { name: "0002_tax_id_last4.sql" }, { name: "0003_idempotency_holder.sql" }]);
  });

  it("has no column, in any table, named for personal data", async () => {
    const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
    expect(tables.length).toBeGreaterThan(8);
    const personal = /email(?!_stale)|birth|street|postal|phone|given_name|family_name|tax_id(?!_last4)|routing|bank_account_number|ssn|document_content/;
    for (const { name } of tables) for (const column of await columns(name)) expect(`${name}.${column.name}`).not.toMatch(personal);
  });

  it("holds at most a tax id's last 4 digits: a whole tax id, or anything but 4 digits, is refused", async () => {
    const insert = (last4: string) =>
      env.DB.prepare("INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?, 'PENDING', ?, ?, ?)").bind(crypto.randomUUID(), last4, NOW, NOW).run();
    for (const value of ["666-55-4321", "666554321", "4321 ", "43a1", "321"]) await expect(insert(value)).rejects.toThrow(/CHECK constraint failed/);
    expect((await insert("4321")).success).toBe(true);
  });

  it("keeps broker account ids unique across users", async () => {
    const brokerId = crypto.randomUUID();
    const insert = env.DB.prepare(
      "INSERT INTO brokerage_accounts (sub, broker_account_id, status, created_at, updated_at) VALUES (?, ?, 'SUBMITTED', ?, ?)",
    );
    await insert.bind(crypto.randomUUID(), brokerId, NOW, NOW).run();
    await expect(insert.bind(crypto.randomUUID(), brokerId, NOW, NOW).run()).rejects.toThrow(/UNIQUE constraint failed: brokerage_accounts.broker_account_id/);
  });

  it("cannot hold two success rows (ok or recovered) for one request id; failures and replays are not limited", async () => {
    const requestId = crypto.randomUUID();
    const row = (outcome: string) =>
      env.DB.prepare("INSERT INTO audit_events (sub, action, request_id, outcome, at) VALUES (?, 'transfer.create', ?, ?, ?)").bind(crypto.randomUUID(), requestId, outcome, NOW).run();
    await row("ok");
    await row("request_in_progress");
    await row("replayed");
    await expect(row("ok")).rejects.toThrow(/UNIQUE constraint failed/);
    await expect(row("recovered")).rejects.toThrow(/UNIQUE constraint failed/);
  });

  it("refuses to update or delete an audit row", async () => {
    const sub = crypto.randomUUID();
    const id = await auditRow(sub);
    await expect(env.DB.prepare("UPDATE audit_events SET outcome = 'changed' WHERE id = ?").bind(id).run()).rejects.toThrow(/audit_events is append-only/);
    await expect(env.DB.prepare("DELETE FROM audit_events WHERE id = ?").bind(id).run()).rejects.toThrow(/audit_events is append-only/);
    await expect(env.DB.prepare("DELETE FROM audit_events").run()).rejects.toThrow(/audit_events is append-only/);
    expect(await env.DB.prepare("SELECT outcome, amount FROM audit_events WHERE id = ?").bind(id).first()).toEqual({ outcome: "ok", amount: "100.00" });
  });

  it("lets exactly one of ten concurrent inserts claim a user's row", async () => {
    const sub = crypto.randomUUID();
    const claim = env.DB.prepare(
      "INSERT INTO brokerage_accounts (sub, status, created_at, updated_at) VALUES (?, 'PENDING', ?, ?) ON CONFLICT(sub) DO NOTHING",
    );
    const results = await Promise.all(Array.from({ length: 10 }, () => claim.bind(sub, NOW, NOW).run()));
    expect(results.map((result) => result.meta.changes).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(await env.DB.prepare("SELECT status, broker_account_id FROM brokerage_accounts WHERE sub = ?").bind(sub).first()).toEqual({
      status: "PENDING",
      broker_account_id: null,
    });
  });

  it("accepts only the two idempotency states", async () => {
    const insert = env.DB.prepare(
      "INSERT INTO idempotency_keys (sub, key, request_hash, state, created_at, expires_at) VALUES (?, 'k', 'h', ?, ?, ?)",
    );
    await insert.bind(crypto.randomUUID(), "in_progress", NOW, NOW).run();
    await expect(insert.bind(crypto.randomUUID(), "finished", NOW, NOW).run()).rejects.toThrow(/CHECK constraint failed/);
  });
});
