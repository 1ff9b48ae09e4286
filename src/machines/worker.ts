import { assign, sendTo, type DoneActorEvent } from 'xstate';
import { closedMessages, current, errorText, withReason } from './worker-context.js';
import { withUserText } from './transcript.js';
import { workerSetup } from './worker-setup.js';
import { toolCycle } from './worker-tool-cycle.js';
import type { WorkerContext, WorkerOutput } from './worker-types.js';

export { INTERRUPTED_ABORTED, NUDGE } from './worker-setup.js';

/** The summary a finishing call gives: task_complete's, or a verdict's or a plan's note. */
function summaryOf(input: Record<string, unknown> | undefined): string {
  const value = input?.['summary'] ?? input?.['comments'] ?? input?.['comment'] ?? input?.['note'] ?? input?.['title'] ?? '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const maxTurnsReached = ({ context }: { context: WorkerContext }) => withReason(context, `max_turns (${context.settings.maxTurns}) reached without task_complete`);

/** The budget pause is over: its stop is lifted, its count stays (the next pause's id). */
const liftBudget = ({ context }: { context: WorkerContext }) => ({ stop: null, pauses: context.budget.pauses });

/**
 * The worker's agent loop (DESIGN §4): ask the model, route its reply, run its tool calls through
 * the tool cycle (worker-tool-cycle.ts) with pause 1 (approval) and pause 2 (review), and end
 * completed, aborted or failed. Its guards and actions are in worker-setup.ts.
 */
export const workerMachine = workerSetup.createMachine({
  id: 'worker',
  context: ({ input }) => ({
    settings: {
      ticketId: input.ticketId,
      attempt: input.attempt,
      archetype: input.archetype ?? '',
      profile: input.profile,
      system: input.system,
      tools: input.tools,
      maxTurns: input.maxTurns,
      finish: input.finish ?? [],
      qa: input.qa ?? null,
    },
    trust: input.trust,
    trustOverride: input.trustOverride,
    messages: withUserText(input.messages ?? [], input.prompt),
    turns: 0,
    draft: '',
    results: [],
    review: null,
    preview: null,
    refusal: null,
    edits: [],
    usage: { input_tokens: 0, output_tokens: 0 },
    hint: null,
    waiting: null,
    retries: 0,
    outcome: { summary: null, reason: null, finished: null },
    grant: { rerun: null, approveEdited: null },
    budget: { stop: null, pauses: 0 },
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
        input: ({ context: { settings, messages } }) => ({
          ticketId: settings.ticketId,
          attempt: settings.attempt,
          ...(settings.archetype ? { archetype: settings.archetype } : {}),
          profile: settings.profile,
          system: settings.system,
          messages,
          tools: settings.tools,
        }),
        onError: { target: 'failed', actions: assign({ outcome: ({ context, event }) => withReason(context, `model error: ${errorText(event.error)}`) }) },
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
        'model.over_budget': {
          target: 'budgetPaused',
          actions: assign({ budget: ({ context, event }) => ({ stop: event.budget, pauses: context.budget.pauses + 1 }), waiting: null, draft: '' }),
        },
        'model.failed': [
          {
            guard: 'retryable',
            target: 'backoff',
            actions: assign({
              waiting: ({ event }) => ({ reason: event.reason, until: event.retry_at ?? null }),
              retries: ({ context }) => context.retries + 1,
            }),
          },
          { target: 'failed', actions: assign({ outcome: ({ context, event }) => withReason(context, event.reason), waiting: null }) },
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
        { target: 'failed', actions: assign({ outcome: maxTurnsReached }) },
      ],
    },
    toolCycle,
    resultsReady: {
      always: [
        { guard: 'turnsLeft', target: 'prompting', actions: 'appendResults' },
        {
          target: 'failed',
          actions: ['appendResults', assign({ outcome: maxTurnsReached })],
        },
      ],
    },
    // A budget is spent: no model turn goes until the human raises it (the engine applies the raise
    // and checks it lifts the pause) or aborts, which blocks the ticket with the spend as its reason.
    budgetPaused: {
      entry: { type: 'tellTicket', params: { type: 'worker.paused', pause: 'budget' } },
      on: {
        'clutch.raise_budget': { target: 'prompting', actions: [assign({ budget: liftBudget, refusal: null }), { type: 'tellTicket', params: { type: 'worker.resumed' } }] },
        'worker.budget_raised': { target: 'prompting', actions: [assign({ budget: liftBudget }), { type: 'tellTicket', params: { type: 'worker.resumed' } }] },
        'clutch.abort': { target: 'aborted' },
      },
    },
    completed: {
      type: 'final',
      entry: assign({
        outcome: ({ context }) => ({ ...context.outcome, summary: summaryOf(context.outcome.finished?.input ?? current(context)?.input) }),
        messages: ({ context }) => closedMessages(context, 'Not run: the task was completed first.'),
        results: [],
        review: null,
      }),
      output: ({ context: { outcome, messages } }) => ({
        outcome: 'completed' as const,
        summary: outcome.summary ?? '',
        messages,
        ...(outcome.finished ? { finished: outcome.finished } : {}),
      }),
    },
    aborted: {
      type: 'final',
      entry: assign({
        outcome: ({ context, event }) => {
          const said = event.type === 'clutch.abort' && event.reason ? `aborted: ${event.reason}` : 'aborted by the human';
          return { ...context.outcome, reason: context.budget.stop ? `${said} at the budget pause: ${context.budget.stop.reason}` : said };
        },
        messages: ({ context }) => closedMessages(context, 'Not run: aborted by the human.'),
        results: [],
        review: null,
      }),
      output: ({ context }) => ({ outcome: 'aborted' as const, reason: context.outcome.reason ?? 'aborted' }),
    },
    failed: {
      type: 'final',
      entry: assign({
        messages: ({ context }) => closedMessages(context, 'Not run: the worker failed.'),
        results: [],
        review: null,
      }),
      output: ({ context }) => ({ outcome: 'failed' as const, reason: context.outcome.reason ?? 'failed' }),
    },
  },
});
