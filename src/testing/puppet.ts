/**
 * Moves the real worker of one ticket so that its ticket sees a given event: the plan is made
 * before the run (so the scripted model's script is known up front), then executed step by step.
 * Every move is something that happens in a real run: a human command, a model turn the held
 * model client releases, or a fault injected where an I/O actor starts.
 */
import type { ClutchEvent } from '../machines/worker-types.js';
import type { AssistantMessage, TrustLevel, TrustOverride } from '../protocol/index.js';
import { unprintable, type FaultSite, type TurnInstruction } from './fakes.js';
import { assistant, scriptedCall, text, type Session } from './session.js';
import { effectiveTrust } from '../protocol/config.js';

export type Move =
  | { do: 'start' }
  | { do: 'command'; target: Parameters<Session['command']>[0]; event: Parameters<Session['command']>[1] }
  | { do: 'turn'; ticket: string; instruction: TurnInstruction }
  | { do: 'arm'; site: FaultSite; error: unknown }
  /** Waits until the worker shows its preview: a human answers pause 1 only after seeing it. */
  | { do: 'settle'; ticket: string };

export async function execute(session: Session, moves: readonly Move[]): Promise<void> {
  for (const move of moves) {
    if (move.do === 'start') session.engine.start();
    else if (move.do === 'command') session.command(move.target, move.event);
    else if (move.do === 'turn') await session.model.instruct(move.ticket, move.instruction);
    else if (move.do === 'arm') session.faults.arm(move.site, move.error);
    else {
      const loading = () => session.engine.worker(move.ticket)?.getSnapshot().matches({ toolCycle: { awaitingApproval: 'previewing' } }) ?? false;
      await session.recorder.until(() => (loading() ? undefined : true), () => `the preview of ${move.ticket} to load`);
    }
  }
}

/** Plans the moves of one ticket's workers, attempt after attempt. */
export class Puppet {
  readonly ticket: string;
  /** Scripted replies, one list per attempt. */
  readonly replies: AssistantMessage[][] = [];
  #trust: TrustLevel = 'step';

  constructor(ticket: string) {
    this.ticket = ticket;
  }

  /** A new worker starts (with the archetype's trust, step). */
  attempt(): void {
    this.replies.push([]);
    this.#trust = 'step';
  }

  #worker(event: ClutchEvent): Move {
    return { do: 'command', target: { kind: 'worker', id: this.ticket }, event };
  }

  /** Makes the worker's effective trust `trust` for its next gate, through its own trust level. */
  trust(trust: TrustLevel, override: TrustOverride): Move[] {
    if (effectiveTrust(this.#trust, override) === trust) return [];
    if (override !== 'none') throw new Error(`${this.ticket}: the override ${override} rules out ${trust} (the abstract model should not offer this)`);
    this.#trust = trust;
    return [this.#worker({ type: 'clutch.set_trust', trust })];
  }

  /** The next model turn replies with these calls. */
  reply(kinds: Array<'write' | 'fail' | 'done'>): Move[] {
    const replies = this.replies.at(-1)!;
    const turn = replies.length + 1;
    const calls = kinds.map((kind, index) => scriptedCall(kind, `${this.ticket}a${this.replies.length}r${turn}c${index}`));
    replies.push(assistant(text(`Turn ${turn} of ${this.ticket}.`), ...calls));
    return [{ do: 'turn', ticket: this.ticket, instruction: { kind: 'reply' } }];
  }

  fail(): Move[] {
    return [{ do: 'turn', ticket: this.ticket, instruction: { kind: 'fail', retryable: false } }];
  }

  approve(): Move[] {
    return [{ do: 'settle', ticket: this.ticket }, this.#worker({ type: 'clutch.approve' })];
  }

  abort(): Move[] {
    return [{ do: 'settle', ticket: this.ticket }, this.#worker({ type: 'clutch.abort', reason: 'not this way' })];
  }

  /** Leaves pause 1 without running anything: the call is edited away, the worker asks the model again. */
  resumeByEdit(): Move[] {
    return [{ do: 'settle', ticket: this.ticket }, this.#worker({ type: 'clutch.edit_message', message: assistant(text('No tool after all.')) })];
  }

  /** The next tool call the worker runs (in auto) or previews crashes it: its error cannot be described. */
  crash(depth: number): Move[] {
    return [{ do: 'arm', site: 'tool-context', error: unprintable(depth, `injected: a tool context bug in ${this.ticket}`) }];
  }
}
