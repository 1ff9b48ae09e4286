import {
  assistantMessageSchema,
  isToolName,
  toolInputSchemas,
  type AssistantMessage,
  type ModelMessage,
  type ToolResultBlock,
  type ToolUseBlock,
} from '../protocol/index.js';

/** Pure transcript helpers for the worker statechart: no I/O, no clock. */

export function lastAssistant(messages: readonly ModelMessage[]): AssistantMessage | undefined {
  const last = messages.at(-1);
  return last?.role === 'assistant' ? (last as AssistantMessage) : undefined;
}

export function toolCalls(message: AssistantMessage | undefined): ToolUseBlock[] {
  if (!message) return [];
  return message.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
}

/** The first tool call of the last assistant message that has no result yet (committed or under review). */
export function currentCall(
  messages: readonly ModelMessage[],
  results: readonly ToolResultBlock[],
  review: ToolResultBlock | null,
): ToolUseBlock | undefined {
  const done = new Set(results.map((result) => result.tool_use_id));
  if (review) done.add(review.tool_use_id);
  return toolCalls(lastAssistant(messages)).find((call) => !done.has(call.id));
}

/**
 * The transcript with a new user text: into the last message when that is the user's already (the
 * results of the model's last calls), so the roles keep alternating as the Messages API expects.
 */
export function withUserText(messages: readonly ModelMessage[], text: string): ModelMessage[] {
  const last = messages.at(-1);
  if (!last || last.role !== 'user') return [...messages, { role: 'user', content: text }];
  const content = typeof last.content === 'string' ? [{ type: 'text' as const, text: last.content }] : last.content;
  return [...messages.slice(0, -1), { role: 'user', content: [...content, { type: 'text', text }] }];
}

export function replaceLast(messages: readonly ModelMessage[], message: ModelMessage): ModelMessage[] {
  return [...messages.slice(0, -1), message];
}

/** Rewrites the input of one tool_use block, so the transcript says what really ran. */
export function withCallInput(
  message: AssistantMessage,
  toolUseId: string,
  input: Record<string, unknown>,
): AssistantMessage {
  return {
    ...message,
    content: message.content.map((block) =>
      block.type === 'tool_use' && block.id === toolUseId ? { ...block, input } : block,
    ),
  };
}

/**
 * Results in the order of the calls they answer, plus a closing result for every call left open,
 * so a transcript never holds a tool_use without its tool_result.
 */
export function pairResults(
  message: AssistantMessage | undefined,
  results: readonly ToolResultBlock[],
  openCallContent: (call: ToolUseBlock) => ToolResultBlock,
): ToolResultBlock[] {
  const byId = new Map(results.map((result) => [result.tool_use_id, result]));
  return toolCalls(message).map((call) => byId.get(call.id) ?? openCallContent(call));
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseMaybeJson(raw: unknown, what: string): Checked<unknown> {
  if (typeof raw !== 'string') return { ok: true, value: raw };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (error) {
    return { ok: false, reason: `${what} is not valid JSON: ${(error as Error).message}` };
  }
}

function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Checks a tool input against the tool's schema; the reason is shown to the human. */
export function checkToolInput(
  toolName: string,
  raw: unknown,
  allowedTools: readonly string[],
): Checked<Record<string, unknown>> {
  if (!isToolName(toolName) || !allowedTools.includes(toolName)) {
    return { ok: false, reason: `unknown tool "${toolName}"; this worker has: ${allowedTools.join(', ')}` };
  }
  const parsed = parseMaybeJson(raw, 'the payload');
  if (!parsed.ok) return parsed;
  const result = toolInputSchemas[toolName].safeParse(parsed.value);
  if (!result.success) {
    return { ok: false, reason: `input for ${toolName} is invalid: ${describeIssues(result.error.issues)}` };
  }
  return { ok: true, value: result.data as Record<string, unknown> };
}

/**
 * Validates a replacement for the model's last message (memory mutation): Anthropic message shape,
 * known tools, inputs matching their schemas, tool_use ids unique in the transcript.
 */
export function checkAssistantMessage(
  raw: unknown,
  allowedTools: readonly string[],
  earlier: readonly ModelMessage[],
): Checked<AssistantMessage> {
  const parsed = parseMaybeJson(raw, 'the message');
  if (!parsed.ok) return parsed;
  const result = assistantMessageSchema.safeParse(parsed.value);
  if (!result.success) {
    return { ok: false, reason: `not an assistant message: ${describeIssues(result.error.issues)}` };
  }
  const message = result.data;
  if (message.content.length === 0) return { ok: false, reason: 'the message has no content blocks' };
  const usedIds = new Set(earlier.flatMap((item) => (item.role === 'assistant' ? toolCalls(item as AssistantMessage) : [])).map((call) => call.id));
  const seen = new Set<string>();
  for (const call of toolCalls(message)) {
    if (seen.has(call.id) || usedIds.has(call.id)) {
      return { ok: false, reason: `tool_use id "${call.id}" is used twice` };
    }
    seen.add(call.id);
    const input = checkToolInput(call.name, call.input, allowedTools);
    if (!input.ok) return { ok: false, reason: `${call.id}: ${input.reason}` };
  }
  return { ok: true, value: message };
}
