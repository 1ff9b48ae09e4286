import { assign, emit, enqueueActions, fromCallback, fromPromise, raise, sendParent, setup, type EventObject } from 'xstate';
import type { ToolPreview } from '../protocol/index.js';
import { lastAssistant, pairResults } from './transcript.js';
import { checkEdit, current, editUpdate, isStep, journal, lastAssistantCall, resultUpdate } from './worker-context.js';
import type { ToolOutput } from '../protocol/index.js';
import { effectiveTrust } from '../protocol/config.js';
import type {
  CallModelInput,
  PreviewToolInput,
  QaHintInput,
  QaHintOutput,
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

const qaStepFor = ({ settings: { qa }, trustOverride }: WorkerContext) => qa !== null && effectiveTrust(qa.trust, trustOverride) === 'step';

/** The grant once a call ran: a rerun is single use. */
export const noRerun = (context: WorkerContext): WorkerContext['grant'] => (context.grant.rerun === null ? context.grant : { ...context.grant, rerun: null });

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
    qaHint: fromPromise<QaHintOutput, QaHintInput>(async () => {
      throw new Error('qaHint was not provided to the engine');
    }),
  },
  guards: {
    isStep: ({ context }) => isStep(context),
    isAuto: ({ context }) => !isStep(context),
    approvedAsEdited: ({ context }) => context.grant.approveEdited !== null && context.grant.approveEdited === current(context)?.id,
    approvesEdit: ({ event }) => event.type === 'clutch.edit_result' && event.approve === true,
    hasCall: ({ context }) => current(context) !== undefined,
    callIsTaskComplete: ({ context }) => current(context)?.name === 'task_complete',
    turnsLeft: ({ context }) => context.turns < context.settings.maxTurns,
    retryable: ({ event }) => event.type === 'model.failed' && event.retryable === true && event.retry_at !== undefined,
    /** A plan, revision or verdict call that the tool accepted: the worker is done. */
    finishingCall: ({ context, event }) => {
      const output = (event as unknown as { output?: RunToolOutput }).output;
      const call = current(context);
      return call !== undefined && context.settings.finish.includes(call.name) && output !== undefined && !isInterrupted(output) && !output.is_error;
    },
    /** A command that ran and exited non-zero, in a worker that has QA: the hint comes first. */
    needsQa: ({ context, event }) => {
      const output = (event as unknown as { output?: RunToolOutput }).output;
      if (!context.settings.qa || current(context)?.name !== 'run_command' || output === undefined || isInterrupted(output)) return false;
      const code = (output as ToolOutput).exit_code;
      return code !== undefined && code !== 0;
    },
    /** The QA archetype's own trust is step: the hint stops at pause 2, whatever the worker's trust. */
    qaStep: ({ context }) => qaStepFor(context),
    /** Pause 2 releases itself on auto trust, unless it holds a QA hint whose archetype is on step. */
    reviewReleased: ({ context }) => !isStep(context) && !(context.hint !== null && context.hint.tool_use_id === context.review?.tool_use_id && qaStepFor(context)),
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
    /** A failing command's output, held for its QA hint (journaled whole, as it ran). */
    holdResult: enqueueActions(({ context, event, enqueue }) => {
      const call = current(context)!;
      const output = (event as unknown as { output: ToolOutput }).output;
      enqueue.assign({ review: { type: 'tool_result', tool_use_id: call.id, content: output.content, is_error: output.is_error }, grant: noRerun(context) });
      enqueue.emit({ type: 'worker.tool_done', ticketId: context.settings.ticketId, attempt: context.settings.attempt, call, output });
    }),
    /** The QA hint replaces the raw output the model would see (pause 2 may still edit it). */
    applyHint: assign(({ context, event }) => {
      const output = (event as unknown as { output: QaHintOutput }).output;
      if (!context.review) return {};
      return {
        review: { ...context.review, content: output.content },
        hint: { tool_use_id: context.review.tool_use_id, hint: output.hint, saved_tokens: output.saved_tokens },
      };
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
      return { type: 'worker.auto_approved' as const, ticketId: context.settings.ticketId, attempt: context.settings.attempt, pause: params.pause, call, cause };
    }),
  },
});
