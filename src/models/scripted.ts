import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AssistantMessage, ModelDelta, ModelMessage } from '../protocol/index.js';
import { estimateTokens, ModelError, type ModelClient, type ModelReply, type ModelTurnRequest } from './model-client.js';
import { parseScriptText, type ReplyList, type Script, type TicketScript } from './script-schema.js';
import { ModelSetupError } from './model-setup-error.js';
import { errorText } from '../protocol/error-text.js';

export { parseScript, parseScriptText, formatPath } from './script-schema.js';
export type { Script, TicketScript, ReplyList, AgentScript } from './script-schema.js';

/** Reads and validates a script file; the error message names the file and what is wrong. */
export async function loadScript(path: string): Promise<Script> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = errorText(error);
    throw new ModelSetupError(`${path}: cannot read the script: ${reason}`, { file: path, cause: error });
  }
  return parseScriptText(text, path);
}

/** loadScript for checks that run before anything starts (validate, and run before its folder exists). */
export function readScript(path: string): Script {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : errorText(error);
    throw new ModelSetupError(`${path}: cannot read the script: ${reason}`, { file: path, cause: error });
  }
  return parseScriptText(text, path);
}

export interface ScriptedModelOptions {
  script: Script;
  /** Characters per streamed delta (default 24); 0 or Infinity streams each block in one delta. */
  chunkSize?: number;
  /** Pause between deltas in milliseconds (default 0: no timers at all). */
  chunkDelayMs?: number;
  /** How to wait chunkDelayMs; injectable so tests never sleep. Defaults to setTimeout. */
  delay?: (ms: number) => Promise<void>;
}

const DEFAULT_CHUNK_SIZE = 24;

/**
 * The embedded, offline model. It is stateless: the reply to a request is the script entry at
 * index "number of assistant messages already in the transcript", so rerunning a request gives
 * the same reply and editing the last message (memory mutation) does not shift the script.
 */
export function createScriptedModel(options: ScriptedModelOptions): ModelClient {
  const { script } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!(chunkSize === Infinity || (Number.isInteger(chunkSize) && chunkSize >= 0))) {
    throw new RangeError(`chunkSize must be a whole number >= 0 or Infinity, got ${chunkSize}`);
  }
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  if (!(Number.isFinite(chunkDelayMs) && chunkDelayMs >= 0)) {
    throw new RangeError(`chunkDelayMs must be a finite number >= 0, got ${chunkDelayMs}`);
  }
  const delay = options.delay ?? sleep;

  async function* turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    const { signal } = request;
    throwIfAborted(signal);
    // The reply comes in a later turn of the event loop, as a network one does: a run on the
    // scripted model never holds the loop, however quick its tools, so the store's commits, the
    // UI's socket and the timers go on between turns.
    await nextTurn();
    throwIfAborted(signal);
    const message = pickReply(script, request);
    let first = true;
    for (const delta of deltasOf(message, chunkSize)) {
      if (!first && chunkDelayMs > 0) await abortable(delay(chunkDelayMs), signal);
      first = false;
      throwIfAborted(signal);
      yield delta;
    }
    throwIfAborted(signal);
    const hasToolUse = message.content.some((block) => block.type === 'tool_use');
    return {
      message,
      stop_reason: hasToolUse ? 'tool_use' : 'end_turn',
      usage: { input_tokens: estimateTokens(requestChars(request)), output_tokens: estimateTokens(messageChars(message)) },
    };
  }

  return { label: 'scripted model', turn };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function listOf(entry: TicketScript | undefined, attempt: number): ReplyList | undefined {
  if (entry === undefined || Array.isArray(entry)) return entry;
  const index = Math.min(Math.max(attempt, 1), entry.attempts.length) - 1;
  return entry.attempts[index];
}

/** The script entry for a request: the archetype's own (by ticket, by request, default), else the ticket's. */
function entryFor(script: Script, request: ModelTurnRequest): TicketScript | undefined {
  const agent = request.archetype ? script.agents?.[request.archetype] : undefined;
  if (!agent) return script.tickets[request.ticketId];
  const at = request.ticketId.indexOf('@');
  const ticket = at > 0 ? request.ticketId.slice(0, at) : request.ticketId;
  const first = request.messages[0];
  const text = (first && typeof first.content === 'string' ? first.content : '').toLowerCase();
  return (
    agent.tickets?.[request.ticketId] ??
    agent.tickets?.[ticket] ??
    agent.requests?.find((rule) => text.includes(rule.match.toLowerCase()))?.replies ??
    agent.default ??
    script.tickets[request.ticketId]
  );
}

