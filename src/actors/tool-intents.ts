import type { RunToolInput, RunToolOutput } from '../machines/worker-types.js';
import type { ToolEffect, ToolOutput } from '../protocol/index.js';
import { executeTool, fileSha256, plannedEffect, sideEffectTools } from '../tools/index.js';
import type { ToolContext } from '../tools/tool.js';
import { crashPoint } from './crash-points.js';
import { commandProcess, stopOrphan } from './orphan-command.js';
import type { CommandProcess } from '../store/index.js';

export interface ToolCallKey {
  ticket: string;
  attempt: number;
  toolUseId: string;
}

/** Where intents and results of side-effecting calls are committed (the run store's RunLog). */
export interface ToolLedger {
  toolCall(
    key: ToolCallKey,
  ): { tool: string; input: unknown; effect: ToolEffect | null; result: ToolOutput | null; process: CommandProcess | null; rerunGranted: boolean } | undefined;
  recordIntent(key: ToolCallKey, tool: string, input: unknown, effect: ToolEffect | null): void;
  recordResult(key: ToolCallKey, output: ToolOutput): void;
  recordProcess(key: ToolCallKey, process: CommandProcess): void;
  /**
   * Runs `work` in one transaction (a write's original and its intent commit together), shared
   * with other calls' writes; resolves once it is committed.
   */
  durably(work: () => void): Promise<void>;
}

function sameInput(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Runs one approved call so that a crash never makes it run twice unseen. A side-effecting call
 * commits an intent (the input as approved, and for a write the file's hash once written) before it
 * starts and its result after. When the call is met again (a restored run reruns `executing`):
 * - with a stored result, nothing runs: the stored result is the answer;
 * - a write with only an intent is applied again only if the file does not hold its result yet;
 * - a command with only an intent does not run: the worker stops at the interrupted pause, unless
 *   the human chose to rerun it there; a group of it still running from before the crash is stopped.
 */
export async function runToolOnce(
  input: RunToolInput,
  context: ToolContext,
  ledger: ToolLedger | undefined,
  beforeWrite?: (ticket: string, path: string, created?: boolean) => Promise<(() => void) | undefined>,
): Promise<RunToolOutput> {
  const { call } = input;
  if (!sideEffectTools.has(call.name)) return executeTool(call.name, call.input, context);
  // write_file executes the plan its effect made (the path checked, the file read); see ToolContext.planned.
  const once: ToolContext = { ...context, planned: new Map() };
  if (!ledger) {
    // No store: nothing to replay, but the ticket's originals are still kept for a retry.
    const effect = beforeWrite ? await plannedEffect(call.name, call.input, once) : undefined;
    if (effect) (await beforeWrite!(input.ticketId, effect.path, effect.created))?.();
    return executeTool(call.name, call.input, once);
  }
  const key: ToolCallKey = { ticket: input.ticketId, attempt: input.attempt, toolUseId: call.id };
  const known = ledger.toolCall(key);
  const same = known !== undefined && known.tool === call.name && sameInput(known.input, call.input);
  if (known && same && known.result) return known.result;
  // A command the crash left running is stopped first: nothing of it may run on unseen.
  if (known?.process) await stopOrphan(known.process);
  // A rerun goes ahead only on a grant not used yet: a rerun cut short by another crash pauses again.
  if (known && !(input.rerun && known.rerunGranted)) {
    if (call.name === 'run_command') return { interrupted: true };
    if (same && known.effect && (await fileSha256(known.effect.path)) === known.effect.after_sha256) {
      ledger.recordResult(key, known.effect.output);
      return known.effect.output;
    }
  }
  const effect = await plannedEffect(call.name, call.input, once);
  const keepOriginal = effect ? await beforeWrite?.(input.ticketId, effect.path, effect.created) : undefined;
  const intent = () => {
    keepOriginal?.();
    ledger.recordIntent(key, call.name, call.input, effect ?? null);
  };
  await ledger.durably(intent);
  crashPoint('tool.intent', call.name);
  const output = await executeTool(call.name, call.input, { ...once, onSpawn: (pid) => ledger.recordProcess(key, commandProcess(pid)) });
  crashPoint('tool.ran', call.name);
  await ledger.durably(() => ledger.recordResult(key, output));
  return output;
}
