import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionChunk,
  ChatCompletionContentPartText,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions';
import type { AssistantMessage, ModelDelta, ModelMessage, StopReason, TextBlock, TokenUsage, ToolResultBlock, ToolUseBlock, UserMessage } from '../protocol/index.js';
import { ModelError, type ToolSpec } from './model-client.js';

/**
 * The one place where Clutch's transcript (the Messages API format, DESIGN §3) meets Chat
 * Completions, both ways. Memory mutation, the journal and the UI only ever see the internal
 * format; the openai provider converts at the edge of every request and reply.
 *
 * Two things the formats say differently:
 * - Chat Completions has no is_error on a tool result: a failed tool's text goes with
 *   TOOL_ERROR_PREFIX in front, so the model knows, and the way back reads it off again.
 * - Tool results are messages of their own (`role: "tool"`), which must follow the assistant
 *   message that made the calls; the user's text of the same turn goes after them.
 */

/** Put before the text of a failed tool's result, which Chat Completions cannot mark otherwise. */
export const TOOL_ERROR_PREFIX = 'The tool reported an error:\n';

/** Several text blocks become one Chat Completions string; paragraphs keep them apart. */
const TEXT_JOIN = '\n\n';

/** The system prompt and the transcript as Chat Completions messages. */
export function toChatMessages(system: string, messages: readonly ModelMessage[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = system ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    if (message.role === 'assistant') out.push(assistantToChat(message));
    else out.push(...userToChat(message));
  }
  return out;
}

function assistantToChat(message: AssistantMessage): ChatCompletionAssistantMessageParam {
  const texts = message.content.filter((block): block is TextBlock => block.type === 'text');
  const calls = message.content
    .filter((block): block is ToolUseBlock => block.type === 'tool_use')
    .map((block) => ({ id: block.id, type: 'function' as const, function: { name: block.name, arguments: JSON.stringify(block.input) } }));
  // Content may be null only beside tool calls; a message with neither says nothing, as "".
  const content = texts.length > 0 ? texts.map((block) => block.text).join(TEXT_JOIN) : calls.length > 0 ? null : '';
  return { role: 'assistant', content, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

function userToChat(message: UserMessage): ChatCompletionMessageParam[] {
  if (typeof message.content === 'string') return [{ role: 'user', content: message.content }];
  const out: ChatCompletionMessageParam[] = [];
  const texts: string[] = [];
  for (const block of message.content) {
    if (block.type === 'text') texts.push(block.text);
    else out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error ? `${TOOL_ERROR_PREFIX}${block.content}` : block.content });
  }
  // After every tool message: Chat Completions wants them right behind the calls they answer.
  if (texts.length > 0) out.push({ role: 'user', content: texts.join(TEXT_JOIN) });
  return out;
}

/** Clutch's tool specs as Chat Completions function tools. */
export function toChatTools(tools: readonly ToolSpec[]): ChatCompletionFunctionTool[] {
  return tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.input_schema } }));
}

/**
 * Chat Completions messages back to a system prompt and a transcript: tool messages and the user
 * text after them become one user message, tool results first. A fake server reads requests with
 * it; a test proves with it that nothing is lost on the way out. Every tool result gets an
 * is_error, as the worker writes them.
 */
export function fromChatMessages(messages: readonly ChatCompletionMessageParam[]): { system: string; messages: ModelMessage[] } {
  const system: string[] = [];
  const out: ModelMessage[] = [];
  let afterTool = false;
  for (const message of messages) {
    const last = out.at(-1);
    const open = afterTool && last?.role === 'user' && Array.isArray(last.content) ? last.content : undefined;
    afterTool = message.role === 'tool';
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'assistant':
        out.push(assistantMessageOf(textOf(message.content), (message.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [{ id: call.id, ...call.function }] : []))));
        break;
      case 'tool': {
        const block = toolResultOf(message);
        if (open) open.push(block);
        else out.push({ role: 'user', content: [block] });
        break;
      }
      case 'user': {
        const text = textOf(message.content);
        if (open) open.push({ type: 'text', text });
        else out.push({ role: 'user', content: text });
        break;
      }
      default:
        break;
    }
  }
  return { system: system.join(TEXT_JOIN), messages: out };
}

function toolResultOf(message: ChatCompletionToolMessageParam): ToolResultBlock {
  const text = textOf(message.content);
  const failed = text.startsWith(TOOL_ERROR_PREFIX);
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content: failed ? text.slice(TOOL_ERROR_PREFIX.length) : text, is_error: failed };
}

function textOf(content: string | readonly ({ type: string } | ChatCompletionContentPartText)[] | null | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).flatMap((part) => ('text' in part && part.type === 'text' ? [part.text] : [])).join(TEXT_JOIN);
}

