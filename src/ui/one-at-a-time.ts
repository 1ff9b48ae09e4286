/**
 * Calls of one kind made one at a time, the newest question winning: a question asked while a
 * call is on its way waits for it, and is never sent when a newer question came in meanwhile.
 * The same question asked again while its call is on its way shares that call's answer.
 */
export class OneAtATime<Answer> {
  #flight: { question: string; answer: Promise<Answer | null> } | null = null;
  #wanted: string | null = null;
  /** How many calls were sent (for tests and figures). */
  sent = 0;

  /**
   * Asks `question` with `send` once the call on its way (if any) has ended. Resolves with the
   * answer, or null when a newer question was wanted before this one's turn came (nothing sent).
   * `send` must not reject (the client's calls never do).
   */
  ask(question: string, send: () => Promise<Answer>): Promise<Answer | null> {
    this.#wanted = question;
    const before = this.#flight;
    if (before && before.question === question) return before.answer;
    const go = (): Promise<Answer> | null => {
      if (this.#wanted !== question) return null;
      this.sent += 1;
      return send();
    };
    // Nothing on its way: sent now. Else after the call on its way, if still wanted then.
    const answer: Promise<Answer | null> = before ? before.answer.then(go) : Promise.resolve(go());
    const mine = { question, answer };
    this.#flight = mine;
    void answer.then(() => {
      if (this.#flight === mine) this.#flight = null;
    });
    return answer;
  }
}
