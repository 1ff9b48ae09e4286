import type { Command, PauseRef } from '../../protocol/index.js';
import { parseJson } from '../json-text.js';
import { payloadFor, type FileProposal } from './proposed.js';

/**
 * What the primary answer at pause 1 does, given the editors: approve the call as the engine holds
 * it, or apply the human's edit and approve it in one command, or nothing (the edit is invalid; why).
 * An edit the engine has not got is never dropped by approving the original.
 */
export type PayloadAnswer = { kind: 'approve' } | { kind: 'edit'; input: unknown } | { kind: 'invalid'; error: string };

export interface PayloadEditors {
  /** The call's input as the engine holds it. */
  input: Record<string, unknown>;
  /** 'file': the diff editor's text is the answer; 'json': the JSON editor's. */
  mode: 'file' | 'json';
  proposal: FileProposal | null;
  json: string;
  file: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function payloadAnswer(editors: PayloadEditors): PayloadAnswer {
  if (editors.mode === 'file' && editors.proposal) {
    if (editors.file === editors.proposal.after) return { kind: 'approve' };
    const derived = payloadFor(editors.proposal, editors.input, editors.file);
    if (!derived.ok) return { kind: 'invalid', error: derived.error };
    return same(derived.input, editors.input) ? { kind: 'approve' } : { kind: 'edit', input: derived.input };
  }
  const parsed = parseJson(editors.json);
  if (!parsed.ok) return { kind: 'invalid', error: `Invalid JSON: ${parsed.error}` };
  // Whitespace and layout are not an edit: only a different value is.
  return same(parsed.value, editors.input) ? { kind: 'approve' } : { kind: 'edit', input: parsed.value };
}

/** The primary button for an answer: its label, and the one command it sends. */
export function primaryAnswer(answer: PayloadAnswer, pause: PauseRef): { label: string; command: Command } {
  switch (answer.kind) {
    case 'approve':
      return { label: 'Approve', command: { type: 'clutch.approve', pause } };
    case 'edit':
      return { label: 'Apply edit and approve', command: { type: 'clutch.edit_payload', pause, input: answer.input, approve: true } };
    case 'invalid':
      // Still named for the edit it would apply, and disabled: the edit is never silently left out.
      return { label: 'Apply edit and approve', command: { type: 'clutch.edit_payload', pause, input: null, approve: true } };
  }
}

/** The same for pause 2: the output and its error flag as edited, against the result under review. */
export function primaryReview(
  edited: { output: string; isError: boolean },
  result: { content: string; is_error?: boolean },
  pause: PauseRef,
): { label: string; command: Command; changed: boolean } {
  const changed = edited.output !== result.content || edited.isError !== (result.is_error ?? false);
  return changed
    ? { label: 'Apply edit and approve', command: { type: 'clutch.edit_result', pause, output: edited.output, is_error: edited.isError, approve: true }, changed }
    : { label: 'Approve', command: { type: 'clutch.approve', pause }, changed };
}
