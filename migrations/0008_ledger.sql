-- Issue 23: D1 follows the Broker API. Its events are kept (the fields we use, never a name, an
-- address, a tax id or KYC text), and every order, transfer and bank link of a user is kept, from our
-- creates and then from events, so that the reads answer from here. Times are ISO 8601 text (UTC),
-- amounts decimal text.

-- One row per Broker event seen, keyed by its stream and id (accounts: event_ulid; v2: event_id):
-- an event is applied in the batch that inserts it, so a replay finds its row and does nothing.
CREATE TABLE broker_events (
  stream TEXT NOT NULL CHECK (stream IN ('accounts', 'trades', 'funding')),
  id TEXT NOT NULL,
  -- The account's owner; NULL for an account we do not hold.
  sub TEXT,
  -- As sent: the trade event ('fill', ...), the funding entity_type, or 'account_status'.
  type TEXT NOT NULL,
  object_id TEXT,
  -- The status it carried, as sent (unknown ones too).
  status TEXT,
  -- 'applied' (a row changed), 'kept' (stored; nothing to change), 'not_ours'.
  outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'kept', 'not_ours')),
  -- The Broker's time of the event.
  at TEXT,
  received_at TEXT NOT NULL,
  -- The owner's notice of this event: 'owed' when applied, 'sent' once claimed (never twice).
  notice TEXT CHECK (notice IS NULL OR notice IN ('owed', 'sent')),
  PRIMARY KEY (stream, id)
);

CREATE INDEX broker_events_received ON broker_events (received_at);

-- Every order of a user. `view` is the JSON GET answers (OrderResponse); the columns beside it are
-- what the lists, the forward-only rule and the heal pass read.
CREATE TABLE orders (
  id TEXT NOT NULL,
  sub TEXT NOT NULL,
  status TEXT NOT NULL,
  -- 1 until the order is filled, canceled, expired, rejected or replaced.
  open INTEGER NOT NULL CHECK (open IN (0, 1)),
  filled_qty TEXT,
  filled_avg_price TEXT,
  filled_at TEXT,
  canceled_at TEXT,
  replaces TEXT,
  replaced_by TEXT,
  -- 1 once the user asked for it to be canceled: a cancellation that follows is theirs, not the Broker's.
  cancel_asked INTEGER NOT NULL DEFAULT 0 CHECK (cancel_asked IN (0, 1)),
  created_at TEXT NOT NULL,
  view TEXT NOT NULL,
  -- The Broker's time of the last change applied.
  event_at TEXT,
  -- When D1 last heard of the order (a create, an event, the heal pass): the heal pass asks after the silent ones.
  heard_at TEXT NOT NULL,
  -- Bumped by every write: a write made from a read of version n applies only while it is still n.
  version INTEGER NOT NULL DEFAULT 0,
  -- Keyed under its owner, as every read and write finds it: an id is never looked up across users.
  PRIMARY KEY (sub, id)
);

CREATE INDEX orders_sub_created ON orders (sub, created_at, id);
CREATE INDEX orders_heard ON orders (heard_at);

-- Every ACH transfer of a user: what TransferResponse answers, and the Broker's reason.
CREATE TABLE transfers (
  id TEXT NOT NULL,
  sub TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  amount TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('INCOMING', 'OUTGOING')),
  created_at TEXT NOT NULL,
  event_at TEXT,
  heard_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sub, id)
);

CREATE INDEX transfers_sub_created ON transfers (sub, created_at, id);
CREATE INDEX transfers_heard ON transfers (heard_at);

-- Every bank link (ACH relationship) of a user: what BankLinkResponse answers (the last 4 digits,
-- never the number or the routing number), and the Broker's reason.
CREATE TABLE bank_links (
  id TEXT NOT NULL,
  sub TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  nickname TEXT,
  bank_account_type TEXT,
  account_number_last4 TEXT CHECK (account_number_last4 IS NULL OR length(account_number_last4) <= 4),
  created_at TEXT NOT NULL,
  -- 1 once the user deleted it: no list shows it again.
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  event_at TEXT,
  heard_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sub, id)
);

CREATE INDEX bank_links_sub_created ON bank_links (sub, created_at, id);
CREATE INDEX bank_links_heard ON bank_links (heard_at);

-- Each change applied to a user's order, transfer, bank link or account, numbered: the live stream's
-- `id:`, and what Last-Event-ID resumes after (the body is read from the object's row).
CREATE TABLE ledger_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sub TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('order', 'transfer', 'bank_link', 'account')),
  object_id TEXT NOT NULL,
  at TEXT NOT NULL
);

CREATE INDEX ledger_changes_sub_seq ON ledger_changes (sub, seq);

-- The account's blocked flags as the events last said, and the Broker's time of the status D1 holds.
ALTER TABLE brokerage_accounts ADD COLUMN account_blocked INTEGER CHECK (account_blocked IS NULL OR account_blocked IN (0, 1));
ALTER TABLE brokerage_accounts ADD COLUMN trading_blocked INTEGER CHECK (trading_blocked IS NULL OR trading_blocked IN (0, 1));
ALTER TABLE brokerage_accounts ADD COLUMN status_at TEXT;
ALTER TABLE brokerage_accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Whether D1 holds the account's orders, transfers and bank links. An account opened from now on
-- has none at the Broker yet (1); one opened before this migration (0) has them filled from the
-- Broker API once, by its first read of each.
ALTER TABLE brokerage_accounts ADD COLUMN orders_filled INTEGER NOT NULL DEFAULT 1 CHECK (orders_filled IN (0, 1));
ALTER TABLE brokerage_accounts ADD COLUMN transfers_filled INTEGER NOT NULL DEFAULT 1 CHECK (transfers_filled IN (0, 1));
ALTER TABLE brokerage_accounts ADD COLUMN bank_links_filled INTEGER NOT NULL DEFAULT 1 CHECK (bank_links_filled IN (0, 1));
UPDATE brokerage_accounts SET orders_filled = 0, transfers_filled = 0, bank_links_filled = 0;

-- What an event or the heal pass made the object's status, in its audit row.
ALTER TABLE audit_events ADD COLUMN status TEXT;
