import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { ModelDelta } from '../protocol/index.js';
import { ModelError, type ModelClient, type ModelErrorKind, type ModelReply, type ModelTurnRequest } from './model-client.js';
import { ModelSetupError } from './model-setup-error.js';
import { errorText } from '../protocol/error-text.js';

/**
 * Record and replay of model calls. A cassette is JSONL, one line per model call in the order the
 * calls ended: what was asked (everything but the abort signal) and what came back, a reply or an
 * error. Replaying answers from the cassette with no network; a request that differs from the
 * recorded one is an error naming the ticket, the turn and the first differing field. API keys
 * never enter a request, so they never enter a cassette.
 */

interface RecordedRequest {
  profile: string;
  system: string;
  messages: ModelTurnRequest['messages'];
  tools: ModelTurnRequest['tools'];
}

interface RecordedError {
  message: string;
  retryable: boolean;
  kind: ModelErrorKind;
  status?: number;
  /** retryAt as a delay from the call's end, so a replay on another clock keeps the gap. */
  retry_after_ms?: number;
}

export interface CassetteEntry {
  ticket: string;
  attempt: number;
  /** 1 for the first model call of the attempt: assistant messages in the request + 1. */
  turn: number;
  request: RecordedRequest;
  reply?: ModelReply;
  error?: RecordedError;
}

function turnOf(request: ModelTurnRequest): number {
  return request.messages.filter((message) => message.role === 'assistant').length + 1;
}

function recordedRequest(request: ModelTurnRequest): RecordedRequest {
  return { profile: request.profile, system: request.system, messages: request.messages, tools: request.tools };
}

/** Wraps clients so that every call is appended to `file` (truncated when the recorder is made). */
export function createRecorder(file: string, now: () => number = Date.now): (client: ModelClient) => ModelClient {
  writeFileSync(file, '');
  const write = (entry: CassetteEntry) => appendFileSync(file, `${JSON.stringify(entry)}\n`);
  return (client) => ({
    label: client.label,
    async *turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
      const head = { ticket: request.ticketId, attempt: request.attempt, turn: turnOf(request), request: recordedRequest(request) };
      try {
        const reply = yield* client.turn(request);
        write({ ...head, reply });
        return reply;
      } catch (error) {
        if (error instanceof ModelError && error.kind !== 'aborted') {
          write({
            ...head,
            error: {
              message: error.message,
              retryable: error.retryable,
              kind: error.kind,
              ...(error.status !== undefined ? { status: error.status } : {}),
              ...(error.retryAt !== undefined ? { retry_after_ms: Math.max(0, error.retryAt - now()) } : {}),
            },
          });
        }
        throw error;
      }
    },
  });
}

/** The path of the first place where two JSON values differ, or undefined when they are equal. */
export function firstDifference(recorded: unknown, actual: unknown, path = ''): string | undefined {
  if (Object.is(recorded, actual)) return undefined;
  if (typeof recorded !== 'object' || typeof actual !== 'object' || recorded === null || actual === null || Array.isArray(recorded) !== Array.isArray(actual)) {
    return path || '(the whole request)';
  }
  if (Array.isArray(recorded) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(recorded.length, actual.length); i++) {
      const found = firstDifference(recorded[i], actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  const a = recorded as Record<string, unknown>;
  const b = actual as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function loadCassette(file: string): CassetteEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelSetupError(`${file}: cannot read the cassette: ${errorText(error)}`, { file, cause: error });
  }
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '')
    .map(({ line, index }) => {
      try {
        return JSON.parse(line) as CassetteEntry;
      } catch {
        throw new ModelSetupError(`${file}:${index + 1}: not a cassette line (invalid JSON)`, { file, line: index + 1 });
      }
    });
}

/** A client that answers from a cassette. Calls with the same ticket, attempt and turn (retries) are answered in recorded order. */
export function createReplayModel(entries: readonly CassetteEntry[], options: { source: string; now?: () => number }): ModelClient {
  const now = options.now ?? Date.now;
  const queues = new Map<string, CassetteEntry[]>();
  for (const entry of entries) {
    const key = `${entry.ticket}#${entry.attempt}#${entry.turn}`;
    queues.set(key, [...(queues.get(key) ?? []), entry]);
  }
  async function* turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    const where = `ticket ${request.ticketId}, attempt ${request.attempt}, turn ${turnOf(request)}`;
    const entry = queues.get(`${request.ticketId}#${request.attempt}#${turnOf(request)}`)?.shift();
    if (!entry) {
      throw new ModelError(`replay: ${options.source} has no recorded model call for ${where}`, { retryable: false, kind: 'replay' });
    }
    const path = firstDifference(entry.request, recordedRequest(request));
    if (path) {
      throw new ModelError(
        `replay: the request for ${where} differs from the recorded one at ${path}: ` +
          `recorded ${preview(valueAt(entry.request, path))}, now ${preview(valueAt(recordedRequest(request), path))}`,
        { retryable: false, kind: 'replay' },
      );
    }
    if (entry.error) {
      const { message, retryable, kind, status, retry_after_ms } = entry.error;
      throw new ModelError(message, {
        retryable,
        kind,
        ...(status !== undefined ? { status } : {}),
        ...(retry_after_ms !== undefined ? { retryAt: now() + retry_after_ms } : {}),
      });
    }
    const reply = structuredClone(entry.reply!);
    for (const [index, block] of reply.message.content.entries()) {
      if (block.type === 'text') yield { type: 'text', index, text: block.text };
      else yield { type: 'tool_input', index, id: block.id, name: block.name, partial_json: JSON.stringify(block.input) };
    }
    // Limits were about the recording's moment; a replay has no provider to respect.
    delete reply.limits;
    return reply;
  }
  return { label: `replay of ${options.source}`, turn };
}
