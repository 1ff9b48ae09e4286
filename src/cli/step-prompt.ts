import { createInterface, type Interface } from 'node:readline/promises';
import { waitFor } from 'xstate';
import type { Engine, WorkerRef } from '../actors/engine.js';
import { pauseNow } from '../actors/pause-check.js';
import { lastAssistant, currentCall } from '../machines/transcript.js';
import type { BudgetStop, Command, PauseRef, ToolPreview } from '../protocol/index.js';
import { reviewerId } from '../machines/ticket.js';

function renderPreview(preview: ToolPreview | null): string {
  if (!preview) return '(no preview)';
  if (preview.kind === 'diff') return preview.diff;
  if (preview.kind === 'command') return `$ ${preview.argv.join(' ')}   (cwd ${preview.cwd}, timeout ${preview.timeout_ms} ms)`;
  return preview.text;
}

/** Why the human stopped answering: Ctrl-C, or the end of input (Ctrl-D, a closed pipe). */
export type StopReason = 'interrupt' | 'end_of_input' | 'no_plan';

type WorkerSnapshot = ReturnType<WorkerRef['getSnapshot']>;

/** The answers at each kind of pause, as the prompt lists them and "not understood" repeats them. */
const choices = {
  approval: [
    ['a', 'approve'],
    ['e', 'edit payload'],
    ['m', 'memory: edit last message'],
    ['x', 'abort'],
  ],
  review: [
    ['a', 'approve'],
    ['e', 'edit result'],
    ['m', 'memory: edit last message'],
    ['x', 'abort'],
  ],
  interrupted: [
    ['r', 're-run'],
    ['u', 'use this output (empty)'],
    ['x', 'abort'],
  ],
  budget: [
    ['r', 'raise budget'],
    ['x', 'abort'],
  ],
} as const;

/** What a raise offers first: twice the limit that was reached (or twice the spend, if that is more). */
export function suggestedRaise(stop: BudgetStop): number {
  if (stop.reached === 'tokens') return Math.max(2 * (stop.limits.max_tokens ?? 0), 2 * stop.spent.tokens, 1);
  const doubled = Math.max(2 * (stop.limits.max_cost ?? 0), 2 * (stop.spent.cost_usd ?? 0));
  // Up to the next cent, of the amount rounded first so that 2 × $0.07 stays $0.14.
  return Math.ceil(Math.round(doubled * 1e6) / 1e4) / 100 || 1;
}

/** `[a]pprove  [e]dit payload  ...`: the key in brackets where the word starts with it. */
function promptOf(kind: PauseRef['kind']): string {
  const shown = choices[kind].map(([key, word]) => (word.startsWith(key) ? `[${key}]${word.slice(key.length)}` : `[${key}] ${word}`));
  return `${shown.join('  ')} > `;
}

function notUnderstood(kind: PauseRef['kind'], answer: string): string {
  const listed = choices[kind].map(([key, word]) => `${key} (${word})`).join(', ');
  return `  not understood: ${answer === '' ? '(an empty answer)' : JSON.stringify(answer)}; answer one of ${listed}`;
}

/**
 * Answers pauses on a terminal, one at a time, while the engine keeps running the other workers.
 * Step mode only reaches the human here; nothing in the engine waits on this code. Every command
 * names the pause it answers, the one shown, so an answer the pause has moved past (another
 * client answered first) is refused by the engine, and the refusal is printed.
 */
export class StepPrompter {
  readonly #engine: Engine;
  readonly #queue: string[] = [];
  readonly #readline: Interface;
  readonly #output: NodeJS.WritableStream;
  #busy = false;
  #closed = false;

