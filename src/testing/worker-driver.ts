/**
 * Runs one abstract worker path on the real engine: a one-ticket track whose worker is the
 * subject. Each abstract event becomes what really causes it: a human command through
 * `engine.command`, a model turn released (the scripted reply the path asked for, a delta, a
 * failure), a backoff wait ended, a fault injected where the preview, the tool run or the model
 * turn starts, or, for the I/O actors' own ends, nothing but waiting for them.
 *
 * The engine runs on a run store (in memory), as a real run does. A command the path finds
 * interrupted (`TOOL_DONE` with `interrupted`) is what a crash leaves behind: before the run
 * starts, the store's ledger is given an intent without a result for that call, and the engine's
 * own runToolOnce finds it there and stops the worker at the interrupted pause.
 *
 * A path with a budget (its configuration's `limit`) runs with that budget in the real config: the
 * archetype's max_tokens_per_ticket of one token, or [execution] max_cost_per_run of a tenth of a
 * cent on a priced profile, with a second ticket (OTHER) whose worker waits on the same run budget.
 * Every turn that replies spends it, and the engine's own budget check stops the next turn at the
 * budget pause (`model.over_budget`). A raise is the human's, through the engine, just above the
 * spend; `worker.budget_raised` is OTHER's worker stopped on the run budget and raised there.
 */
import { isDeepStrictEqual } from 'node:util';
import { currentCall, lastAssistant } from '../machines/transcript.js';
import type { WorkerContext } from '../machines/worker-types.js';
import type { AssistantMessage, ToolUseBlock } from '../protocol/index.js';
import { ticket } from './fixtures.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { assistant, payloadFor, QA_REPLY, scriptedCall, Session, text, toolUse } from './session.js';
import {
  BACKOFF_DONE,
  BACKOFF_ERROR,
  MODEL_ERROR,
  PREVIEW_DONE,
  PREVIEW_ERROR,
  QA_DONE,
  QA_ERROR,
  TOOL_DONE,
  TOOL_ERROR,
  WORKER_MAX_TURNS,
  type WorkerModelContext,
  type WorkerModelEvent,
} from './worker.js';
import { workerKey } from '../protocol/actor-keys.js';
import { reviewerId } from '../machines/ticket.js';
import { pauseNow } from '../actors/pause-check.js';

const TICKET = 'T1';
/** The transition that ends a reviewer on its verdict (a finishing call the tool accepted). */
const FINISHED = `worker.toolCycle.executing ${TOOL_DONE}[1]`;
/** In the rate-limited run, the ticket whose model turn holds the profile's only slot. */
const HOLDER = 'H0';
const FINAL = ['completed', 'aborted', 'failed'];
/** The ticket's first (and, in a worker path, only) attempt. */
const ATTEMPT = 1;
/** In a run with a run budget, the other ticket, whose worker stops on it too: a raise at its pause lifts the subject's. */
const OTHER = 'R0';
/** The run budget: a tenth of a cent, which one token (at a dollar per thousand) spends. */
const RUN_BUDGET = 0.001;
/** How a budget pause's reason reads (budgets.ts words it; written again here): a ticket's tokens, the run's cost. */
const SPEND: Record<'ticket' | 'run', RegExp> = {
  ticket: new RegExp(`^${TICKET} spent [\\d,]+ tokens \\(\\$\\d+\\.\\d+\\) of its budget of [\\d,]+ tokens \\(max_tokens_per_ticket of \\[agents\\.codegen\\]\\)$`),
  run: /^the run spent \$\d+\.\d+ \([\d,]+ tokens\) of its budget of \$\d+\.\d+ \(max_cost_per_run\)$/,
};

/** The scripted replies a path asks for, in order: the k-th `model.reply` is the script's k-th message. */
export function repliesOf(events: readonly WorkerModelEvent[]): AssistantMessage[] {
  return events.flatMap((event, index) => {
    if (event.type !== 'model.reply') return [];
    const turn = events.slice(0, index + 1).filter((earlier) => earlier.type === 'model.reply').length;
    const calls = event.calls.map((kind, position) => scriptedCall(kind, `r${turn}c${position}`));
    return [assistant(text(calls.length ? `Turn ${turn}: calling tools.` : `Turn ${turn}: thinking it over.`), ...calls)];
  });
}

/**
 * The calls a path finds interrupted: at each interrupted `TOOL_DONE`, the call the step before
 * was executing, the `done`-th of the `turns`-th scripted reply (an edited-in call is never a command).
 */
