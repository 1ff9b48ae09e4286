import type { QaHintInput } from '../machines/worker-types.js';
import { estimateTokens, runTurn, type ModelClient } from '../models/model-client.js';
import type { StopReason, TokenUsage } from '../protocol/index.js';

/** The longest hint kept (a model that ignores "20 to 50 tokens" does not flood the worker). */
export const MAX_HINT_CHARS = 400;

/** The request to the qa archetype: one turn, no tools. */
export function qaRequestText(input: QaHintInput): string {
  return [
    `A worker running ticket ${input.ticketId} ran \`${input.call.input['argv'] instanceof Array ? (input.call.input['argv'] as unknown[]).join(' ') : 'a command'}\` and it failed. Its output:`,
    '',
    input.output,
    '',
    'Reply with one fix hint for the worker, 20 to 50 tokens: what failed (test name, file:line, the assertion) and what to change. ' +
      'Plain text, no preamble, no code block.',
  ].join('\n');
}

/** The first `lines` lines of the output, split between its head and its tail, with what was left out said. */
export function headAndTail(output: string, lines: number): { text: string; omitted: number; total: number } {
  const all = output.split('\n');
  if (all.at(-1) === '') all.pop();
  if (all.length <= lines) return { text: all.join('\n'), omitted: 0, total: all.length };
  const head = Math.ceil(lines / 2);
  const tail = lines - head;
  const omitted = all.length - head - tail;
  const kept = [...all.slice(0, head), `[... ${omitted} line${omitted === 1 ? '' : 's'} left out: the journal has the whole output ...]`, ...(tail > 0 ? all.slice(-tail) : [])];
  return { text: kept.join('\n'), omitted, total: all.length };
}

export interface QaHintResult {
  hint: string;
  content: string;
  saved_tokens: number;
  usage: TokenUsage;
  stop_reason: StopReason;
}

/** Asks the qa model for the hint and builds what the worker's model gets instead of the raw output. */
export async function qaHint(input: QaHintInput, client: ModelClient, signal?: AbortSignal): Promise<QaHintResult> {
  const reply = await runTurn(client, {
    ticketId: `${input.ticketId}@qa`,
    attempt: input.attempt,
    archetype: input.qa.archetype,
    profile: input.qa.profile,
    system: input.qa.system,
    messages: [{ role: 'user', content: qaRequestText(input) }],
    tools: [],
    ...(signal ? { signal } : {}),
  });
  const text = reply.message.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') throw new Error(`the ${input.qa.archetype} model answered with no hint`);
  const hint = text.length > MAX_HINT_CHARS ? `${text.slice(0, MAX_HINT_CHARS - 1)}…` : text;
  const status = input.output.split('\n', 1)[0] ?? '';
  const raw = headAndTail(input.output.slice(status.length + 1), input.qa.rawLines);
  const shown =
    raw.omitted === 0
      ? `Output (${raw.total} line${raw.total === 1 ? '' : 's'}):\n${raw.text}`
      : `Output, its first and last lines (${raw.total - raw.omitted} of ${raw.total}; qa_raw_lines = ${input.qa.rawLines}):\n${raw.text}`;
  const content = `${status}\nQA hint (${input.qa.archetype}): ${hint}\n\n${shown}`;
  return {
    hint,
    content,
    saved_tokens: estimateTokens(input.output.length) - estimateTokens(content.length),
    usage: reply.usage ?? { input_tokens: 0, output_tokens: 0 },
    stop_reason: reply.stop_reason,
  };
}
