-- One-use tickets for the live stream (issue 23): EventSource cannot send an Authorization header, so
-- POST /platform/accounts/me/events/ticket gives a ticket for GET /platform/accounts/me/events?ticket=.
-- Never the ticket: its SHA-256, so that a read of this table opens no stream. A ticket is good for 60 s
-- (expires_at) and once (its row is deleted as it is used); the stream it opens ends when the access
-- token that asked for it expires (token_expires_at). Times in ms since the epoch.
CREATE TABLE event_stream_tickets (
  ticket_hash TEXT PRIMARY KEY,
  sub TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  token_expires_at INTEGER NOT NULL
);
CREATE INDEX event_stream_tickets_by_sub ON event_stream_tickets (sub, expires_at);
