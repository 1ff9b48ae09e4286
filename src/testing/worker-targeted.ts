/**
 * The worker paths a test asks for by name, next to the generated ones (see plans.ts).
 */
import { BACKOFF_DONE, PREVIEW_DONE, QA_DONE, QA_ERROR, TOOL_DONE, type WorkerModelEvent } from './worker.js';

/**
 * Whole runs the generators cut short or leave to chance:
 * - a model turn that waits for a rate-limit slot (`model.waiting`), the human's `retry now` and
 *   the slot's grant (`model.started`) come from the engine's real rate limiter, in this targeted
 *   path only: without a limiter the engine sends none of them;
 * - a command found interrupted in step mode: switching trust does not answer that pause, the
 *   rerun runs it once and its result still stops at pause 2;
 * - a command found interrupted whose output the human takes as empty: that result stops at
 *   pause 2 too, and the model's next turn sees it;
 * - a payload edit of the first of two calls: what runs is the edit, the second call stays as it
 *   was, and the model's next turn sees the edited call;
 * - at pause 2, the model's last message replaced by text only: the result under review is
 *   dropped and the model is asked again (shortest paths reach that state by pause 1 instead);
 * - a switch to auto at pause 2 of the first of two calls releases the result and runs the second
 *   call without a pause, each release journaled;
 * - an auto worker's failing command: its QA hint, on the qa archetype's step trust, still stops
 *   at pause 2, and switching the worker to auto there does not release it (the approve does).
 */
export const WORKER_TARGETED: WorkerModelEvent[][] = [
  [
    { type: 'model.waiting' },
    { type: 'clutch.retry_now' },
    { type: 'model.started' },
    { type: 'model.reply', calls: ['write', 'done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['run', 'done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE, interrupted: true },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'clutch.set_trust', trust: 'step' },
    { type: 'clutch.rerun' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['run'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE, interrupted: true },
    { type: 'clutch.use_output' },
    { type: 'clutch.approve' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['write', 'fail'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.edit_payload', valid: true },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['write'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.edit_message', message: 'text' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['write', 'fail'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: TOOL_DONE },
    { type: 'model.reply', calls: ['done'] },
  ],
  [
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'model.reply', calls: ['red'] },
    { type: TOOL_DONE },
    { type: QA_DONE },
    { type: 'clutch.set_trust', trust: 'step' },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'clutch.approve' },
    { type: 'model.reply', calls: ['done'] },
  ],
];

/**
 * The worker's other configurations, each with the whole runs asked of it (the generated paths
 * cover the main one, whose QA archetype is on step):
 * - QA on auto: a step worker's failing command still stops at pause 2, with the hint; an auto
 *   worker's hint goes to the model at once; a failed hint leaves the raw output, and a worker
 *   switched to auto while the hint is asked for no longer stops for it;
 * - a reviewer (its input has finishing calls): its verdict, approved at pause 1, ends it as soon
 *   as the tool accepts it, in step and in auto (after a read that fails), while task_complete
 *   ends it with no verdict.
 */
export const QA_AUTO_TARGETED: WorkerModelEvent[][] = [
  [
    { type: 'model.reply', calls: ['red', 'done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: QA_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'model.reply', calls: ['red'] },
    { type: TOOL_DONE },
    { type: QA_DONE },
    { type: 'model.reply', calls: ['done'] },
  ],
  [
    { type: 'model.reply', calls: ['red'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: QA_ERROR },
    { type: 'model.reply', calls: ['done'] },
  ],
];

export const REVIEWER_TARGETED: WorkerModelEvent[][] = [
  [{ type: 'model.reply', calls: ['verdict'] }, { type: PREVIEW_DONE }, { type: 'clutch.approve' }, { type: TOOL_DONE }],
  [{ type: 'clutch.set_trust', trust: 'auto' }, { type: 'model.reply', calls: ['fail', 'verdict'] }, { type: TOOL_DONE }, { type: TOOL_DONE }],
  [{ type: 'model.reply', calls: ['fail'] }, { type: PREVIEW_DONE }, { type: 'clutch.approve' }, { type: TOOL_DONE }, { type: 'clutch.approve' }, { type: 'model.reply', calls: ['done'] }, { type: PREVIEW_DONE }, { type: 'clutch.approve' }],
];

/**
 * A run with a budget (the variants `ticket budget` and `run budget` of plans.ts), each with the
 * whole runs asked of it: every model turn spends the budget (one token for the ticket's; a tiny
 * cost on a priced profile for the run's), so the turn after the first reply stops at the budget
 * pause, in the model actor, before the model is asked:
 * - a raise (just above the spend) lets the next turn go, in step mode after a result approved at
 *   pause 2;
 * - a failing command after the budget is spent gets no QA hint (the qa actor fails as it starts,
 *   asking no model) and its raw output goes on;
 * - a model failure after a raise spends nothing: the turn after its backoff is not stopped;
 * - switching trust at the pause does not answer it;
 * - an abort at the pause, with and without a reason, blocks the ticket with the spend in its reason;
 * - the run's budget stops the worker too, and a raise at another ticket's pause on it
 *   (`worker.budget_raised`: the engine tells every worker waiting on it) lets this one go on.
 */
export const TICKET_BUDGET_TARGETED: WorkerModelEvent[][] = [
  [
    { type: 'model.reply', calls: ['write'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: 'model.over_budget' },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'clutch.set_trust', trust: 'step' },
    { type: 'clutch.raise_budget' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: [] },
    { type: 'model.over_budget' },
    { type: 'clutch.raise_budget' },
    { type: 'model.failed', retryable: true, retry_at: 1_000_000 },
    { type: BACKOFF_DONE },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'model.reply', calls: [] },
    { type: 'model.over_budget' },
    { type: 'clutch.abort', reason: 'wrong call' },
  ],
  [
    { type: 'model.reply', calls: ['red'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: QA_ERROR },
    { type: 'clutch.approve' },
    { type: 'model.over_budget' },
    { type: 'clutch.abort' },
  ],
];

export const RUN_BUDGET_TARGETED: WorkerModelEvent[][] = [
  [
    { type: 'model.reply', calls: ['write'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: 'model.over_budget' },
    { type: 'worker.budget_raised' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'model.reply', calls: [] },
    { type: 'model.over_budget' },
    { type: 'clutch.raise_budget' },
    { type: 'model.reply', calls: ['done'] },
  ],
  [
    { type: 'model.reply', calls: [] },
    { type: 'model.over_budget' },
    { type: 'clutch.abort', reason: 'wrong call' },
  ],
];
