import type { z } from 'zod';
import type { CallName, ClientMessage } from '../protocol/wire.js';
import { clientMessageSchema, isCallName } from '../protocol/wire-schema.js';
import { errorText } from '../protocol/error-text.js';
import { isWellFormed, jsonProblem } from './json-guard.js';

/** The largest client message read; anything bigger is refused unread. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** A bad message names the call it was meant to be, when it says, so that the refusal goes back under its id. */
export type Inbound = { ok: true; message: ClientMessage } | { ok: false; error: string; call?: { type: CallName; id: string } };

/**
 * Reads one client frame. A bad one is a value with a reason a person can act on, and the id of
 * the call when there is one to reply to; it never throws.
 */
export function parseClientMessage(text: string, bytes: number, maxBytes = MAX_MESSAGE_BYTES): Inbound {
  if (bytes > maxBytes) return { ok: false, error: `message too large: ${bytes} bytes (the limit is ${maxBytes})` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `message is not JSON: ${errorText(error)}` };
  }
  const call = callOf(data);
  // Before the schema: a field the schema passes through as is (a payload, a message) must be sound too.
  const problem = jsonProblem(data);
  if (problem !== undefined) return { ok: false, error: `invalid message: ${problem}; nothing was done`, ...(call ? { call } : {}) };
  const parsed = clientMessageSchema.safeParse(data);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: describe(parsed.error, data), ...(call ? { call } : {}) };
}

/** The type and id of what is a call by its type, and has an id that could be replied to. */
function callOf(data: unknown): { type: CallName; id: string } | undefined {
  if (!isRecord(data)) return undefined;
  const { type, id } = data;
  if (!isCallName(type)) return undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 && isWellFormed(id) ? { type, id } : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let value = data;
  for (const step of path) value = isRecord(value) ? value[step as string] : undefined;
  return value;
}

function describe(error: z.ZodError, data: unknown): string {
  const reasons = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      const got = valueAt(data, issue.path);
      const what = where === 'command.type' ? 'command' : where === 'type' ? 'message type' : where;
      const shown = got === undefined ? 'missing' : `"${String(got).slice(0, 80)}"`;
      return `unknown ${what} ${shown} (expected one of: ${issue.options.map(String).join(', ')})`;
    }
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `invalid message: ${reasons.join('; ')}${more}`;
}
