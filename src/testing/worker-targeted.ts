/**
 * The worker paths a test asks for by name, next to the generated ones (see plans.ts).
 */
import { PREVIEW_DONE, TOOL_DONE, type WorkerModelEvent } from './worker.js';

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
 *   call without a pause, each release journaled.
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
];
