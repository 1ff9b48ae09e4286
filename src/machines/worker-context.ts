import {
  checkAssistantMessage,
  checkToolInput,
  currentCall,
  lastAssistant,
  pairResults,
  replaceLast,
  withCallInput,
} from './transcript.js';
import type { EditRecord, WorkerContext, WorkerEmitted, WorkerEvent } from './worker-types.js';

/** Pure helpers of the worker statechart: how each event changes its context. */

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isStep(context: WorkerContext): boolean {
  const effective = context.trustOverride === 'none' ? context.trust : context.trustOverride;
  return effective === 'step';
}

export function current(context: WorkerContext) {
  return currentCall(context.messages, context.results, context.review);
}

/** The worker's transcript with every open call answered, as it stands when the worker stops. */
export function closedMessages(context: WorkerContext, openContent: string): WorkerContext['messages'] {
  const message = lastAssistant(context.messages);
  if (!message || !message.content.some((block) => block.type === 'tool_use')) return context.messages;
  // A result still under review was never approved: its output stays out of the transcript.
  const results = pairResults(message, context.results, (call) => ({
    type: 'tool_result',
    tool_use_id: call.id,
    content:
      call.name === 'task_complete'
        ? 'Task marked complete.'
        : call.id === context.review?.tool_use_id
          ? 'Ran, but the result was not approved: the worker stopped at the review.'
          : openContent,
    is_error: call.name !== 'task_complete',
  }));
  return [...context.messages, { role: 'user', content: results }];
}

export function journal(context: WorkerContext, edit: EditRecord): WorkerEmitted {
  return { type: 'worker.edit', ticketId: context.ticketId, attempt: context.attempt, edit };
}

/** The call whose result is under review (executing's onDone assigns review first). */
export function lastAssistantCall(context: WorkerContext) {
  const id = context.review?.tool_use_id;
  const call = lastAssistant(context.messages)?.content.find((block) => block.type === 'tool_use' && block.id === id);
  if (!call || call.type !== 'tool_use') throw new Error(`no tool call ${id} in the last message`);
  return call;
}

export function payloadUpdate(context: WorkerContext, event: WorkerEvent): Partial<WorkerContext> {
  {
    if (event.type !== 'clutch.edit_payload') return {};
    const call = current(context)!;
    const checked = checkToolInput(call.name, event.input, context.tools);
    if (!checked.ok) return {};
    const message = lastAssistant(context.messages)!;
    const edit: EditRecord = { kind: 'edit_payload', accepted: true, toolUseId: call.id, original: call.input, replacement: checked.value };
    return {
      messages: replaceLast(context.messages, withCallInput(message, call.id, checked.value)),
      edits: [...context.edits, edit],
      refusal: null,
      preview: null,
    };
  }
}

export function messageUpdate(context: WorkerContext, event: WorkerEvent): Partial<WorkerContext> {
  {
    if (event.type !== 'clutch.edit_message') return {};
    const checked = checkAssistantMessage(event.message, context.tools, context.messages.slice(0, -1));
    if (!checked.ok) return {};
    const ids = new Set(checked.value.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : [])));
    const edit: EditRecord = { kind: 'edit_message', accepted: true, original: context.messages.at(-1), replacement: checked.value };
    return {
      messages: replaceLast(context.messages, checked.value),
      // Results of calls the new message no longer makes are dropped: the model must not see them.
      results: context.results.filter((result) => ids.has(result.tool_use_id)),
      edits: [...context.edits, edit],
      refusal: null,
      preview: null,
    };
  }
}

export function refusalUpdate(context: WorkerContext, event: WorkerEvent): Partial<WorkerContext> {
  const kind = event.type === 'clutch.edit_payload' ? 'edit_payload' : 'edit_message';
  {
    let reason = 'refused';
    let replacement: unknown;
    if (event.type === 'clutch.edit_payload') {
      replacement = event.input;
      const call = current(context);
      const checked = call ? checkToolInput(call.name, event.input, context.tools) : { ok: false as const, reason: 'there is no pending tool call' };
      reason = checked.ok ? reason : checked.reason;
    } else if (event.type === 'clutch.edit_message') {
      replacement = event.message;
      const checked = checkAssistantMessage(event.message, context.tools, context.messages.slice(0, -1));
      reason = checked.ok ? reason : checked.reason;
    }
    const edit: EditRecord = { kind, accepted: false, original: null, replacement, reason };
    return { refusal: reason, edits: [...context.edits, edit] };
  }
}

export function resultUpdate(context: WorkerContext, event: WorkerEvent): Partial<WorkerContext> {
  if (event.type !== 'clutch.edit_result' || !context.review) return {};
  const edit: EditRecord = {
    kind: 'edit_result',
    accepted: true,
    toolUseId: context.review.tool_use_id,
    original: context.review.content,
    replacement: event.output,
  };
  return {
    review: { ...context.review, content: event.output, is_error: event.is_error ?? context.review.is_error },
    edits: [...context.edits, edit],
    refusal: null,
  };
}
