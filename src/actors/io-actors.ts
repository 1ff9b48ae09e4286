import { fromCallback, fromPromise, type AnyActorRef, type EventObject } from 'xstate';
import type { BudgetStop, StopReason, TokenUsage, ToolPreview } from '../protocol/index.js';
import type { CallModelInput, PreviewToolInput, QaHintInput, QaHintOutput, RunToolInput, RunToolOutput, WaitUntilInput, WorkerEvent } from '../machines/worker-types.js';
import { estimateTokens, ModelError, runTurn, type ModelClient, type ModelTurnRequest } from '../models/model-client.js';
import type { FailureDecision, Lease, WaitUntil } from './rate-limit-types.js';
import { limiterSystemId, type LimiterReply, type LimiterRequest } from './rate-limiter-actor.js';
import { previewTool, toolSpecs } from '../tools/index.js';
import { runToolOnce, type ToolLedger } from './tool-intents.js';
import type { ToolContext } from '../tools/tool.js';
import { errorText } from '../protocol/error-text.js';
import type { MergeWorkspaceInput, MergeWorkspaceOutput, PrepareWorkspaceInput, PrepareWorkspaceOutput, ReviewBriefInput, ReviewBriefOutput } from '../machines/ticket.js';
import type { TicketWorkspaces } from './ticket-workspaces.js';
import { qaHint } from './qa-hint.js';

export interface IoDependencies {
  /** The model client for a profile name from agents.toml. */
  modelFor(profile: string): ModelClient;
  /** The sandbox settings for a ticket's tool calls (its archetype's allow-list and limits). */
  toolContextFor(ticketId: string): ToolContext;
  /** Told about every finished model call, for the journal and the usage ledger. */
  onModelEvent?(event: ModelEvent): void;
  /** Where side-effecting calls record their intents and results; none keeps them in no store. */
  ledger?: ToolLedger;
  /**
   * Told before a file tool writes a file (absolute path), so the ticket's original is kept: reads
   * it (unless the call's plan found no file there: `created`), and returns the step that records
   * it (run with the call's intent), if there is one.
   */
  beforeWrite?(ticketId: string, path: string, created?: boolean): Promise<(() => void) | undefined>;
  /** Worktree isolation: each ticket's worktree, made before its worker starts and merged when it completes. */
  workspaces?: TicketWorkspaces;
  /** Told when a ticket's worktree is ready or its branch has merged (the journal). */
  onWorkspaceEvent?(event: WorkspaceEvent): void;
  /** The skeletons of the files a ticket's dependencies target, for its worker's first message. */
  briefingFor?(ticketId: string): Promise<string | null>;
  /** The ticket's own change, as its reviewer is shown it. */
  reviewDiff?(ticketId: string): Promise<string>;
  /** Told about every QA hint (the journal: the hint and the tokens it saved). */
  onQaHint?(event: QaHintEvent): void;
  /** Whether a key (a ticket's worker, reviewer, or the planner's agents) may make another model turn. */
  budgetCheck?(key: string): BudgetStop | undefined;
}

export interface QaHintEvent {
  ticketId: string;
  attempt: number;
  toolUseId: string;
  archetype: string;
  hint: string;
  saved_tokens: number;
  raw_chars: number;
}

export type WorkspaceEvent =
  | { type: 'prepared'; ticketId: string; attempt: number; path: string; base: string; created: boolean }
  | { type: 'merged'; ticketId: string; attempt: number; commit: string; alreadyMerged: boolean }
  | { type: 'conflict'; ticketId: string; attempt: number; files: string[] };

function workspacesOf(deps: IoDependencies): TicketWorkspaces {
  if (!deps.workspaces) throw new Error('worktree isolation is on, but the engine was given no ticket workspaces');
  return deps.workspaces;
}

/**
 * Makes the ticket's worktree. Rerun after a restore, it finds the worktree there and reuses it
 * (unless the attempt asked for a fresh one, which is then made again before any work was done).
 */
export function prepareWorkspaceLogic(deps: IoDependencies) {
  return fromPromise<PrepareWorkspaceOutput, PrepareWorkspaceInput>(async ({ input }) => {
    let output: PrepareWorkspaceOutput = {};
    if (input.isolated) {
      const prepared = await workspacesOf(deps).prepare(input.ticketId, { fresh: input.fresh, attempt: input.attempt });
      deps.onWorkspaceEvent?.({ type: 'prepared', ticketId: input.ticketId, attempt: input.attempt, ...prepared });
      output = prepared;
    }
    // Read once the worktree is there: it holds what the dependencies merged.
    const briefing = (await deps.briefingFor?.(input.ticketId)) ?? null;
    return briefing ? { ...output, briefing } : output;
  });
}

