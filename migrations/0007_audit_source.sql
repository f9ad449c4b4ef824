-- Flows run from requests, the Broker API's events and the heal pass (issue 22): each audit row says
-- which. request_id keeps its meaning, the id of the invocation that acted (a request's, an event's, a
-- heal item's), so the one-success-per-id index of 0004 still holds for every source.
ALTER TABLE audit_events ADD COLUMN source TEXT NOT NULL DEFAULT 'request' CHECK (source IN ('request', 'broker_event', 'heal'));
