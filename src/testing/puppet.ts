/**
 * Moves the real worker of one ticket so that its ticket sees a given event: the plan is made
 * before the run (so the scripted model's script is known up front), then executed step by step.
 * Every move is something that happens in a real run: a human command, a model turn the held
 * model client releases, or a fault injected where an I/O actor starts.
 */
import type { ClutchEvent } from '../machines/worker-types.js';
import type { AssistantMessage, TrustLevel, TrustOverride } from '../protocol/index.js';
import { unprintable, type FaultSite, type TurnInstruction } from './fakes.js';
import { assistant, scriptedCall, text, type ScriptedKind, type Session } from './session.js';
import { effectiveTrust } from '../protocol/config.js';

export type Move =
  | { do: 'start' }
  | { do: 'command'; target: Parameters<Session['command']>[0]; event: Parameters<Session['command']>[1] }
  | { do: 'turn'; ticket: string; instruction: TurnInstruction }
  | { do: 'arm'; site: FaultSite; error: unknown }
  /** Waits until the worker shows its preview: a human answers pause 1 only after seeing it. */
  | { do: 'settle'; ticket: string }
  /** Waits until the worker (keyed by its ticket id) waits at pause 1 with its preview shown. */
  | { do: 'ready'; ticket: string }
  /** Waits until something holds in the real engine (checked on every snapshot of the run). */
  | { do: 'until'; what: string; holds: (session: Session) => boolean };

export async function execute(session: Session, moves: readonly Move[]): Promise<void> {
  const until = (holds: () => boolean, what: () => string) => session.recorder.until(() => (holds() ? true : undefined), what);
  const at = (ticket: string, state: 'previewing' | 'ready') => session.engine.worker(ticket)?.getSnapshot().matches({ toolCycle: { awaitingApproval: state } }) ?? false;
  for (const move of moves) {
    switch (move.do) {
      case 'start':
        session.engine.start();
        break;
      case 'command': {
        // A ticket prepares (its briefing, its worktree) before its worker starts: a command for the worker waits for it.
        const target = move.target;
        if (target.kind === 'worker') await until(() => session.engine.worker(target.id) !== undefined, () => `the worker of ${target.id} to start`);
        session.command(target, move.event);
        break;
      }
      case 'turn':
        await session.model.instruct(move.ticket, move.instruction);
        break;
      case 'arm':
        session.faults.arm(move.site, move.error);
        break;
      case 'until':
        await until(() => move.holds(session), () => move.what);
        break;
      case 'ready':
        await until(() => at(move.ticket, 'ready'), () => `${move.ticket} to wait at pause 1 with its preview`);
        break;
      case 'settle':
        await until(() => !at(move.ticket, 'previewing'), () => `the preview of ${move.ticket} to load`);
        break;
    }
  }
}

/** Plans the moves of one ticket's workers, attempt after attempt. */
export class Puppet {
  readonly ticket: string;
  /** Scripted replies, one list per attempt. */
  readonly replies: AssistantMessage[][] = [];
  /** The archetype's trust, which every new worker starts with. */
  readonly #archetypeTrust: TrustLevel;
  #trust: TrustLevel;

  constructor(ticket: string, trust: TrustLevel = 'step') {
    this.ticket = ticket;
    this.#archetypeTrust = trust;
    this.#trust = trust;
  }

  /** A new worker starts (with the archetype's trust). */
  attempt(): void {
    this.replies.push([]);
    this.#trust = this.#archetypeTrust;
  }

  /** A new worker goes on in the last one's transcript (a review asked for changes): same attempt, the archetype's trust again. */
  continued(): void {
    this.#trust = this.#archetypeTrust;
  }

  /** Whether the worker's next gate stops (its own trust under the override). */
  stops(override: TrustOverride): boolean {
    return effectiveTrust(this.#trust, override) === 'step';
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
  reply(kinds: ScriptedKind[]): Move[] {
    const replies = this.replies.at(-1)!;
    const turn = replies.length + 1;
    const calls = kinds.map((kind, index) => scriptedCall(kind, this.nextCallId(index)));
    replies.push(assistant(text(`Turn ${turn} of ${this.ticket}.`), ...calls));
    return [{ do: 'turn', ticket: this.ticket, instruction: { kind: 'reply' } }];
  }

  fail(): Move[] {
    return [{ do: 'turn', ticket: this.ticket, instruction: { kind: 'fail', retryable: false } }];
  }

  approve(): Move[] {
    return [{ do: 'settle', ticket: this.ticket }, this.#worker({ type: 'clutch.approve' })];
  }

  /** The moves of a turn whose one call ends the worker, then its approve at pause 1 if the worker stops there. */
  approved(turn: Move[], override: TrustOverride): Move[] {
    return this.stops(override) ? [...turn, { do: 'ready', ticket: this.ticket }, this.#worker({ type: 'clutch.approve' })] : turn;
  }

  /** The next model turn replies with these blocks as they are (a plan, a revision). */
  replyWith(content: AssistantMessage['content']): Move[] {
    const replies = this.replies.at(-1)!;
    replies.push(assistant(text(`Turn ${replies.length + 1} of ${this.ticket}.`), ...content));
    return [{ do: 'turn', ticket: this.ticket, instruction: { kind: 'reply' } }];
  }

  /**
   * The id the next reply's call `index` gets: unique per ticket, attempt and turn, in the letters
   * tool_use ids may have (`T1@review` gives `T1review…`); write calls name their file after it.
   */
  nextCallId(index = 0): string {
    return `${this.ticket.replace(/[^A-Za-z0-9_-]/g, '')}a${this.replies.length}r${this.replies.at(-1)!.length + 1}c${index}`;
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
