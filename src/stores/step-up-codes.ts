// step_up_codes: every statement on the table. A row is a code a step up accepted (its MAC, never the
// code), kept while Cognito could still accept it.
export class StepUpCodeStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /**
   * In one batch, the user's rows from before `keepFrom` go, then the code's row is inserted unless
   * there is one. D1 runs a batch as one transaction and the primary key lets one insert win, so of
   * two concurrent requests with one code exactly one gets true.
   */
  async accept(sub: string, codeMac: string, step: number, keepFrom: number): Promise<boolean> {
    const [, inserted] = await this.#db.batch([
      this.#db.prepare("DELETE FROM step_up_codes WHERE sub = ? AND time_step < ?").bind(sub, keepFrom),
      this.#db.prepare("INSERT INTO step_up_codes (sub, code_mac, time_step) VALUES (?, ?, ?) ON CONFLICT (sub, code_mac) DO NOTHING RETURNING time_step").bind(sub, codeMac, step),
    ]);
    return inserted!.results.length === 1;
  }
}
