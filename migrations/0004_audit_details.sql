-- Audit rows say what happened, and their ids are the server's (issue 21, items 1 and 8).
-- request_id is now a UUID the server makes for every request; a client's well-formed X-Request-Id
-- is kept beside it as correlation_id, and keys nothing.
ALTER TABLE audit_events ADD COLUMN correlation_id TEXT;
-- Transfers: INCOMING or OUTGOING, and the bank link moved from or to.
ALTER TABLE audit_events ADD COLUMN direction TEXT;
ALTER TABLE audit_events ADD COLUMN bank_link_id TEXT;
-- Orders: buy or sell, the quantity (a notional is in amount), market/limit/stop/stop_limit.
ALTER TABLE audit_events ADD COLUMN side TEXT;
ALTER TABLE audit_events ADD COLUMN qty TEXT;
ALTER TABLE audit_events ADD COLUMN order_type TEXT;
-- The Broker API's id of the object acted on (transfer, order, bank link), once known.
ALTER TABLE audit_events ADD COLUMN object_id TEXT;

-- One request succeeds once: two 'ok' (or 'recovered') rows with one request id cannot be written.
-- (Before this migration a client could choose the request id: an older database with such duplicates
-- must be looked at by hand, `SELECT request_id FROM audit_events WHERE outcome IN ('ok','recovered')
-- GROUP BY request_id HAVING count(*) > 1`, before it is migrated.)
CREATE UNIQUE INDEX audit_events_one_success_per_request ON audit_events (request_id) WHERE outcome IN ('ok', 'recovered');
