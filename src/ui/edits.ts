import type { ModelMessage } from '../protocol/index.js';
import type { EditEntry } from '../protocol/workbench.js';

/**
 * Where the human's edits sit in a transcript: an edited payload on its tool_use block, an edited
 * result on its tool_result block, a rewritten message on the message. Pure.
 */

/** One accepted edit, from the journal (edits call) or, without it, from the worker's view. */
export interface EditLike {
  kind: EditEntry['kind'];
  accepted: boolean;
  tool_use_id?: string;
  original: unknown;
  replacement: unknown;
  /** Why a refused edit was refused. */
  reason?: string;
  attempt?: number;
  at?: number;
  seq?: number;
}

export interface TranscriptEdits {
  /** Payload edits by tool_use id. */
  calls: Map<string, EditLike[]>;
  /** Result edits by tool_use id. */
  results: Map<string, EditLike[]>;
  /** Message rewrites by message index. */
  messages: Map<number, EditLike[]>;
}

/** The worker view's record of an edit, in the journal's shape. */
export function fromRecord(record: { kind: EditEntry['kind']; accepted: boolean; toolUseId?: string; original: unknown; replacement: unknown }): EditLike {
  return {
    kind: record.kind,
    accepted: record.accepted,
    ...(record.toolUseId !== undefined ? { tool_use_id: record.toolUseId } : {}),
    original: record.original,
    replacement: record.replacement,
  };
}

/**
 * A message by what identifies it through later edits: its text and its calls' ids (a payload
 * edit rewrites a call's input, never its id).
 */
function signature(message: unknown): string | null {
  if (!message || typeof message !== 'object') return null;
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') return JSON.stringify([content]);
  if (!Array.isArray(content)) return null;
  return JSON.stringify(
    content.map((block: unknown) => {
      const item = (block ?? {}) as { type?: unknown; text?: unknown; id?: unknown };
      return item.type === 'text' ? ['text', item.text] : item.type === 'tool_use' ? ['tool_use', item.id] : [String(item.type)];
    }),
  );
}

function push<K>(map: Map<K, EditLike[]>, key: K, edit: EditLike): void {
  const list = map.get(key);
  if (list) list.push(edit);
  else map.set(key, [edit]);
}

/** Places the accepted edits (oldest first) on the transcript; refused ones changed nothing and get no mark. */
export function editsOnTranscript(messages: readonly ModelMessage[], edits: readonly EditLike[]): TranscriptEdits {
  const placed: TranscriptEdits = { calls: new Map(), results: new Map(), messages: new Map() };
  const accepted = edits.filter((edit) => edit.accepted);
  for (const edit of accepted) {
    if (edit.kind === 'edit_payload' && edit.tool_use_id) push(placed.calls, edit.tool_use_id, edit);
    if (edit.kind === 'edit_result' && edit.tool_use_id) push(placed.results, edit.tool_use_id, edit);
  }
  // Rewrites, newest first: the newest is the message as it stands; an older one is on the same
  // message when what it wrote is what a later rewrite of that message replaced.
  const rewrites = accepted.filter((edit) => edit.kind === 'edit_message');
  const signatures = messages.map((message) => (message.role === 'assistant' ? signature(message) : null));
  const assigned: { index: number; original: string | null }[] = [];
  let before = messages.length;
  const found: [number, EditLike][] = [];
  for (let k = rewrites.length - 1; k >= 0; k -= 1) {
    const edit = rewrites[k]!;
    const wrote = signature(edit.replacement);
    if (wrote === null) continue;
    const chained = assigned.find((later) => later.original === wrote);
    let index = chained?.index ?? -1;
    if (index < 0) {
      for (let m = before - 1; m >= 0; m -= 1) {
        if (signatures[m] === wrote) {
          index = m;
          break;
        }
      }
    }
    if (index < 0) continue;
    before = Math.min(before, index + 1);
    assigned.push({ index, original: signature(edit.original) });
    found.push([index, edit]);
  }
  for (const [index, edit] of found.reverse()) push(placed.messages, index, edit);
  return placed;
}

/** An edit's side as text to read: a string as it is, anything else as indented JSON. */
export function editText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(nothing)';
  return JSON.stringify(value, null, 2);
}

/** The journal's edits of one attempt, in the shape of EditLike. */
export function ofAttempt(entries: readonly EditEntry[], attempt: number): EditLike[] {
  return entries.filter((entry) => entry.attempt === attempt).map((entry) => ({ ...entry }));
}