function pickReply(script: Script, request: ModelTurnRequest): AssistantMessage {
  const { ticketId, attempt } = request;
  const replies = listOf(entryFor(script, request), attempt);
  const asked = request.messages.filter((message) => message.role === 'assistant').length + 1;
  const reply = replies?.[asked - 1];
  if (replies === undefined || reply === undefined) {
    const who = request.archetype && script.agents?.[request.archetype] ? `${request.archetype} for ticket ${ticketId}` : `ticket ${ticketId}`;
    const scope = isPerAttempt(entryFor(script, request)) ? `${who} (attempt ${attempt})` : who;
    const count = replies?.length ?? 0;
    const rules = request.archetype ? script.agents?.[request.archetype]?.requests : undefined;
    const missing =
      replies !== undefined
        ? ''
        : rules && rules.length > 0
          ? ` (the script has no entry for it, and no request rule matches its first message: the rules match ${rules.map((rule) => JSON.stringify(rule.match)).join(', ')})`
          : ' (the script has no entry for it)';
    throw new ModelError(
      `script exhausted: ${scope} has ${count} scripted repl${count === 1 ? 'y' : 'ies'}${missing} ` +
        `and the model was asked for reply ${asked}`,
      { retryable: false },
    );
  }
  // A copy, so a caller that edits the reply (memory mutation) cannot change the script.
  return structuredClone(reply);
}

function isPerAttempt(entry: TicketScript | undefined): boolean {
  return entry !== undefined && !Array.isArray(entry);
}

/** Splits text into pieces of `size` characters (code points, so no surrogate pair is cut). */
/** A block streams in at most about this many deltas: a huge tool input is not millions of events. */
const MAX_DELTAS_PER_BLOCK = 1024;

export function chunkText(text: string, size: number): string[] {
  if (size === 0 || size === Infinity || text.length <= size) return [text];
  if (text.length > size * MAX_DELTAS_PER_BLOCK) {
    // Wider chunks, cut by code unit but never inside a surrogate pair, without an array of every character.
    const step = Math.ceil(text.length / MAX_DELTAS_PER_BLOCK);
    const chunks: string[] = [];
    for (let start = 0; start < text.length; ) {
      let end = Math.min(text.length, start + step);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
      chunks.push(text.slice(start, end));
      start = end;
    }
    return chunks;
  }
  const characters = Array.from(text);
  const chunks: string[] = [];
  for (let start = 0; start < characters.length; start += size) {
    chunks.push(characters.slice(start, start + size).join(''));
  }
  return chunks;
}

function* deltasOf(message: AssistantMessage, chunkSize: number): Generator<ModelDelta> {
  for (const [index, block] of message.content.entries()) {
    if (block.type === 'text') {
      for (const text of chunkText(block.text, chunkSize)) yield { type: 'text', index, text };
    } else {
      const json = JSON.stringify(block.input);
      for (const partial_json of chunkText(json, chunkSize)) {
        yield { type: 'tool_input', index, id: block.id, name: block.name, partial_json };
      }
    }
  }
}



/**
 * Character counts of transcript messages and tool specs, by object: both are immutable once made,
 * and every turn of a ticket counts them all again (the tool schemas' JSON above all).
 */
const charsOf = new WeakMap<object, number>();

function counted<T extends object>(value: T, count: (value: T) => number): number {
  let chars = charsOf.get(value);
  if (chars === undefined) {
    chars = count(value);
    charsOf.set(value, chars);
  }
  return chars;
}

function messageChars(message: ModelMessage): number {
  return counted(message, countMessage);
}

function countMessage(message: ModelMessage): number {
  if (typeof message.content === 'string') return message.content.length;
  let total = 0;
  for (const block of message.content) {
    if (block.type === 'text') total += block.text.length;
    else if (block.type === 'tool_use') total += block.name.length + JSON.stringify(block.input).length;
    else total += block.content.length;
  }
  return total;
}

function requestChars(request: ModelTurnRequest): number {
  let total = request.system.length;
  for (const message of request.messages) total += messageChars(message);
  for (const tool of request.tools) total += counted(tool, (spec) => spec.name.length + spec.description.length + JSON.stringify(spec.input_schema).length);
  return total;
}

function abortError(signal: AbortSignal): ModelError {
  return new ModelError('model turn aborted', { retryable: false, cause: signal.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Waits for `promise`, but rejects as soon as the signal aborts. */
function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
