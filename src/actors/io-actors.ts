import { fromCallback, fromPromise } from 'xstate';
import type { ToolOutput, ToolPreview } from '../protocol/index.js';
import type { CallModelInput, PreviewToolInput, RunToolInput, WaitUntilInput, WorkerEvent } from '../machines/worker-types.js';
import { ModelError, runTurn, type ModelClient } from '../models/model-client.js';
import { executeTool, previewTool, toolSpecs } from '../tools/index.js';
import type { ToolContext } from '../tools/tool.js';

export interface IoDependencies {
  /** The model client for a profile name from agents.toml. */
  modelFor(profile: string): ModelClient;
  /** The sandbox settings for a ticket's tool calls (its archetype's allow-list and limits). */
  toolContextFor(ticketId: string): ToolContext;
}

/**
 * A model turn as a callback actor: deltas stream to the worker as events, the reply ends it.
 * Stopping the actor (abort, ticket stopped) aborts the request. Rerunning it after a restore
 * repeats the same request, which is safe: a turn does not change the workspace.
 */
export function callModelLogic(deps: IoDependencies) {
  return fromCallback<WorkerEvent, CallModelInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    let settled = false;
    const client = deps.modelFor(input.profile);
    runTurn(
      client,
      {
        ticketId: input.ticketId,
        attempt: input.attempt,
        profile: input.profile,
        system: input.system,
        messages: input.messages,
        tools: toolSpecs(input.tools),
        signal: controller.signal,
      },
      (delta) => sendBack({ type: 'model.delta', delta }),
    ).then(
      (reply) => {
        settled = true;
        sendBack({ type: 'model.reply', message: reply.message, stop_reason: reply.stop_reason, usage: reply.usage });
      },
      (error: unknown) => {
        settled = true;
        if (controller.signal.aborted) return;
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof ModelError && error.retryable && error.retryAt !== undefined) {
          sendBack({ type: 'model.failed', reason, retryable: true, retry_at: error.retryAt });
        } else {
          sendBack({ type: 'model.failed', reason });
        }
      },
    );
    // Only a turn still in flight needs aborting (building the abort reason is not free).
    return () => {
      if (!settled) controller.abort();
    };
  });
}

export function runToolLogic(deps: IoDependencies) {
  return fromPromise<ToolOutput, RunToolInput>(({ input, signal }) =>
    executeTool(input.call.name, input.call.input, { ...deps.toolContextFor(input.ticketId), signal }),
  );
}

export function previewToolLogic(deps: IoDependencies) {
  return fromPromise<ToolPreview, PreviewToolInput>(({ input }) =>
    previewTool(input.call.name, input.call.input, deps.toolContextFor(input.ticketId)),
  );
}

/** Resolves at an absolute deadline; the default uses the wall clock and a timer. */
export type WaitUntil = (until: number, signal: AbortSignal) => Promise<void>;

export const wallClockWait: WaitUntil = (until, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });

export function waitUntilLogic(wait: WaitUntil) {
  return fromPromise<void, WaitUntilInput>(({ input, signal }) => wait(input.until, signal));
}
