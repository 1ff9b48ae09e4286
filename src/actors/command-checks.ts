import type { AnyActorRef } from 'xstate';
import { commandKey, pauseOfCommand, type Command, type CommandTarget } from '../protocol/commands.js';
import type { WorkerRef } from './engine-machine.js';
import { pauseMismatch, pauseNow } from './pause-check.js';
import type { TicketFiles } from './ticket-files.js';

/**
 * Why the engine refuses a human command (nothing is sent, nothing journaled), or null when it
 * may go: the actor would not accept the event now; a pause command names another pause than the
 * worker's (a stale or double click, another tab); a retry that does not say what becomes of the
 * files its ticket changed.
 */
export function refusalOf(
  ref: AnyActorRef,
  target: CommandTarget,
  event: { type: string },
  files: TicketFiles,
  checkPlan: (plan: unknown) => string[] = () => [],
): string | null {
  const snapshot = ref.getSnapshot() as { can(event: unknown): boolean; status: string };
  if (snapshot.status !== 'active' || !snapshot.can(event)) return `does not accept ${commandKey(event as Command)} now`;
  // A plan edit is checked like a track file: a bad one changes nothing and says every problem.
  if (event.type === 'plan.edit') {
    const problems = checkPlan((event as { track?: unknown }).track);
    if (problems.length > 0) return `refuses the edited plan (nothing changed); ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((problem) => `- ${problem}`).join('\n')}`;
  }
  if (event.type === 'ticket.retry' && target.kind === 'ticket') {
    const changed = files.changed(target.id);
    if (changed.length > 0 && (event as { files?: string }).files === undefined) {
      return `refuses ticket.retry: its earlier attempts changed ${changed.length} file(s) (${changed.join(', ')}); retry with files = "restore" or "keep"`;
    }
  }
  const named = pauseOfCommand(event);
  if (named && target.kind === 'worker') {
    const mismatch = pauseMismatch(named, pauseNow((ref as WorkerRef).getSnapshot()));
    if (mismatch) return `refuses ${event.type}: ${mismatch}`;
  }
  return null;
}