export function interruptedCalls(path: PlannedPath<WorkerModelContext, WorkerModelEvent>, replies: readonly AssistantMessage[]): ToolUseBlock[] {
  return path.steps.flatMap((step, index) => {
    if (step.event.type !== TOOL_DONE || !('interrupted' in step.event && step.event.interrupted)) return [];
    const before = path.steps[index - 1]!.context;
    const calls = (replies[before.turns - 1]?.content ?? []).filter((block): block is ToolUseBlock => block.type === 'tool_use');
    const call = calls[before.done];
    if (call?.name !== 'run_command' || before.calls[before.done] !== 'run') {
      throw new Error(`step ${index} of the plan finds a call interrupted, but the call executing then is ${JSON.stringify(call ?? null)}`);
    }
    return [call];
  });
}

export class WorkerDriver extends PathDriver<WorkerModelContext, WorkerModelEvent> {
  readonly session: Session;
  protected readonly actor: string;
  /** The worker under test: the ticket's own, or (role reviewer) the reviewer of the ticket's change. */
  readonly #id: string;
  readonly #role: WorkerModelContext['role'];
  /** Whether the path begins with a wait for a rate-limit slot, which the engine's limiter causes. */
  readonly #limited: boolean;
  readonly #limit: WorkerModelContext['limit'];
  /** Whether OTHER's one raise (its worker has one turn to spend before it) was given. */
  #otherRaised = false;
  #edits = 0;

