import { assign, emit, fromCallback, fromPromise, raise, sendParent, setup, type EventObject } from 'xstate';
import type { ToolPreview } from '../protocol/index.js';
import { lastAssistant, pairResults } from './transcript.js';
import { checkEdit, current, editUpdate, isStep, journal, lastAssistantCall, resultUpdate } from './worker-context.js';
import type {
  CallModelInput,
  PreviewToolInput,
  RunToolInput,
  RunToolOutput,
  WaitUntilInput,
  WorkerContext,
  WorkerEmitted,
  WorkerEvent,
  WorkerInput,
  WorkerOutput,
  WorkerToTicketEvent,
} from './worker-types.js';
import { isInterrupted } from './worker-types.js';

/** The worker statechart's types and named implementations: its I/O actors, guards and actions. */

export const NUDGE =
  'Continue with the task using the tools. When the work is done and checked, call task_complete with a summary.';

export const INTERRUPTED_ABORTED =
  'Interrupted by a crash: this command may have run in part. The human aborted instead of running it again.';

/** The checked edit a guard or an action of `worker.edit_checked` branches on. */
const checked = (event: WorkerEvent) => (event.type === 'worker.edit_checked' ? event.edit : undefined);

export const workerSetup = setup({
  types: {
    input: {} as WorkerInput,
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    emitted: {} as WorkerEmitted,
    output: {} as WorkerOutput,
  },
  actors: {
    // The engine provides the real I/O (actors/engine.ts); these defaults make a missing one loud.
    // Any events: the real model actor also hears from the rate limiter it consults.
    callModel: fromCallback<EventObject, CallModelInput>(({ sendBack }) => {
      sendBack({ type: 'model.failed', reason: 'no model client was provided to the engine' });
    }),
    previewTool: fromPromise<ToolPreview, PreviewToolInput>(async () => {
      throw new Error('previewTool was not provided to the engine');
    }),
    runTool: fromPromise<RunToolOutput, RunToolInput>(async () => {
      throw new Error('runTool was not provided to the engine');
    }),
    waitUntil: fromPromise<void, WaitUntilInput>(async () => {
      throw new Error('waitUntil was not provided to the engine');
    }),
  },
  guards: {
    isStep: ({ context }) => isStep(context),
    isAuto: ({ context }) => !isStep(context),
    approvedAsEdited: ({ context }) => context.approveEdited != null && context.approveEdited === current(context)?.id,
    approvesEdit: ({ event }) => event.type === 'clutch.edit_result' && event.approve === true,
    hasCall: ({ context }) => current(context) !== undefined,
    callIsTaskComplete: ({ context }) => current(context)?.name === 'task_complete',
    turnsLeft: ({ context }) => context.turns < context.maxTurns,
    retryable: ({ event }) => event.type === 'model.failed' && event.retryable === true && event.retry_at !== undefined,
    toolInterrupted: ({ event }) => {
      const output = (event as unknown as { output?: RunToolOutput }).output;
      return output !== undefined && isInterrupted(output);
    },
    editRefused: ({ event }) => checked(event)?.ok === false,
    editLeavesCall: ({ event }) => {
      const edit = checked(event);
      return edit?.ok === true && edit.callLeft;
    },
    editKeepsReview: ({ event }) => {
      const edit = checked(event);
      return edit?.ok === true && edit.review !== null;
    },
  },
  actions: {
    /** Tells the ticket about a pause (or its end), so its status follows. */
    tellTicket: sendParent((_, event: WorkerToTicketEvent) => event),
    clearRefusal: assign({ refusal: null }),
    nudge: assign({
      messages: ({ context }) => [...context.messages, { role: 'user' as const, content: NUDGE }],
    }),
    // A reply (or an edited one) with no tool calls gets the nudge instead of an empty message.
    appendResults: assign({
      messages: ({ context }) => {
        const results = pairResults(lastAssistant(context.messages), context.results, () => {
          throw new Error('tool cycle ended with an open call');
        });
        return [...context.messages, results.length > 0 ? { role: 'user' as const, content: results } : { role: 'user' as const, content: NUDGE }];
      },
      results: [],
    }),
    commitReview: assign({
      results: ({ context }) => (context.review ? [...context.results, context.review] : context.results),
      review: null,
      refusal: null,
    }),
    /** Checks an edit once; the pause branches on the `worker.edit_checked` this raises. */
    checkEdit: raise(({ context, event }) => ({ type: 'worker.edit_checked' as const, edit: checkEdit(context, event) })),
    /** Applies the checked edit, or records its refusal; either way it is journaled next. */
    settleEdit: assign(({ context, event }) => {
      const edit = checked(event);
      return edit ? editUpdate(context, edit) : {};
    }),
    applyResult: assign(({ context, event }) => resultUpdate(context, event)),
    journalLastEdit: emit(({ context }) => journal(context, context.edits.at(-1)!)),
    /** Journals a pause released by a switch to auto (the switch itself is the human's command). */
    journalAutoApproval: emit(({ context }, params: { pause: 'approval' | 'review' }) => {
      const call = params.pause === 'review' ? lastAssistantCall(context) : current(context)!;
      const cause = context.trustOverride === 'auto' ? 'trust override set to auto' : 'worker trust set to auto';
      return { type: 'worker.auto_approved' as const, ticketId: context.ticketId, attempt: context.attempt, pause: params.pause, call, cause };
    }),
  },
});