/** One tool call of a reply as Chat Completions gives it: arguments are a JSON string. */
export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A reply as an internal assistant message: the text (if any), then one tool_use block per call
 * in the order given. A call whose arguments are not a JSON object cannot run, and the same model
 * would likely write it again, so it is an error that names the call (not retried).
 */
export function assistantMessageOf(text: string, calls: readonly ChatToolCall[]): AssistantMessage {
  const content: AssistantMessage['content'] = text ? [{ type: 'text', text }] : [];
  for (const call of calls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call) });
  return { role: 'assistant', content };
}

function parseArguments(call: ChatToolCall): Record<string, unknown> {
  // Some servers send "" for a call that takes no arguments.
  if (call.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch (error) {
    throw badArguments(call, `they are not JSON: ${(error as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badArguments(call, 'they are not a JSON object');
  return input as Record<string, unknown>;
}

function badArguments(call: ChatToolCall, why: string): ModelError {
  const preview = call.arguments.length > 120 ? `${call.arguments.slice(0, 120)}…` : call.arguments;
  return new ModelError(`the model's ${call.name} call ${call.id} has arguments that cannot be used (${why}): ${preview}`, {
    retryable: false,
    kind: 'invalid_request',
  });
}

export type FinishReason = ChatCompletionChunk.Choice['finish_reason'] & string;

/**
 * Chat Completions' finish_reason as a stop reason. A reply with tool calls that says "stop" (as
 * some local servers do) is a tool_use all the same: the worker acts on the calls either way.
 */
export function stopReasonOf(finish: FinishReason, hasCalls: boolean): StopReason {
  switch (finish) {
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'refusal';
    default:
      return hasCalls ? 'tool_use' : 'end_turn';
  }
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
  /** How much of `arguments` went out as deltas. */
  sent: number;
}

/**
 * Puts a streamed reply together from its chunks. Text arrives in pieces; every tool call arrives
 * by its index: id and name in the first delta of an index, arguments in pieces after it, several
 * calls possibly interleaved. For live rendering, each chunk gives deltas once a call's name is
 * known: text at index 0, call n at index n + 1 (the indices are for telling blocks apart only).
 */
export class ChatReplyAssembler {
  #text = '';
  readonly #calls = new Map<number, PendingCall>();
  #replyId = '';
  finishReason: FinishReason | undefined;
  usage: TokenUsage | undefined;

  /** The deltas of one chunk; a chunk that is not a chat.completion.chunk is a broken stream. */
  push(chunk: ChatCompletionChunk): ModelDelta[] {
    if (typeof chunk !== 'object' || chunk === null || (chunk.choices !== undefined && !Array.isArray(chunk.choices))) throw malformed('a chunk is not a chat.completion.chunk');
    if (!this.#replyId && typeof chunk.id === 'string') this.#replyId = chunk.id;
    if (chunk.usage) this.usage = { input_tokens: chunk.usage.prompt_tokens ?? 0, output_tokens: chunk.usage.completion_tokens ?? 0 };
    // One reply was asked for (n = 1): only choice 0 counts.
    const choice = (chunk.choices ?? []).find((candidate) => (candidate.index ?? 0) === 0);
    if (!choice) return [];
    if (typeof choice.delta !== 'object' || choice.delta === null) throw malformed('a choice has no delta');
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const deltas: ModelDelta[] = [];
    // Reasoning fields some servers add (reasoning_content) are not part of the transcript format.
    const text = choice.delta.content;
    if (typeof text === 'string' && text !== '') {
      this.#text += text;
      deltas.push({ type: 'text', index: 0, text });
    }
    for (const [position, part] of (choice.delta.tool_calls ?? []).entries()) {
      const index = typeof part.index === 'number' ? part.index : position;
      const call = this.#calls.get(index) ?? { id: '', name: '', arguments: '', sent: 0 };
      this.#calls.set(index, call);
      if (part.id && !call.id) call.id = part.id;
      if (part.function?.name && !call.name) call.name = part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      if (call.name && call.arguments.length > call.sent) {
        deltas.push({ type: 'tool_input', index: index + 1, id: this.#idOf(index, call), name: call.name, partial_json: call.arguments.slice(call.sent) });
        call.sent = call.arguments.length;
      }
    }
    return deltas;
  }

  get text(): string {
    return this.#text;
  }

  /** The calls so far, in index order. */
  get calls(): ChatToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ id: this.#idOf(index, call), name: call.name || 'unnamed', arguments: call.arguments }));
  }

  /** The reply as an internal message (throws on arguments that are not a JSON object). */
  message(): AssistantMessage {
    return assistantMessageOf(this.#text, this.calls);
  }

  /** A server that sends no call id still needs one for the result to answer: the reply's id and the index. */
  #idOf(index: number, call: PendingCall): string {
    return call.id || `${this.#replyId || 'call'}_${index}`;
  }
}

function malformed(why: string): ModelError {
  return new ModelError(`the response stream was malformed: ${why}`, { retryable: true, kind: 'stream' });
}