/** The reviewer's view of the ticket's change: its diff (rerun after a restore, it reads it again). */
export function reviewBriefLogic(deps: IoDependencies) {
  return fromPromise<ReviewBriefOutput, ReviewBriefInput>(async ({ input }) => {
    if (!deps.reviewDiff) throw new Error('the engine was given no way to show a ticket its diff');
    return { diff: await deps.reviewDiff(input.ticketId) };
  });
}

/** QA (tier 4): a failing command's output becomes a short fix hint from the qa archetype's model. */
export function qaHintLogic(deps: IoDependencies) {
  return fromPromise<QaHintOutput, QaHintInput>(async ({ input, signal }) => {
    // A spent budget asks no model: the worker gets the raw output (the hint's failure path), and
    // its own next turn stops at the budget pause.
    const stop = deps.budgetCheck?.(input.ticketId);
    if (stop) throw new Error(`no QA hint: ${stop.reason}`);
    const result = await qaHint(input, deps.modelFor(input.qa.profile), signal);
    deps.onModelEvent?.({ type: 'turn', ticketId: `${input.ticketId}@qa`, attempt: input.attempt, profile: input.qa.profile, stop_reason: result.stop_reason, usage: result.usage });
    deps.onQaHint?.({
      ticketId: input.ticketId,
      attempt: input.attempt,
      toolUseId: input.call.id,
      archetype: input.qa.archetype,
      hint: result.hint,
      saved_tokens: result.saved_tokens,
      raw_chars: input.output.length,
    });
    return { hint: result.hint, content: result.content, saved_tokens: result.saved_tokens };
  });
}

/** Commits and merges the ticket's worktree; rerun after a restore, a branch already merged is not merged again. */
export function mergeWorkspaceLogic(deps: IoDependencies) {
  return fromPromise<MergeWorkspaceOutput, MergeWorkspaceInput>(async ({ input }) => {
    const result = await workspacesOf(deps).merge(input.ticketId, { attempt: input.attempt, summary: input.summary });
    if (result.ok) {
      deps.onWorkspaceEvent?.({ type: 'merged', ticketId: input.ticketId, attempt: input.attempt, commit: result.commit, alreadyMerged: result.alreadyMerged });
      return { ok: true, commit: result.commit };
    }
    deps.onWorkspaceEvent?.({ type: 'conflict', ticketId: input.ticketId, attempt: input.attempt, files: result.conflicts });
    return result;
  });
}

export type ModelEvent =
  | { type: 'turn'; ticketId: string; attempt: number; profile: string; stop_reason: StopReason; usage: TokenUsage }
  | { type: 'budget'; ticketId: string; attempt: number; profile: string; budget: BudgetStop }
  | { type: 'retry'; ticketId: string; attempt: number; profile: string; reason: string; retry_at: number }
  | { type: 'wait'; ticketId: string; attempt: number; profile: string; reason: string; until: number | null };

function inputCharacters(request: ModelTurnRequest): number {
  let total = request.system.length + JSON.stringify(request.messages).length;
  for (const tool of request.tools) total += tool.name.length + tool.description.length + JSON.stringify(tool.input_schema).length;
  return total;
}

/**
 * A model turn as a callback actor: it asks the profile's rate limiter for a slot (telling the
 * worker why it waits: `model.waiting`; `clutch.retry_now` skips the wait), then streams the text
 * deltas to the worker as events; the reply ends it. The limiter decides whether and when a failure is
 * retried. Stopping the actor (abort, ticket stopped) aborts the request. Rerunning it after a
 * restore repeats the same request, which is safe: a turn does not change the workspace.
 */