  constructor(path: PlannedPath<WorkerModelContext, WorkerModelEvent>) {
    super(path);
    const events = path.steps.slice(1).map((step) => step.event as WorkerModelEvent);
    this.#limited = events[0]?.type === 'model.waiting';
    const replies = repliesOf(events);
    const { role, qa, limit } = path.steps[0]!.context;
    this.#role = role;
    this.#limit = limit;
    this.#id = role === 'reviewer' ? reviewerId(TICKET) : TICKET;
    this.actor = workerKey(this.#id);
    // A reviewer reviews once the ticket's own worker (in auto) has called task_complete.
    const own = role === 'reviewer' ? { [TICKET]: [[assistant(scriptedCall('done', 'own'))]], [this.#id]: [replies] } : { [TICKET]: [replies] };
    const other: Record<string, AssistantMessage[][]> = limit === 'run' ? { [OTHER]: [[assistant(text(`${OTHER}: a turn that spends the run's budget.`))]] } : {};
    // Rate-limited: one slot, and the holder (first in track order) takes it before the worker asks.
    this.session = new Session({
      tickets: this.#limited ? [ticket(HOLDER), ticket(TICKET)] : limit === 'run' ? [ticket(TICKET), ticket(OTHER)] : [ticket(TICKET)],
      replies: { ...own, ...(qa ? { [`${TICKET}@qa`]: [[QA_REPLY]] } : {}), ...(this.#limited ? { [HOLDER]: [] } : {}), ...other },
      trust: role === 'reviewer' ? 'auto' : 'step',
      maxTurns: WORKER_MAX_TURNS,
      store: true,
      ...(role === 'reviewer' ? { review: { trust: 'step' as const, maxRounds: 1 } } : {}),
      ...(qa ? { qa: { trust: qa } } : {}),
      ...(this.#limited ? { modelSlots: 1 } : {}),
      ...(limit === 'ticket' ? { budget: { maxTokensPerTicket: 1 } } : limit === 'run' ? { budget: { maxCostPerRun: RUN_BUDGET } } : {}),
    });
    // As if an earlier process committed the command's intent and died before its result.
    for (const call of interruptedCalls(path, replies)) {
      this.session.log!.recordIntent({ ticket: TICKET, attempt: ATTEMPT, toolUseId: call.id }, call.name, call.input, null);
    }
  }

  #worker() {
    const worker = this.session.engine.worker(this.#id);
    if (!worker) throw new Error('the worker is not running');
    return worker;
  }

  /**
   * The human's raise at a worker's budget pause, through the engine: the limit that was reached,
   * just above the spend (the pause's own figures), so that the next turn that replies spends it again.
   */
  #raise(id: string): void {
    const snapshot = this.session.engine.worker(id)?.getSnapshot();
    const stop = snapshot?.context.budget.stop;
    const pause = snapshot ? pauseNow(snapshot) : null;
    if (!stop || pause?.kind !== 'budget') throw new Error(`${id} is not at a budget pause to raise`);
    const limits = stop.reached === 'tokens' ? { max_tokens: stop.spent.tokens + 1 } : { max_cost: (stop.spent.cost_usd ?? 0) + RUN_BUDGET / 2 };
    const outcome = this.session.engine.send({ kind: 'worker', id }, { type: 'clutch.raise_budget', pause, ...limits });
    if (!outcome.ok) throw new Error(`the engine refused the raise ${JSON.stringify(limits)} at ${id}'s budget pause: ${outcome.error}`);
  }

  /** An injected failure must be in place before the step that starts the failing actor. */
  #armFor(next: string | undefined): void {
    if (next === MODEL_ERROR) this.session.faults.arm('model', new Error('injected: no model client for this turn'));
    if (next === PREVIEW_ERROR || next === TOOL_ERROR) this.session.faults.arm('tool-context', new Error('injected: the sandbox settings are unavailable'));
  }

  protected async act(event: WorkerModelEvent | { type: 'xstate.init' }): Promise<void> {
    this.#armFor(this.path.steps[this.step + 1]?.event.type);
    const { session } = this;
    const WORKER = { kind: 'worker' as const, id: this.#id };
    switch (event.type) {
      case 'xstate.init':
        session.engine.start();
        // The ticket's own worker finishes first; its reviewer starts on the change.
        if (this.#role === 'reviewer') await session.model.instruct(TICKET, { kind: 'reply' });
        return;
      case 'model.delta':
        return session.model.instruct(this.#id, { kind: 'delta', text: `thinking ${this.step}… ` });
      case 'model.reply':
        return session.model.instruct(this.#id, { kind: 'reply' });
      case 'model.failed':
        return session.model.instruct(this.#id, { kind: 'fail', retryable: event.retryable, ...(event.retry_at ? { retryAt: event.retry_at } : {}) });
      case QA_DONE:
        return session.model.instruct(`${TICKET}@qa`, { kind: 'reply' });
      case QA_ERROR:
        // With the budget spent the qa actor fails as it starts, asking no model: nothing to do.
        if (this.path.steps[this.step - 1]?.context.spent) return;
        return session.model.instruct(`${TICKET}@qa`, { kind: 'fail', retryable: false });
      case 'model.waiting':
        // The rate limiter queued the worker's first turn behind the holder's at the start.
        if (!this.#limited || this.step !== 1) throw new Error('model.waiting is planned only at the start of a rate-limited run');
        return;
      case BACKOFF_DONE:
        return session.waits.settle('resolve');
      case BACKOFF_ERROR:
        return session.waits.settle('reject');
      case 'worker.trust_override':
        return session.command({ kind: 'ticket', id: TICKET }, { type: 'ticket.trust_override', override: event.override });
      case 'clutch.edit_payload': {
        const context = this.#worker().getSnapshot().context;
        const call = currentCall(context.messages, context.results, context.review)!;
        return session.command(WORKER, { type: 'clutch.edit_payload', input: payloadFor(call, event.valid), ...(event.approve ? { approve: true } : {}) });
      }
      case 'clutch.edit_message':
        return session.command(WORKER, { type: 'clutch.edit_message', message: this.#message(event.message) });
      case 'clutch.edit_result':
        return session.command(WORKER, { type: 'clutch.edit_result', output: `the human rewrote this output (step ${this.step})`, ...(event.approve ? { approve: true } : {}) });
      case 'clutch.retry_now':
        session.command(WORKER, event);
        // The limiter granted the slot past its limit; the holder's turn ends, freeing its own.
        if (this.#limited && this.step === 2) await session.model.instruct(HOLDER, { kind: 'fail', retryable: false });
        return;
      case 'clutch.set_trust':
      case 'clutch.approve':
      case 'clutch.abort':
      case 'clutch.rerun':
      case 'clutch.use_output':
        return session.command(WORKER, event);
      case 'model.over_budget':
        // The model actor finds the budget spent as it starts (the turn before spent it): nothing to do.
        if (this.#limit === 'none') throw new Error('model.over_budget is planned only in a run with a budget');
        return;
      case 'clutch.raise_budget':
        return this.#raise(this.#id);
      case 'worker.budget_raised': {
        // OTHER's held turn replies (text only), which spends more; its next turn stops on the run
        // budget, and the human's raise there lifts the subject's pause too (the engine tells it).
        if (this.#limit !== 'run' || this.#otherRaised) throw new Error('worker.budget_raised is planned once, only in a run with a run budget');
        this.#otherRaised = true;
        await session.model.instruct(OTHER, { kind: 'reply' });
        await session.recorder.until(
          () => (session.engine.worker(OTHER)?.getSnapshot().matches('budgetPaused') ? true : undefined),
          () => `${OTHER}'s worker to stop at its budget pause on the run's budget`,
        );
        return this.#raise(OTHER);
      }
      case 'model.started':
        // The limiter grants the slot on its own once the human said retry now.
        if (!this.#limited) throw new Error('model.started is planned only in a rate-limited run');
        return;
      case MODEL_ERROR:
      case PREVIEW_DONE:
      case PREVIEW_ERROR:
      case TOOL_DONE:
      case TOOL_ERROR:
        // The I/O actor ends on its own (or strikes the fault armed a step earlier, or finds the
        // intent recorded before the run).
        return;
    }
  }

  #message(choice: 'invalid' | 'text' | 'call' | 'keep'): unknown {
    this.#edits += 1;
    if (choice === 'invalid') return this.#edits % 2 ? '{"role":"assistant","content":[' : assistant(toolUse(`e${this.#edits}`, 'rm_rf', {}));
    if (choice === 'text') return assistant(text('On second thought, no tool is needed yet.'));
    if (choice === 'call') return JSON.stringify(assistant(text('A better plan.'), scriptedCall('write', `e${this.#edits}`)));
    const last = lastAssistant(this.#worker().getSnapshot().context.messages)!;
    return { ...last, content: [text('(reworded by the human)'), ...last.content] };
  }

  protected disagreement(context: WorkerContext, expected: WorkerModelContext, value: unknown): string | null {
    if (FINAL.includes(value as string)) return null;
    const real = {
      trust: context.trust,
      override: context.trustOverride,
      turns: context.turns,
      done: context.results.length,
      review: context.review !== null,
      hinted: context.hint !== null && context.hint.tool_use_id === context.review?.tool_use_id,
      rerun: context.grant.rerun !== null,
      waiting: context.waiting !== null,
      budget: context.budget.stop?.scope ?? null,
      budgetPauses: context.budget.pauses,
    };
    const abstract = {
      trust: expected.trust,
      override: expected.override,
      turns: expected.turns,
      done: expected.done,
      review: expected.review,
      hinted: expected.hinted,
      rerun: expected.rerun,
      waiting: expected.waiting,
      budget: expected.budget,
      budgetPauses: expected.budgetPauses,
    };
    return isDeepStrictEqual(real, abstract) ? null : `real ${JSON.stringify(real)}, abstract ${JSON.stringify(abstract)}`;
  }

  /**
   * A final worker state leaves its ticket completed or blocked; a reviewer's, completed only on
   * its verdict (approve_change): task_complete is no verdict, and blocks the ticket.
   */
  protected override async settled(value: unknown): Promise<void> {
    if (!FINAL.includes(value as string)) return;
    const verdict = this.path.steps[this.step]!.transitions.includes(FINISHED);
    const status = value === 'completed' && (this.#role === 'ticket' || verdict) ? 'completed' : 'blocked';
    const real = () => this.session.engine.track().tickets.find((item) => item.id === TICKET)!;
    await this.session.recorder.until(
      () => (real().status === status ? true : undefined),
      () => `ticket ${TICKET} to be ${status}, it is ${real().status}`,
    );
    if (value === 'aborted' && this.#role === 'ticket') {
      // A safety property the abort broke is the finding, before the oracle's wording of the reason.
      this.session.monitor.check();
      this.#checkAbortReason(real().blocked_reason);
    }
  }

  /** An abort blocks the ticket with what the human said and, at a budget pause, the spend (worded as the abstract step expects). */
  #checkAbortReason(reason: string | undefined): void {
    const step = this.path.steps[this.step]!;
    const event = step.event as WorkerModelEvent;
    const said = event.type === 'clutch.abort' && event.reason ? `aborted: ${event.reason}` : 'aborted by the human';
    const budget = step.context.budget;
    const prefix = `${said} at the budget pause: `;
    const agrees = budget ? reason?.startsWith(prefix) === true && SPEND[budget].test(reason.slice(prefix.length)) : reason === said;
    if (!agrees) throw new Error(`ticket ${TICKET} is blocked with ${JSON.stringify(reason ?? null)}; the abstract step expects "${said}"${budget ? ` at the budget pause, with the ${budget} budget's spend` : ''}`);
  }
}
