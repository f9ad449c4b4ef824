-- Issue 21. Two kinds of bookkeeping that let a best-effort upstream call be retried later; neither
-- holds an email, a bank number or a readable Plaid token.

-- Set when the user's verified email changed and the Broker API's contact may still hold the old
-- one: the next account view sends the address Cognito has (never kept here) and clears it.
ALTER TABLE brokerage_accounts ADD COLUMN broker_email_stale INTEGER NOT NULL DEFAULT 0 CHECK (broker_email_stale IN (0, 1));

-- The Plaid Items this API made (one per Plaid bank link), so that each is removed (/item/remove)
-- when its link fails or is deleted, and a removal that failed is tried again. Plaid removes an Item
-- only by its access token: the token is kept sealed (AES-GCM under a key derived from PLAID_SECRET,
-- which never reaches D1), so this table alone gives no access to anyone's bank.
CREATE TABLE plaid_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id TEXT NOT NULL,
  sub TEXT NOT NULL,
  -- The Broker API's ACH relationship made from it; NULL until the link is made (or when it failed).
  bank_link_id TEXT,
  sealed_access_token TEXT NOT NULL,
  -- 'linking' while the link is being made, 'linked' once it is, 'remove' while its removal is owed.
  state TEXT NOT NULL CHECK (state IN ('linking', 'linked', 'remove')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE INDEX plaid_items_sub_state ON plaid_items (sub, state);
