import {
  checkAssistantMessage,
  checkToolInput,
  currentCall,
  lastAssistant,
  pairResults,
  replaceLast,
  toolCalls,
  withCallInput,
} from './transcript.js';
import type { CheckedEdit, EditRecord, WorkerContext, WorkerEmitted, WorkerEvent } from './worker-types.js';
import { effectiveTrust } from '../protocol/config.js';
import { errorText } from '../protocol/error-text.js';

/** Pure helpers of the worker statechart: how each event changes its context. */

export { errorText };

export function isStep(context: WorkerContext): boolean {
  return effectiveTrust(context.trust, context.trustOverride) === 'step';
}

/** The outcome with the reason the worker stops for (failed or aborted). */
export function withReason(context: WorkerContext, reason: string): WorkerContext['outcome'] {
  return { ...context.outcome, reason };
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
        : context.outcome.finished && call.name === context.outcome.finished.name
          ? 'Accepted.'
        : call.id === context.review?.tool_use_id
          ? 'Ran, but the result was not approved: the worker stopped at the review.'
          : openContent,
    is_error: call.name !== 'task_complete' && !(context.outcome.finished && call.name === context.outcome.finished.name),
  }));
  return [...context.messages, { role: 'user', content: results }];
}

export function journal(context: WorkerContext, edit: EditRecord): WorkerEmitted {
  return { type: 'worker.edit', ticketId: context.settings.ticketId, attempt: context.settings.attempt, edit };
}

/** The call whose result is under review (executing's onDone assigns review first). */
export function lastAssistantCall(context: WorkerContext) {
  const id = context.review?.tool_use_id;
  const call = lastAssistant(context.messages)?.content.find((block) => block.type === 'tool_use' && block.id === id);
  if (!call || call.type !== 'tool_use') throw new Error(`no tool call ${id} in the last message`);
  return call;
}

/**
 * Checks a human edit at a pause once: a payload against the current call's tool schema, a message
 * against the assistant message schema and the transcript. The pause branches on the result.
 */
export function checkEdit(context: WorkerContext, event: WorkerEvent): CheckedEdit {
  if (event.type === 'clutch.edit_payload') {
    const call = current(context);
    const checked = call ? checkToolInput(call.name, event.input, context.settings.tools) : { ok: false as const, reason: 'there is no pending tool call' };
    if (!call || !checked.ok) return refused('edit_payload', event.input, checked.ok ? 'refused' : checked.reason);
    const message = lastAssistant(context.messages)!;
    return {
      ok: true,
      record: { kind: 'edit_payload', accepted: true, toolUseId: call.id, original: call.input, replacement: checked.value },
      messages: replaceLast(context.messages, withCallInput(message, call.id, checked.value)),
      results: context.results,
      review: context.review,
      callLeft: true,
      approve: event.approve === true,
    };
  }
  if (event.type !== 'clutch.edit_message') return refused('edit_message', undefined, 'refused');
  const checked = checkAssistantMessage(event.message, context.settings.tools, context.messages.slice(0, -1));
  if (!checked.ok) return refused('edit_message', event.message, checked.reason);
  const ids = new Set(toolCalls(checked.value).map((call) => call.id));
  const messages = replaceLast(context.messages, checked.value);
  // Results of calls the new message no longer makes are dropped: the model must not see them.
  const results = context.results.filter((result) => ids.has(result.tool_use_id));
  const review = context.review && ids.has(context.review.tool_use_id) ? context.review : null;
  return {
    ok: true,
    record: { kind: 'edit_message', accepted: true, original: context.messages.at(-1), replacement: checked.value },
    messages,
    results,
    review,
    callLeft: currentCall(messages, results, review) !== undefined,
    approve: false,
  };
}

function refused(kind: 'edit_payload' | 'edit_message', replacement: unknown, reason: string): CheckedEdit {
  return { ok: false, record: { kind, accepted: false, original: null, replacement: compactRefused(replacement), reason } };
}

/** The edits a worker's context keeps (the view shows them); the journal keeps every one. */
export const EDITS_KEPT = 20;

/** Longest text of a refused edit that is kept: it changed nothing, so its head is enough to see why. */
export const REFUSED_TEXT_KEPT = 2000;

/**
 * A refused edit as it is kept and journaled: short ones as they were, a long one as the head of
 * its JSON text and its length. A flood of large refusals must not grow every snapshot and view.
 */
function compactRefused(replacement: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(replacement);
  } catch {
    return { unserializable: true };
  }
  if (text === undefined || text.length <= REFUSED_TEXT_KEPT) return replacement;
  return { truncated: text.slice(0, REFUSED_TEXT_KEPT), length: text.length };
}

function kept(edits: EditRecord[], edit: EditRecord): EditRecord[] {
  const next = [...edits, edit];
  return next.length > EDITS_KEPT ? next.slice(next.length - EDITS_KEPT) : next;
}

/** An accepted edit: the transcript it leads to, journaled with what it replaced. */
export function editUpdate(context: WorkerContext, edit: CheckedEdit): Partial<WorkerContext> {
  if (!edit.ok) return { refusal: edit.record.reason, edits: kept(context.edits, edit.record) };
  const approveEdited = edit.approve && edit.callLeft ? (currentCall(edit.messages, edit.results, edit.review)?.id ?? null) : null;
  return {
    messages: edit.messages,
    results: edit.results,
    review: edit.review,
    edits: kept(context.edits, edit.record),
    refusal: null,
    preview: null,
    grant: { ...context.grant, approveEdited },
  };
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
    edits: kept(context.edits, edit),
    refusal: null,
  };
}
