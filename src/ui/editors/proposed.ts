import type { ToolPreview, ToolUseBlock } from '../../protocol/index.js';

/**
 * The file a write_file or edit_file call proposes, as whole texts: what the diff editor shows
 * (the file as it is beside the file as the call would leave it) and edits.
 */
export interface FileProposal {
  tool: 'write_file' | 'edit_file';
  path: string;
  created: boolean;
  before: string;
  after: string;
}

export type Derived = { ok: true; input: Record<string, unknown> } | { ok: false; error: string };

/** The proposal of a call at pause 1, when its tool writes a file and its preview carries both texts. */
export function fileProposal(call: ToolUseBlock | undefined, preview: ToolPreview | null): FileProposal | null {
  if (!call || (call.name !== 'write_file' && call.name !== 'edit_file')) return null;
  if (preview?.kind !== 'diff' || preview.before === undefined || preview.after === undefined) return null;
  return { tool: call.name, path: preview.path, created: preview.created, before: preview.before, after: preview.after };
}

/** Start offsets of the non-overlapping occurrences of needle, as edit_file counts them. */
function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  let at = haystack.indexOf(needle);
  while (at !== -1) {
    found.push(at);
    at = haystack.indexOf(needle, at + needle.length);
  }
  return found;
}

/**
 * The file text an edited payload would produce, to show it in the diff editor again after the
 * JSON was edited; an error when the payload cannot be applied to the file (edit_file's own rules).
 */
export function proposedText(proposal: FileProposal, input: unknown): { ok: true; text: string } | { ok: false; error: string } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, error: 'the payload is not a JSON object' };
  const fields = input as Record<string, unknown>;
  if (proposal.tool === 'write_file') {
    return typeof fields['content'] === 'string' ? { ok: true, text: fields['content'] } : { ok: false, error: 'the payload has no string "content"' };
  }
  const { old_string: old, new_string: replacement, replace_all: all } = fields;
  if (typeof old !== 'string' || old === '' || typeof replacement !== 'string') {
    return { ok: false, error: 'the payload needs a non-empty string "old_string" and a string "new_string"' };
  }
  const starts = occurrences(proposal.before, old);
  if (starts.length === 0) return { ok: false, error: 'its old_string is not in the file' };
  if (starts.length > 1 && all !== true) return { ok: false, error: `its old_string occurs ${starts.length} times in the file and replace_all is not set` };
  const chosen = all === true ? starts : starts.slice(0, 1);
  let text = '';
  let from = 0;
  for (const start of chosen) {
    text += proposal.before.slice(from, start) + replacement;
    from = start + old.length;
  }
  return { ok: true, text: text + proposal.before.slice(from) };
}

/** The length of the common prefix of a and b. */
function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let at = 0;
  while (at < limit && a.charCodeAt(at) === b.charCodeAt(at)) at += 1;
  return at;
}

/** The length of the common suffix of a and b that does not reach into the first `floor` characters. */
function commonSuffix(a: string, b: string, floor: number): number {
  const limit = Math.min(a.length, b.length) - floor;
  let at = 0;
  while (at < limit && a.charCodeAt(a.length - 1 - at) === b.charCodeAt(b.length - 1 - at)) at += 1;
  return at;
}

/**
 * The edit_file payload that turns the file into `text`: one old_string/new_string pair around
 * everything that differs, widened to whole lines and then line by line until old_string occurs
 * exactly once, so the tool makes exactly this change.
 */
export function deriveEdit(before: string, text: string): { ok: true; old_string: string; new_string: string } | { ok: false; error: string } {
  if (text === before) return { ok: false, error: 'every change is rejected: the file would stay as it is (abort the call, or keep a change)' };
  if (before === '') return { ok: false, error: 'the file is empty: edit_file cannot change an empty file' };
  const prefix = commonPrefix(before, text);
  const suffix = commonSuffix(before, text, prefix);
  const lineStartBefore = (at: number) => (at <= 0 ? 0 : before.lastIndexOf('\n', at - 1) + 1);
  const lineEnd = (from: number) => {
    const at = before.indexOf('\n', from);
    return at === -1 ? before.length : at;
  };
  // before[start, before.length - tail) becomes text[start, text.length - tail); around it both
  // texts are the same, so widening the range within that shared text changes nothing else.
  let start = lineStartBefore(prefix);
  let tail = before.length - lineEnd(before.length - suffix);
  for (;;) {
    const old = before.slice(start, before.length - tail);
    const found = old === '' ? [] : occurrences(before, old);
    if (found.length === 1 && found[0] === start) {
      return { ok: true, old_string: old, new_string: text.slice(start, text.length - tail) };
    }
    if (start === 0 && tail === 0) return { ok: false, error: 'no unique old_string covers the change' };
    // One more line on each side.
    start = lineStartBefore(start - 1);
    tail = tail === 0 ? 0 : before.length - lineEnd(before.length - tail + 1);
  }
}

/** The payload that makes the call leave the file as `text`. */
export function payloadFor(proposal: FileProposal, input: Record<string, unknown>, text: string): Derived {
  if (proposal.tool === 'write_file') return { ok: true, input: { ...input, content: text } };
  const edit = deriveEdit(proposal.before, text);
  if (!edit.ok) return edit;
  const { replace_all: _all, ...rest } = input;
  const derived = { ...rest, old_string: edit.old_string, new_string: edit.new_string };
  // The tool's own rules applied to the derived payload must give exactly the edited file.
  const check = proposedText(proposal, derived);
  if (!check.ok || check.text !== text) return { ok: false, error: 'the edited file cannot be expressed as one edit_file replacement' };
  return { ok: true, input: derived };
}
