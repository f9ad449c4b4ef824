-- Who holds an idempotency key's claim, and until when (issue 18). A claim whose request ended
-- without an answer (a Broker API timeout, a crash) lapses at held_until, or at once when the request
-- saw the timeout itself; the next request with the key then takes it over, and reconciles with the
-- Broker API before it calls again (the first try's outcome is unknown).
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT;
ALTER TABLE idempotency_keys ADD COLUMN held_until TEXT;
