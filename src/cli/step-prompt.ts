import { createInterface, type Interface } from 'node:readline/promises';
import { waitFor } from 'xstate';
import type { Engine, WorkerRef } from '../actors/engine.js';
import { lastAssistant, currentCall } from '../machines/transcript.js';
import type { ToolPreview } from '../protocol/index.js';
import type { WorkerContext } from '../machines/worker-types.js';

function renderPreview(preview: ToolPreview | null): string {
  if (!preview) return '(no preview)';
  if (preview.kind === 'diff') return preview.diff;
  if (preview.kind === 'command') return `$ ${preview.argv.join(' ')}   (cwd ${preview.cwd}, timeout ${preview.timeout_ms} ms)`;
  return preview.text;
}

/**
 * Answers pauses on a terminal, one at a time, while the engine keeps running the other workers.
 * Step mode only reaches the human here; nothing in the engine waits on this code.
 */
export class StepPrompter {
  readonly #engine: Engine;
  readonly #queue: string[] = [];
  readonly #readline: Interface;
  readonly #output: NodeJS.WritableStream;
  #busy = false;

  constructor(engine: Engine, input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
    this.#engine = engine;
    this.#readline = createInterface({ input, output });
    this.#output = output;
  }

  paused(ticketId: string): void {
    if (!this.#queue.includes(ticketId)) this.#queue.push(ticketId);
    void this.#drain();
  }

  close(): void {
    this.#readline.close();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let ticketId = this.#queue.shift(); ticketId; ticketId = this.#queue.shift()) {
        const worker = this.#engine.worker(ticketId);
        if (worker) await this.#answer(ticketId, worker);
      }
    } finally {
      this.#busy = false;
    }
  }

  async #answer(ticketId: string, worker: WorkerRef): Promise<void> {
    for (;;) {
      const snapshot = await waitFor(worker, (state) =>
        state.status !== 'active' ||
        state.matches({ toolCycle: { awaitingApproval: 'ready' } }) ||
        state.matches({ toolCycle: 'reviewingResult' }) ||
        !(state.matches({ toolCycle: 'awaitingApproval' })),
      );
      const atApproval = snapshot.matches({ toolCycle: { awaitingApproval: 'ready' } });
      const atReview = snapshot.matches({ toolCycle: 'reviewingResult' });
      const write = (text: string) => this.#output.write(`${text}\n`);
      if (snapshot.status === 'active' && snapshot.matches({ toolCycle: 'interrupted' })) {
        await this.#answerInterrupted(ticketId, snapshot.context, write);
        return;
      }
      if (!atApproval && !atReview) return;
      const { context } = snapshot;
      const call = atApproval ? currentCall(context.messages, context.results, context.review) : undefined;
      if (context.refusal) write(`  refused: ${context.refusal}`);
      if (atApproval && call) {
        write(`\n── ${ticketId} · pause 1 (approval) · ${call.name} ${JSON.stringify(call.input)}`);
        write(renderPreview(context.preview));
      } else if (context.review) {
        write(`\n── ${ticketId} · pause 2 (review) · result${context.review.is_error ? ' (error)' : ''}`);
        write(context.review.content);
      }
      const choices = atApproval ? '[a]pprove  [e]dit payload  [m]emory: edit last message  [x] abort' : '[a]pprove  [e]dit result  [m]emory: edit last message  [x] abort';
      const answer = (await this.#readline.question(`${choices} > `)).trim().toLowerCase();
      if (answer === 'a') {
        this.#engine.command({ kind: 'worker', id: ticketId }, { type: 'clutch.approve' });
        return;
      }
      if (answer === 'x') {
        const reason = await this.#readline.question('reason (optional) > ');
        this.#engine.command({ kind: 'worker', id: ticketId }, { type: 'clutch.abort', ...(reason.trim() ? { reason: reason.trim() } : {}) });
        return;
      }
      if (answer === 'e' && atApproval) {
        const payload = await this.#readline.question('new payload (JSON, one line) > ');
        this.#engine.command({ kind: 'worker', id: ticketId }, { type: 'clutch.edit_payload', input: payload });
      } else if (answer === 'e') {
        const output = await this.#readline.question('new result (one line) > ');
        this.#engine.command({ kind: 'worker', id: ticketId }, { type: 'clutch.edit_result', output });
      } else if (answer === 'm') {
        write(JSON.stringify(lastAssistant(context.messages)));
        const message = await this.#readline.question('new last message (JSON, one line) > ');
        this.#engine.command({ kind: 'worker', id: ticketId }, { type: 'clutch.edit_message', message });
      }
      // Loop: show the pause again (with any refusal) until it is approved or aborted.
    }
  }

  /** A command cut short by a crash: never run again without an answer from here. */
  async #answerInterrupted(ticketId: string, context: WorkerContext, write: (text: string) => void): Promise<void> {
    const call = currentCall(context.messages, context.results, context.review);
    write(`\n── ${ticketId} · interrupted: this command may have run in part · ${call ? `${call.name} ${JSON.stringify(call.input)}` : ''}`);
    for (;;) {
      const answer = (await this.#readline.question('[r]e-run  [u]se this output (empty)  [x] abort > ')).trim().toLowerCase();
      const target = { kind: 'worker' as const, id: ticketId };
      if (answer === 'r') return void this.#engine.command(target, { type: 'clutch.rerun' });
      if (answer === 'u') return void this.#engine.command(target, { type: 'clutch.use_output' });
      if (answer === 'x') return void this.#engine.command(target, { type: 'clutch.abort', reason: 'interrupted command not re-run' });
    }
  }
}
