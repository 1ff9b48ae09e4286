import type { z } from 'zod';
import { clientMessageSchema, questionSchema, type InboundMessage } from '../protocol/wire.js';

/** The largest client message read; anything bigger is refused unread. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export type Inbound = { ok: true; message: InboundMessage } | { ok: false; error: string; id?: string };

/**
 * Reads one client frame. A bad one is a value with a reason a person can act on, and the id of
 * the command when there is one to reply to; it never throws.
 */
export function parseClientMessage(text: string, bytes: number, maxBytes = MAX_MESSAGE_BYTES): Inbound {
  if (bytes > maxBytes) return { ok: false, error: `message too large: ${bytes} bytes (the limit is ${maxBytes})` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `message is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  // The inspector's question is checked on its own; anything else must be a command, and an unknown
  // type is reported against the commands (what a person typing messages would be after).
  const parsed = isRecord(data) && QUESTIONS.has(data['type']) ? questionSchema.safeParse(data) : clientMessageSchema.safeParse(data);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = idOf(data);
  return { ok: false, error: describe(parsed.error, data), ...(id ? { id } : {}) };
}

const QUESTIONS: ReadonlySet<unknown> = new Set(questionSchema.options.map((option) => option.shape.type.value));

function idOf(data: unknown): string | undefined {
  if (!isRecord(data) || (data['type'] !== 'command' && !QUESTIONS.has(data['type']))) return undefined;
  const id = data['id'];
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
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
