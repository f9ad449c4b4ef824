// event_stream_tickets: every statement on the table. A row is an unused ticket for the live stream,
// by its SHA-256 (never the ticket), with its user and when it and their access token expire.
export interface StreamTicket {
  sub: string;
  expiresAt: number;
  tokenExpiresAt: number;
}

export class EventStreamTicketStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** In one batch: the user's expired tickets go, the new one is kept. */
  async issue(ticketHash: string, ticket: StreamTicket, now: number): Promise<void> {
    await this.#db.batch([
      this.#db.prepare("DELETE FROM event_stream_tickets WHERE sub = ? AND expires_at <= ?").bind(ticket.sub, now),
      this.#db.prepare("INSERT INTO event_stream_tickets (ticket_hash, sub, expires_at, token_expires_at) VALUES (?, ?, ?, ?)").bind(ticketHash, ticket.sub, ticket.expiresAt, ticket.tokenExpiresAt),
    ]);
  }

  /**
   * The ticket's row, deleted in the same statement: of two requests with one ticket, exactly one gets
   * it. Expired or not: the caller checks the time, and an expired ticket is gone either way.
   */
  async take(ticketHash: string): Promise<StreamTicket | undefined> {
    const row = await this.#db
      .prepare("DELETE FROM event_stream_tickets WHERE ticket_hash = ? RETURNING sub, expires_at, token_expires_at")
      .bind(ticketHash)
      .first<{ sub: string; expires_at: number; token_expires_at: number }>();
    return row ? { sub: row.sub, expiresAt: row.expires_at, tokenExpiresAt: row.token_expires_at } : undefined;
  }
}
