import { assign, emit } from 'xstate';
import type { ToolOutput, ToolResultBlock } from '../protocol/index.js';
import { current, errorText, lastAssistantCall, withReason } from './worker-context.js';
import { INTERRUPTED_ABORTED, noRerun, workerSetup } from './worker-setup.js';
import type { WorkerToTicketEvent } from './worker-types.js';

const tellTicket = (event: WorkerToTicketEvent) => ({ type: 'tellTicket' as const, params: event });
const resumed = tellTicket({ type: 'worker.resumed' });

const autoApproved = (pause: 'approval' | 'review') => ({ type: 'journalAutoApproval' as const, params: { pause } });

/**
 * The worker's tool cycle: the pending calls of the model's last message, one at a time, in order.
 * Each call passes the approval gate (step: ◆ pause 1, approval), runs, and passes the review gate
 * (step: ◆ pause 2, review) before its result may reach the model.
 */
export const toolCycle = workerSetup.createStateConfig({
  initial: 'nextCall',
  states: {
    // Is a call of the last message left without a result?
    nextCall: {
      always: [{ guard: 'hasCall', target: 'approvalGate' }, { target: '#worker.resultsReady' }],
    },
    // The trust gate before the call runs: step stops at pause 1.
    approvalGate: {
      always: [
        { guard: 'isStep', target: 'awaitingApproval' },
        { guard: 'callIsTaskComplete', target: '#worker.completed' },
        { target: 'executing' },
      ],
    },
    // ◆ Pause 1 (approval): the call's preview (a diff, or the command line) before anything runs.
    awaitingApproval: {
      entry: tellTicket({ type: 'worker.paused', pause: 'approval' }),
      exit: [resumed, assign({ preview: null, grant: ({ context }) => (context.grant.approveEdited === null ? context.grant : { ...context.grant, approveEdited: null }) })],
      initial: 'previewing',
      states: {
        previewing: {
          invoke: {
            src: 'previewTool',
            input: ({ context }) => ({ ticketId: context.settings.ticketId, call: current(context)! }),
            onDone: [
              // "Apply edit and approve": the human approved the call as they edited it.
              { guard: 'approvedAsEdited', target: '#worker.toolCycle.afterApproval', actions: assign({ preview: ({ event }) => event.output }) },
              { target: 'ready', actions: assign({ preview: ({ event }) => event.output }) },
            ],
            onError: {
              target: 'ready',
              actions: assign({ preview: ({ event }) => ({ kind: 'text' as const, text: `preview failed: ${errorText(event.error)}` }) }),
            },
          },
        },
        // Approve only once the preview is loaded: the human approves what they were shown.
        ready: {
          // The trust became auto while this pause waited (override or the worker's own): the
          // switch approves it, as it would never have stopped here.
          always: { guard: 'isAuto', target: '#worker.toolCycle.afterApproval', actions: autoApproved('approval') },
          on: {
            'clutch.approve': [
              { guard: 'callIsTaskComplete', target: '#worker.completed', actions: 'clearRefusal' },
              { target: '#worker.toolCycle.executing', actions: 'clearRefusal' },
            ],
          },
        },
      },
      on: {
        'clutch.edit_payload': { actions: 'checkEdit' },
        'clutch.edit_message': { actions: 'checkEdit' },
        'worker.edit_checked': [
          { guard: 'editRefused', actions: ['settleEdit', 'journalLastEdit'] },
          // Still a call to approve: stay paused (re-preview), whatever the trust is now.
          { guard: 'editLeavesCall', target: '.previewing', actions: ['settleEdit', 'journalLastEdit'] },
          { target: 'nextCall', actions: ['settleEdit', 'journalLastEdit'] },
        ],
        'clutch.abort': { target: '#worker.aborted' },
      },
    },
    // An approved call: task_complete ends the worker, any other runs.
    afterApproval: {
      always: [{ guard: 'callIsTaskComplete', target: '#worker.completed' }, { target: 'executing' }],
    },
    executing: {
      entry: emit(({ context }) => ({ type: 'worker.tool_start' as const, ticketId: context.settings.ticketId, attempt: context.settings.attempt, call: current(context)! })),
      invoke: {
        id: 'tool',
        src: 'runTool',
        input: ({ context }) => {
          const call = current(context)!;
          return { ticketId: context.settings.ticketId, attempt: context.settings.attempt, call, rerun: context.grant.rerun === call.id };
        },
        onDone: [
          { guard: 'toolInterrupted', target: 'interrupted' },
          // A plan, revision or verdict the tool accepted ends the worker with the call as its result.
          {
            guard: 'finishingCall',
            target: '#worker.completed',
            actions: [
              assign({
                outcome: ({ context }) => ({ ...context.outcome, finished: { name: current(context)!.name, input: current(context)!.input } }),
                grant: ({ context }) => noRerun(context),
              }),
              emit(({ context, event }) => ({
                type: 'worker.tool_done' as const,
                ticketId: context.settings.ticketId,
                attempt: context.settings.attempt,
                call: current(context)!,
                output: event.output as ToolOutput,
              })),
            ],
          },
          // A command that exited non-zero: QA turns its output into a hint before anyone sees it.
          { guard: 'needsQa', target: 'qaHint', actions: 'holdResult' },
          {
            target: 'reviewGate',
            actions: [
              assign({
                review: ({ context, event }): ToolResultBlock => ({
                  type: 'tool_result',
                  tool_use_id: current(context)!.id,
                  content: (event.output as ToolOutput).content,
                  is_error: (event.output as ToolOutput).is_error,
                }),
                grant: ({ context }) => noRerun(context),
              }),
              emit(({ context, event }) => ({
                type: 'worker.tool_done' as const,
                ticketId: context.settings.ticketId,
                attempt: context.settings.attempt,
                // review is already assigned, so the call that ran is the review's.
                call: lastAssistantCall(context),
                output: event.output as ToolOutput,
              })),
            ],
          },
        ],
        onError: {
          target: '#worker.failed',
          actions: assign({ outcome: ({ context, event }) => withReason(context, `internal error while running a tool: ${errorText(event.error)}`) }),
        },
      },
    },
    // ◆ A side-effecting command whose intent was recorded before a crash, with no result: it may
    // have run in part. Never run again without the human, whatever the trust.
    interrupted: {
      // Journaled before the ticket reports the pause, as a result is before pause 2.
      entry: [
        emit(({ context }) => ({ type: 'worker.interrupted' as const, ticketId: context.settings.ticketId, attempt: context.settings.attempt, call: current(context)! })),
        tellTicket({ type: 'worker.paused', pause: 'interrupted' }),
      ],
      exit: resumed,
      on: {
        'clutch.rerun': { target: 'executing', actions: assign({ grant: ({ context }) => ({ ...context.grant, rerun: current(context)!.id }) }) },
        'clutch.use_output': {
          target: 'reviewGate',
          actions: [
            assign({
              review: ({ context }): ToolResultBlock => ({ type: 'tool_result', tool_use_id: current(context)!.id, content: '', is_error: false }),
              grant: ({ context }) => noRerun(context),
            }),
            emit(({ context }) => ({
              type: 'worker.tool_done' as const,
              ticketId: context.settings.ticketId,
              attempt: context.settings.attempt,
              call: lastAssistantCall(context),
              output: { content: '', is_error: false },
            })),
          ],
        },
        'clutch.abort': {
          target: '#worker.aborted',
          // The call may have run before the crash: its result says so, not "not run".
          actions: assign({
            results: ({ context }) => [
              ...context.results,
              { type: 'tool_result' as const, tool_use_id: current(context)!.id, content: INTERRUPTED_ABORTED, is_error: true },
            ],
          }),
        },
      },
    },
    // QA (tier 4): the qa archetype turns the failing command's output into a short fix hint; the
    // worker's model gets the hint with the head and tail of the output (the journal has it all).
    qaHint: {
      invoke: {
        id: 'qa',
        src: 'qaHint',
        input: ({ context }) => {
          const call = lastAssistantCall(context);
          return { ticketId: context.settings.ticketId, attempt: context.settings.attempt, call, output: context.review!.content, qa: context.settings.qa! };
        },
        onDone: [
          // The qa archetype's trust is step: its hint stops at pause 2 even for an auto worker.
          { guard: 'qaStep', target: 'reviewingResult', actions: 'applyHint' },
          { target: 'reviewGate', actions: 'applyHint' },
        ],
        // No hint (the qa model failed): the worker gets the raw output, as without QA.
        onError: { target: 'reviewGate' },
      },
    },
    // The trust gate after the call ran: step stops at pause 2 before the model sees the result.
    reviewGate: {
      always: [{ guard: 'isStep', target: 'reviewingResult' }, { target: 'nextCall', actions: 'commitReview' }],
    },
    // ◆ Pause 2 (review): the tool's output, before the model sees it.
    reviewingResult: {
      entry: tellTicket({ type: 'worker.paused', pause: 'review' }),
      exit: resumed,
      // Switched to auto while the result waited: the switch approves it.
      always: { guard: 'reviewReleased', target: 'nextCall', actions: [autoApproved('review'), 'commitReview'] },
      on: {
        'clutch.approve': { target: 'nextCall', actions: 'commitReview' },
        'clutch.edit_result': [
          // "Apply edit and approve": the edited result goes to the model at once.
          { guard: 'approvesEdit', target: 'nextCall', actions: ['applyResult', 'journalLastEdit', 'commitReview'] },
          { actions: ['applyResult', 'journalLastEdit'] },
        ],
        'clutch.edit_message': { actions: 'checkEdit' },
        'worker.edit_checked': [
          { guard: 'editRefused', actions: ['settleEdit', 'journalLastEdit'] },
          // The reviewed call is still in the message: its result stays under review.
          { guard: 'editKeepsReview', actions: ['settleEdit', 'journalLastEdit'] },
          { target: 'nextCall', actions: ['settleEdit', 'journalLastEdit'] },
        ],
        'clutch.abort': { target: '#worker.aborted' },
      },
    },
  },
});
