-- Issue 24 (items 3 and 8). The Broker API's asset list, as the daily sync last saw it, and the
-- users' watchlists. No personal data: symbols, names of companies, names a user gave a list.

-- One row per symbol of GET /v1/assets (active US equities). A symbol the last sync no longer listed
-- is kept, inactive and untradable, so that an order for it reads "not tradable", not "unknown".
CREATE TABLE assets (
  symbol TEXT PRIMARY KEY,
  -- The Broker API's asset id.
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  class TEXT NOT NULL,
  exchange TEXT NOT NULL,
  status TEXT NOT NULL,
  tradable INTEGER NOT NULL CHECK (tradable IN (0, 1)),
  fractionable INTEGER NOT NULL CHECK (fractionable IN (0, 1)),
  shortable INTEGER NOT NULL CHECK (shortable IN (0, 1)),
  marginable INTEGER NOT NULL CHECK (marginable IN (0, 1)),
  -- The sync that last listed it.
  synced_at TEXT NOT NULL
);

-- The sync's one row: when the list was last loaded whole (NULL: never, the table is to be filled on
-- first use), and who is loading it now, until when (a lease, stores/lease.ts: one load at a time,
-- whether a Cron Trigger or a first request started it, so a burst of first requests makes one call).
CREATE TABLE asset_sync (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  synced_at TEXT,
  holder TEXT,
  held_until TEXT
);
INSERT INTO asset_sync (id) VALUES (1);

-- A user's watchlists (by the token's `sub`: no route takes a user or account id); names unique per
-- user, whatever their case.
CREATE TABLE watchlists (
  id TEXT PRIMARY KEY,
  sub TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX watchlists_sub_name ON watchlists (sub, name COLLATE NOCASE);

-- Its symbols, in the order they were added; each was an asset when added. Removed before their list.
CREATE TABLE watchlist_symbols (
  watchlist_id TEXT NOT NULL REFERENCES watchlists (id),
  symbol TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (watchlist_id, symbol)
);
