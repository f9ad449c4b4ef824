-- Brokerage accounts, the audit trail and idempotency keys (issues 17 and 18). The Broker API stays
-- the system of record for personal data: nothing here is an email, tax id, date of birth, address,
-- phone or bank number. Times are ISO 8601 text (UTC), amounts decimal text.

-- One row per Cognito user. Written before the Broker API call (status 'PENDING', no broker id), so
-- that of concurrent opening requests exactly one wins the primary key; completed when it answers.
CREATE TABLE brokerage_accounts (
  sub TEXT PRIMARY KEY,
  broker_account_id TEXT UNIQUE,
  account_number TEXT,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Who did what, when, and how it ended. Never changed or removed once written.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sub TEXT NOT NULL,
  action TEXT NOT NULL,
  request_id TEXT NOT NULL,
  idempotency_key TEXT,
  outcome TEXT NOT NULL,
  amount TEXT,
  symbol TEXT,
  at TEXT NOT NULL
);

-- A user's own rows, newest first, by cursor (the id).
CREATE INDEX audit_events_sub_id ON audit_events (sub, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Idempotency-Key per user: claimed ('in_progress') before the Broker API call, the answer stored
-- when it is 'done', so that a retry replays it. Kept until expires_at (at least 24 hours).
CREATE TABLE idempotency_keys (
  sub TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  response_status INTEGER,
  response_body TEXT,
  resource_id TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (sub, key)
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
