import { assign, emit, fromCallback, fromPromise, sendParent, sendTo, setup, type DoneActorEvent, type EventObject } from 'xstate';
import type { ToolOutput, ToolPreview, ToolResultBlock } from '../protocol/index.js';
import { checkAssistantMessage, checkToolInput, currentCall, lastAssistant, pairResults } from './transcript.js';
import {
  closedMessages,
  current,
  errorText,
  isStep,
  journal,
  lastAssistantCall,
  messageUpdate,
  payloadUpdate,
  refusalUpdate,
  resultUpdate,
} from './worker-context.js';
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
} from './worker-types.js';
import { isInterrupted } from './worker-types.js';

export const NUDGE =
  'Continue with the task using the tools. When the work is done and checked, call task_complete with a summary.';

export const INTERRUPTED_ABORTED =
  'Interrupted by a crash: this command may have run in part. The human aborted instead of running it again.';

export const workerMachine = setup({
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
    hasCall: ({ context }) => current(context) !== undefined,
    callIsTaskComplete: ({ context }) => current(context)?.name === 'task_complete',
    turnsLeft: ({ context }) => context.turns < context.maxTurns,
    retryable: ({ event }) => event.type === 'model.failed' && event.retryable === true && event.retry_at !== undefined,
    toolInterrupted: ({ event }) => {
      const output = (event as unknown as { output?: RunToolOutput }).output;
      return output !== undefined && isInterrupted(output);
    },
    payloadValid: ({ context, event }) => {
      if (event.type !== 'clutch.edit_payload') return false;
      const call = current(context);
      return call !== undefined && checkToolInput(call.name, event.input, context.tools).ok;
    },
    messageValid: ({ context, event }) =>
      event.type === 'clutch.edit_message' &&
      checkAssistantMessage(event.message, context.tools, context.messages.slice(0, -1)).ok,
    messageLeavesCall: ({ context, event }) => {
      if (event.type !== 'clutch.edit_message') return false;
      const checked = checkAssistantMessage(event.message, context.tools, context.messages.slice(0, -1));
      if (!checked.ok) return false;
      const update = messageUpdate(context, event);
      return currentCall(update.messages ?? context.messages, update.results ?? context.results, context.review) !== undefined;
    },
    reviewSurvivesMessage: ({ context, event }) => {
      if (event.type !== 'clutch.edit_message' || !context.review) return false;
      const checked = checkAssistantMessage(event.message, context.tools, context.messages.slice(0, -1));
      const id = context.review.tool_use_id;
      return checked.ok && checked.value.content.some((block) => block.type === 'tool_use' && block.id === id);
    },
  },
  actions: {
    notifyApproval: sendParent({ type: 'worker.paused', pause: 'approval' }),
    notifyReview: sendParent({ type: 'worker.paused', pause: 'review' }),
    notifyInterrupted: sendParent({ type: 'worker.paused', pause: 'interrupted' }),
    notifyResumed: sendParent({ type: 'worker.resumed' as const }),
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
    applyPayload: assign(({ context, event }) => payloadUpdate(context, event)),
    refusePayload: assign(({ context, event }) => refusalUpdate(context, event)),
    applyMessage: assign(({ context, event }) => messageUpdate(context, event)),
    refuseMessage: assign(({ context, event }) => refusalUpdate(context, event)),
    dropReview: assign({ review: null }),
    applyResult: assign(({ context, event }) => resultUpdate(context, event)),
    journalLastEdit: emit(({ context }) => journal(context, context.edits.at(-1)!)),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    ticketId: input.ticketId,
    attempt: input.attempt,
    profile: input.profile,
    system: input.system,
    tools: input.tools,
    maxTurns: input.maxTurns,
    trust: input.trust,
    trustOverride: input.trustOverride,
    messages: [{ role: 'user', content: input.prompt }],
    turns: 0,
    draft: '',
    results: [],
    review: null,
    preview: null,
    refusal: null,
    edits: [],
    usage: { input_tokens: 0, output_tokens: 0 },
    summary: null,
    reason: null,
    waiting: null,
    retries: 0,
    rerun: null,
  }),
  initial: 'prompting',
  output: ({ event }) => (event as unknown as DoneActorEvent<WorkerOutput>).output,
  on: {
    'clutch.set_trust': { actions: assign({ trust: ({ event }) => event.trust }) },
    'worker.trust_override': { actions: assign({ trustOverride: ({ event }) => event.override }) },
  },
  states: {
    prompting: {
      entry: assign({ draft: '', waiting: null }),
      invoke: {
        id: 'model',
        src: 'callModel',
        input: ({ context }) => ({
          ticketId: context.ticketId,
          attempt: context.attempt,
          profile: context.profile,
          system: context.system,
          messages: context.messages,
          tools: context.tools,
        }),
        onError: {
          target: 'failed',
          actions: assign({ reason: ({ event }) => `model error: ${errorText(event.error)}` }),
        },
      },
      on: {
        'model.delta': {
          actions: assign({
            draft: ({ context, event }) => (event.delta.type === 'text' ? context.draft + event.delta.text : context.draft),
          }),
        },
        'model.reply': {
          target: 'route',
          actions: assign({
            messages: ({ context, event }) => [...context.messages, event.message],
            turns: ({ context }) => context.turns + 1,
            usage: ({ context, event }) => ({
              input_tokens: context.usage.input_tokens + event.usage.input_tokens,
              output_tokens: context.usage.output_tokens + event.usage.output_tokens,
            }),
            draft: '',
          }),
        },
        'model.waiting': {
          actions: assign({ waiting: ({ event }) => ({ reason: event.reason, until: event.until }) }),
        },
        // The rate limiter granted the request: nothing holds it back any more.
        'model.started': { actions: assign({ waiting: null }) },
        'model.failed': [
          {
            guard: 'retryable',
            target: 'backoff',
            actions: assign({
              waiting: ({ event }) => ({ reason: event.reason, until: event.retry_at ?? null }),
              retries: ({ context }) => context.retries + 1,
            }),
          },
          { target: 'failed', actions: assign({ reason: ({ event }) => event.reason, waiting: null }) },
        ],
        // Skips a wait for a rate-limit slot; the model actor decides what that means.
        'clutch.retry_now': { guard: ({ context }) => context.waiting !== null, actions: sendTo('model', { type: 'clutch.retry_now' }) },
      },
    },
    // A retryable model failure waits for its deadline (an actor, not `after`, so a restored
    // snapshot re-arms it), unless the human says retry now.
    backoff: {
      invoke: {
        src: 'waitUntil',
        input: ({ context }) => ({ until: context.waiting?.until ?? 0 }),
        onDone: { target: 'prompting' },
        onError: { target: 'prompting' },
      },
      on: { 'clutch.retry_now': { target: 'prompting' } },
    },
    route: {
      always: [
        { guard: 'hasCall', target: 'toolCycle' },
        { guard: 'turnsLeft', target: 'prompting', actions: 'nudge' },
        { target: 'failed', actions: assign({ reason: ({ context }) => `max_turns (${context.maxTurns}) reached without task_complete` }) },
      ],
    },
    toolCycle: {
      initial: 'gate1',
      states: {
        gate1: {
          always: [
            { guard: 'hasCall', target: 'decide' },
            { target: '#worker.resultsReady' },
          ],
        },
        decide: {
          always: [
            { guard: 'isStep', target: 'awaitingApproval' },
            { guard: 'callIsTaskComplete', target: '#worker.completed' },
            { target: 'executing' },
          ],
        },
        awaitingApproval: {
          entry: 'notifyApproval',
          exit: ['notifyResumed', assign({ preview: null })],
          initial: 'previewing',
          states: {
            previewing: {
              invoke: {
                src: 'previewTool',
                input: ({ context }) => ({ ticketId: context.ticketId, call: current(context)! }),
                onDone: { target: 'ready', actions: assign({ preview: ({ event }) => event.output }) },
                onError: {
                  target: 'ready',
                  actions: assign({ preview: ({ event }) => ({ kind: 'text' as const, text: `preview failed: ${errorText(event.error)}` }) }),
                },
              },
            },
            // Approve only once the preview is loaded: the human approves what they were shown.
            ready: {
              on: {
                'clutch.approve': [
                  { guard: 'callIsTaskComplete', target: '#worker.completed', actions: 'clearRefusal' },
                  { target: '#worker.toolCycle.executing', actions: 'clearRefusal' },
                ],
              },
            },
          },
          on: {
            'clutch.edit_payload': [
              { guard: 'payloadValid', target: '.previewing', actions: ['applyPayload', 'journalLastEdit'] },
              { actions: ['refusePayload', 'journalLastEdit'] },
            ],
            'clutch.edit_message': [
              // Still a call to approve: stay paused (re-preview), whatever the trust is now.
              { guard: 'messageLeavesCall', target: '.previewing', actions: ['applyMessage', 'journalLastEdit'] },
              { guard: 'messageValid', target: 'gate1', actions: ['applyMessage', 'journalLastEdit'] },
              { actions: ['refuseMessage', 'journalLastEdit'] },
            ],
            'clutch.abort': { target: '#worker.aborted' },
          },
        },
        executing: {
          invoke: {
            id: 'tool',
            src: 'runTool',
            input: ({ context }) => {
              const call = current(context)!;
              return { ticketId: context.ticketId, attempt: context.attempt, call, rerun: context.rerun === call.id };
            },
            onDone: [
              { guard: 'toolInterrupted', target: 'interrupted' },
              {
              target: 'gate2',
              actions: [
                assign({
                  review: ({ context, event }): ToolResultBlock => ({
                    type: 'tool_result',
                    tool_use_id: current(context)!.id,
                    content: (event.output as ToolOutput).content,
                    is_error: (event.output as ToolOutput).is_error,
                  }),
                  rerun: null,
                }),
                emit(({ context, event }) => ({
                  type: 'worker.tool_done' as const,
                  ticketId: context.ticketId,
                  attempt: context.attempt,
                  // review is already assigned, so the call that ran is the review's.
                  call: lastAssistantCall(context),
                  output: event.output as ToolOutput,
                })),
              ],
              },
            ],
            onError: {
              target: '#worker.failed',
              actions: assign({ reason: ({ event }) => `internal error while running a tool: ${errorText(event.error)}` }),
            },
          },
        },
        // ◆ A side-effecting command whose intent was recorded before a crash, with no result: it may
        // have run in part. Never run again without the human, whatever the trust.
        interrupted: {
          // Journaled before the ticket reports the pause, as a result is before pause 2.
          entry: [
            emit(({ context }) => ({ type: 'worker.interrupted' as const, ticketId: context.ticketId, attempt: context.attempt, call: current(context)! })),
            'notifyInterrupted',
          ],
          exit: 'notifyResumed',
          on: {
            'clutch.rerun': { target: 'executing', actions: assign({ rerun: ({ context }) => current(context)!.id }) },
            'clutch.use_output': {
              target: 'gate2',
              actions: [
                assign({
                  review: ({ context }): ToolResultBlock => ({ type: 'tool_result', tool_use_id: current(context)!.id, content: '', is_error: false }),
                  rerun: null,
                }),
                emit(({ context }) => ({
                  type: 'worker.tool_done' as const,
                  ticketId: context.ticketId,
                  attempt: context.attempt,
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
        gate2: {
          always: [
            { guard: 'isStep', target: 'reviewingResult' },
            { target: 'gate1', actions: 'commitReview' },
          ],
        },
        reviewingResult: {
          entry: 'notifyReview',
          exit: 'notifyResumed',
          on: {
            'clutch.approve': { target: 'gate1', actions: 'commitReview' },
            'clutch.edit_result': { actions: ['applyResult', 'journalLastEdit'] },
            'clutch.edit_message': [
              { guard: 'reviewSurvivesMessage', actions: ['applyMessage', 'journalLastEdit'] },
              { guard: 'messageValid', target: 'gate1', actions: ['applyMessage', 'dropReview', 'journalLastEdit'] },
              { actions: ['refuseMessage', 'journalLastEdit'] },
            ],
            'clutch.abort': { target: '#worker.aborted' },
          },
        },
      },
    },
    resultsReady: {
      always: [
        { guard: 'turnsLeft', target: 'prompting', actions: 'appendResults' },
        {
          target: 'failed',
          actions: ['appendResults', assign({ reason: ({ context }) => `max_turns (${context.maxTurns}) reached without task_complete` })],
        },
      ],
    },
    completed: {
      type: 'final',
      entry: assign({
        summary: ({ context }) => String(current(context)?.input['summary'] ?? ''),
        messages: ({ context }) => closedMessages(context, 'Not run: the task was completed first.'),
        results: [],
        review: null,
      }),
      output: ({ context }) => ({ outcome: 'completed' as const, summary: context.summary ?? '' }),
    },
    aborted: {
      type: 'final',
      entry: assign({
        reason: ({ event }) => (event.type === 'clutch.abort' && event.reason ? `aborted: ${event.reason}` : 'aborted by the human'),
        messages: ({ context }) => closedMessages(context, 'Not run: aborted by the human.'),
        results: [],
        review: null,
      }),
      output: ({ context }) => ({ outcome: 'aborted' as const, reason: context.reason ?? 'aborted' }),
    },
    failed: {
      type: 'final',
      entry: assign({
        messages: ({ context }) => closedMessages(context, 'Not run: the worker failed.'),
        results: [],
        review: null,
      }),
      output: ({ context }) => ({ outcome: 'failed' as const, reason: context.reason ?? 'failed' }),
    },
  },
});