  /** onStop: Ctrl-C (a terminal's ^C, not a signal: readline reads it in raw mode) or the end of input. */
  constructor(engine: Engine, input: NodeJS.ReadableStream, output: NodeJS.WritableStream, onStop: (reason: StopReason) => void = () => {}) {
    this.#engine = engine;
    this.#readline = createInterface({ input, output });
    this.#output = output;
    // With a listener, readline hands ^C to it instead of rejecting the pending question.
    this.#readline.on('SIGINT', () => onStop('interrupt'));
    this.#readline.on('close', () => {
      if (!this.#closed) onStop('end_of_input');
      this.#closed = true;
    });
  }

  paused(ticketId: string): void {
    if (this.#closed) return;
    if (!this.#queue.includes(ticketId)) this.#queue.push(ticketId);
    void this.#drain();
  }

  close(): void {
    this.#closed = true;
    this.#readline.close();
  }

  /** A question of the caller's on the same terminal (plan approval); undefined once input is over. */
  question(text: string): Promise<string | undefined> {
    return this.#ask(text);
  }

  /** Waits until no pause is being answered (the plan is asked about only then). */
  get busy(): boolean {
    return this.#busy;
  }

  /** The answer, or undefined once input is over: then no command is sent. */
  async #ask(question: string): Promise<string | undefined> {
    if (this.#closed) return undefined;
    try {
      return await this.#readline.question(question);
    } catch (error) {
      // ^C or ^D while a question waits (readline rejects it), or a question after the close.
      if (this.#closed || (error as Error).name === 'AbortError') return undefined;
      throw error;
    }
  }

  #write(text: string): void {
    this.#output.write(`${text}\n`);
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let ticketId = this.#queue.shift(); ticketId && !this.#closed; ticketId = this.#queue.shift()) {
        // The ticket's worker, or its reviewer while its change is under review (a paused ticket has one of them).
        const worker = this.#engine.worker(ticketId) ?? this.#engine.worker(reviewerId(ticketId));
        if (worker) await this.#answer(worker.getSnapshot().context.settings.ticketId, worker);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Sends a pause command; true when the engine took it, else the refusal is printed. */
  #send(ticketId: string, command: Command): boolean {
    const sent = this.#engine.send({ kind: 'worker', id: ticketId }, command);
    if (!sent.ok) this.#write(`  refused: ${sent.error}`);
    return sent.ok;
  }

  async #answer(ticketId: string, worker: WorkerRef): Promise<void> {
    let shown: string | undefined;
    while (!this.#closed) {
      const snapshot = await waitFor(worker, (state) =>
        state.status !== 'active' ||
        state.matches({ toolCycle: { awaitingApproval: 'ready' } }) ||
        state.matches({ toolCycle: 'reviewingResult' }) ||
        !state.matches({ toolCycle: 'awaitingApproval' }),
      );
      const pause = pauseNow(snapshot);
      if (!pause) return;
      if (pause.kind === 'interrupted') {
        // Asked again only if the answer was refused and the same pause still waits.
        if (!(await this.#answerInterrupted(ticketId, snapshot, pause))) return;
        continue;
      }
      if (pause.kind === 'budget') {
        if (!(await this.#answerBudget(ticketId, snapshot, pause))) return;
        continue;
      }
      // Shown again only when it changed (an accepted edit makes a new preview), never to repeat an old refusal.
      const key = `${pause.kind}:${pause.tool_use_id}:${JSON.stringify(snapshot.context.preview)}:${snapshot.context.review?.content ?? ''}`;
      if (key !== shown) this.#show(ticketId, snapshot, pause);
      shown = key;
      const answer = await this.#ask(promptOf(pause.kind));
      if (answer === undefined) return;
      const choice = answer.trim().toLowerCase();
      if (choice === 'a') {
        if (this.#send(ticketId, { type: 'clutch.approve', pause })) return;
      } else if (choice === 'x') {
        const reason = await this.#ask('reason (optional) > ');
        if (reason === undefined) return;
        if (this.#send(ticketId, { type: 'clutch.abort', pause, ...(reason.trim() ? { reason: reason.trim() } : {}) })) return;
      } else if (choice === 'e' || choice === 'm') {
        if (!(await this.#edit(ticketId, worker, snapshot, pause, choice))) return;
      } else {
        this.#write(notUnderstood(pause.kind, answer.trim()));
      }
    }
  }

  #show(ticketId: string, snapshot: WorkerSnapshot, pause: PauseRef): void {
    const { context } = snapshot;
    if (pause.kind === 'approval') {
      const call = currentCall(context.messages, context.results, context.review);
      this.#write(`\n── ${ticketId} · pause 1 (approval) · ${call ? `${call.name} ${JSON.stringify(call.input)}` : ''}`);
      this.#write(renderPreview(context.preview));
    } else if (context.review) {
      this.#write(`\n── ${ticketId} · pause 2 (review) · result${context.review.is_error ? ' (error)' : ''}`);
      this.#write(context.review.content);
    }
  }

  /**
   * An edit of the payload, the result or the model's last message. A refused edit says why, once:
   * the reason is the one of this edit's own record, not whatever refusal the worker still holds.
   * False once input is over.
   */
  async #edit(ticketId: string, worker: WorkerRef, snapshot: WorkerSnapshot, pause: PauseRef, choice: 'e' | 'm'): Promise<boolean> {
    const { context } = snapshot;
    let command: Command;
    if (choice === 'm') {
      this.#write(JSON.stringify(lastAssistant(context.messages)));
      const message = await this.#ask('new last message (JSON, one line) > ');
      if (message === undefined) return false;
      command = { type: 'clutch.edit_message', pause, message };
    } else if (pause.kind === 'approval') {
      const input = await this.#ask('new payload (JSON, one line) > ');
      if (input === undefined) return false;
      command = { type: 'clutch.edit_payload', pause, input };
    } else {
      const output = await this.#ask('new result (one line) > ');
      if (output === undefined) return false;
      command = { type: 'clutch.edit_result', pause, output };
    }
    const before = worker.getSnapshot().context.edits.at(-1);
    if (!this.#send(ticketId, command)) return true;
    const record = worker.getSnapshot().context.edits.at(-1);
    if (record && record !== before && !record.accepted) this.#write(`  refused: ${record.reason ?? 'the edit was not accepted'}`);
    return true;
  }

  /**
   * A spent budget: raise the limit that was reached (Enter takes twice the old one, or twice the
   * spend), or abort, which blocks the ticket with the spend as its reason. False once input is over.
   */
  async #answerBudget(ticketId: string, snapshot: WorkerSnapshot, pause: PauseRef): Promise<boolean> {
    const stop = snapshot.context.budget.stop!;
    this.#write(`\n── ${ticketId} · budget pause · ${stop.reason}`);
    for (;;) {
      const answer = await this.#ask(promptOf('budget'));
      if (answer === undefined) return false;
      const choice = answer.trim().toLowerCase();
      if (choice === 'x') {
        this.#send(ticketId, { type: 'clutch.abort', pause });
        return true;
      }
      if (choice !== 'r') {
        this.#write(notUnderstood('budget', answer.trim()));
        continue;
      }
      const tokens = stop.reached === 'tokens';
      const suggested = suggestedRaise(stop);
      const what = tokens ? 'max_tokens' : 'max_cost (US dollars)';
      const given = await this.#ask(`new ${what} (Enter: ${suggested}) > `);
      if (given === undefined) return false;
      const value = given.trim() === '' ? suggested : Number(given.trim().replace(/^\$/, '').replace(/,/g, ''));
      if (!Number.isFinite(value) || value <= 0 || (tokens && !Number.isInteger(value))) {
        this.#write(`  not understood: ${JSON.stringify(given.trim())}; answer ${tokens ? 'a whole number of tokens' : 'a number of dollars'}, or Enter`);
        continue;
      }
      this.#send(ticketId, { type: 'clutch.raise_budget', pause, ...(tokens ? { max_tokens: value } : { max_cost: value }) });
      return true;
    }
  }

  /** A command cut short by a crash: never run again without an answer from here. False once input is over. */
  async #answerInterrupted(ticketId: string, snapshot: WorkerSnapshot, pause: PauseRef): Promise<boolean> {
    const { context } = snapshot;
    const call = currentCall(context.messages, context.results, context.review);
    this.#write(`\n── ${ticketId} · interrupted: this command may have run in part · ${call ? `${call.name} ${JSON.stringify(call.input)}` : ''}`);
    for (;;) {
      const answer = await this.#ask(promptOf('interrupted'));
      if (answer === undefined) return false;
      const choice = answer.trim().toLowerCase();
      const command: Command | undefined =
        choice === 'r'
          ? { type: 'clutch.rerun', pause }
          : choice === 'u'
            ? { type: 'clutch.use_output', pause }
            : choice === 'x'
              ? { type: 'clutch.abort', pause, reason: 'interrupted command not re-run' }
              : undefined;
      if (!command) {
        this.#write(notUnderstood('interrupted', answer.trim()));
        continue;
      }
      this.#send(ticketId, command);
      return true;
    }
  }
}