export function callModelLogic(deps: IoDependencies) {
  return fromCallback<EventObject, CallModelInput>(({ input, sendBack, receive, self, system }) => {
    const controller = new AbortController();
    let settled = false;
    const key = `${input.ticketId}#${input.attempt}`;
    // The profile's scheduler is an actor in the system; its answers come back to this actor.
    const limiter = system.get(limiterSystemId(input.profile)) as AnyActorRef | undefined;
    // The limiter stops with the system (engine.stop(), a run switch): a turn cut short then has no
    // one to tell, and must not wait for an answer that will never come.
    const limiterLive = () => limiter?.getSnapshot().status === 'active';
    const ask = (request: LimiterRequest) => {
      if (limiterLive()) limiter!.send(request);
    };
    let granted: { resolve(lease: Lease): void; reject(error: unknown): void } | undefined;
    let decided: ((decision: FailureDecision) => void) | undefined;
    const turnOf = { ticketId: input.ticketId, attempt: input.attempt, profile: input.profile };
    receive((received) => {
      // The worker (retry now) and the rate limiter (its answers) both talk to this actor.
      const event = received as WorkerEvent | LimiterReply;
      switch (event.type) {
        case 'clutch.retry_now':
          ask({ type: 'limiter.retry_now', key });
          break;
        case 'limiter.waiting':
          deps.onModelEvent?.({ type: 'wait', ...turnOf, reason: event.reason, until: event.until });
          sendBack({ type: 'model.waiting', reason: event.reason, until: event.until });
          break;
        case 'limiter.granted':
          granted?.resolve(event.lease);
          break;
        case 'limiter.refused':
          granted?.reject(event.error);
          break;
        case 'limiter.decision':
          decided?.(event.decision);
          break;
      }
    });
    const client = deps.modelFor(input.profile);
    const request: ModelTurnRequest = {
      ticketId: input.ticketId,
      attempt: input.attempt,
      ...(input.archetype ? { archetype: input.archetype } : {}),
      profile: input.profile,
      system: input.system,
      messages: input.messages,
      tools: toolSpecs(input.tools),
      signal: controller.signal,
    };
    const event = { ticketId: input.ticketId, attempt: input.attempt, profile: input.profile };
    const fail = async (error: unknown, lease: Lease | undefined): Promise<FailureDecision> => {
      const modelError = error instanceof ModelError ? error : undefined;
      const reason = errorText(error);
      if (limiterLive() && lease && modelError) {
        return new Promise((resolve) => {
          decided = resolve;
          ask({ type: 'limiter.failed', lease, error: modelError, replyTo: self });
        });
      }
      if (modelError?.retryable && modelError.retryAt !== undefined) return { retryable: true, retryAt: modelError.retryAt, reason };
      return { retryable: false, reason };
    };
    const stop = deps.budgetCheck?.(input.ticketId);
    if (stop) {
      // A spent budget: the turn never asks the model. The worker waits at its budget pause.
      settled = true;
      deps.onModelEvent?.({ type: 'budget', ...turnOf, budget: stop });
      sendBack({ type: 'model.over_budget', budget: stop });
      return () => {};
    }
    const run = async () => {
      let lease: Lease | undefined;
      if (limiter) {
        lease = await new Promise<Lease>((resolve, reject) => {
          granted = { resolve, reject };
          ask({ type: 'limiter.acquire', key, inputTokens: estimateTokens(inputCharacters(request)), replyTo: self });
        });
        sendBack({ type: 'model.started' });
      }
      try {
        // Only text changes the worker (its draft); a tool call's streamed input is in the reply.
        const reply = await runTurn(client, request, (delta) => {
          if (delta.type === 'text') sendBack({ type: 'model.delta', delta });
        });
        if (lease) ask({ type: 'limiter.succeeded', lease, reply: { usage: reply.usage, limits: reply.limits } });
        return reply;
      } catch (error) {
        throw Object.assign(new Error('model call failed'), { decision: await fail(error, lease) });
      }
    };
    run().then(
      (reply) => {
        settled = true;
        // A client that reports no usage must not stall the worker: count it as zero.
        const usage = reply.usage ?? { input_tokens: 0, output_tokens: 0 };
        deps.onModelEvent?.({ type: 'turn', ...event, stop_reason: reply.stop_reason, usage });
        sendBack({ type: 'model.reply', message: reply.message, stop_reason: reply.stop_reason, usage });
      },
      (error: unknown) => {
        settled = true;
        if (controller.signal.aborted) return;
        const decision: FailureDecision =
          (error as { decision?: FailureDecision }).decision ?? { retryable: false, reason: errorText(error) };
        if (decision.retryable && decision.retryAt !== undefined) {
          deps.onModelEvent?.({ type: 'retry', ...event, reason: decision.reason, retry_at: decision.retryAt });
          sendBack({ type: 'model.failed', reason: decision.reason, retryable: true, retry_at: decision.retryAt });
        } else {
          sendBack({ type: 'model.failed', reason: decision.reason });
        }
      },
    );
    // Only a turn still in flight needs aborting (building the abort reason is not free).
    return () => {
      if (settled) return;
      controller.abort();
      ask({ type: 'limiter.cancel', key });
    };
  });
}

export function runToolLogic(deps: IoDependencies) {
  return fromPromise<RunToolOutput, RunToolInput>(({ input, signal }) =>
    runToolOnce(input, { ...deps.toolContextFor(input.ticketId), signal }, deps.ledger, deps.beforeWrite),
  );
}

export function previewToolLogic(deps: IoDependencies) {
  return fromPromise<ToolPreview, PreviewToolInput>(({ input }) =>
    previewTool(input.call.name, input.call.input, deps.toolContextFor(input.ticketId)),
  );
}

/** Resolves at an absolute deadline; the default uses the wall clock and a timer. */
export type { WaitUntil };

export const wallClockWait: WaitUntil = (until, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });

export function waitUntilLogic(wait: WaitUntil) {
  return fromPromise<void, WaitUntilInput>(({ input, signal }) => wait(input.until, signal));
}
