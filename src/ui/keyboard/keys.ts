/** The single-key answers of the run view. They never fire while the human types in an editor. */
export type KeyAction = 'approve' | 'edit' | 'abort' | 'next' | 'previous' | 'help' | 'leave';

export const keyMap: readonly { key: string; action: KeyAction; text: string }[] = [
  { key: 'a', action: 'approve', text: 'Approve the pause in focus. With an edit in its editor: apply the edit and approve.' },
  { key: 'e', action: 'edit', text: 'Edit: put the cursor in its editor (the payload, the proposed file, the output, or the new limit at a budget pause).' },
  { key: 'x', action: 'abort', text: 'Abort the call; its ticket is blocked (Retry offers it again).' },
  { key: 'j', action: 'next', text: 'Next pending pause in the approval inbox.' },
  { key: 'k', action: 'previous', text: 'Previous pending pause.' },
  { key: '?', action: 'help', text: 'Show or hide this list.' },
  { key: 'Escape', action: 'leave', text: 'Leave the editor (then the keys work again), or close this list.' },
];

const byKey = new Map(keyMap.map((entry) => [entry.key, entry.action]));

/** Input types a key press does not type into. */
const pressable = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

/** Whether a key press there is typing (an editor, a text field), which no shortcut may take. */
export function isTyping(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const element = target as HTMLElement;
  if (element.isContentEditable || element.closest('[contenteditable="true"], .cm-editor')) return true;
  const tag = element.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  return tag === 'INPUT' && !pressable.has((element as HTMLInputElement).type);
}

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** The action a key press asks for, or null: typing, a chord with a modifier, an unmapped key. */
export function keyAction(press: KeyPress): KeyAction | null {
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  if (isTyping(press.target)) return null;
  return byKey.get(press.key) ?? null;
}

/** j/k: the pending pause after (or before) the current one, in inbox order; stays at either end. */
export function step(pending: readonly string[], current: string | null, direction: 1 | -1): string | null {
  if (pending.length === 0) return null;
  const at = current === null ? -1 : pending.indexOf(current);
  if (at === -1) return direction === 1 ? pending[0]! : pending.at(-1)!;
  return pending[Math.min(pending.length - 1, Math.max(0, at + direction))]!;
}

/**
 * Where focus goes once the ticket in focus needs nothing more (it completed, or was aborted): the
 * next pending pause after it in track order, else the first one before it.
 */
export function nextPending(pending: readonly string[], order: readonly string[], after: string): string | null {
  if (pending.length === 0) return null;
  const from = order.indexOf(after);
  const later = pending.find((id) => order.indexOf(id) > from);
  return later ?? pending[0]!;
}
