/**
 * What the three drivers share: `path.test` hands each step's event to `perform` and then calls
 * `check`, which waits until the real actor took the step's abstract transitions and rests in its
 * abstract state (with a context that agrees), then asserts the safety properties.
 */
import type { EventObject } from 'xstate';
import type { PlannedPath } from './paths.js';
import type { Session } from './session.js';

export abstract class PathDriver<C, E extends EventObject> {
  abstract readonly session: Session;
  protected readonly path: PlannedPath<C, E>;
  /** The step path.test is at; -1 before the first. */
  protected step = -1;
  #matched = 0;
  #reached: unknown = null;

  constructor(path: PlannedPath<C, E>) {
    this.path = path;
  }

  /** The recorder key of the actor under test: `worker:T1`, `ticket:T1`, `conductor`. */
  protected abstract readonly actor: string;

  /** The recorder key of the actor under test, for reporting the state it really reached. */
  get subject(): string {
    return this.actor;
  }

  /** The real state value the last passed check found the actor in (null before one passed). */
  get reached(): unknown {
    return this.#reached;
  }
  /** Makes the real engine see the step's event. */
  protected abstract act(event: E | { type: 'xstate.init' }): Promise<void>;
  /** Why the real context disagrees with the abstract one, or null. */
  protected abstract disagreement(real: unknown, abstract: C, value: unknown): string | null;

  async perform(event: EventObject): Promise<void> {
    this.step += 1;
    const planned = this.path.steps[this.step];
    const same = planned?.event.type === 'xstate.init' ? event.type === 'xstate.init' : planned?.event === event;
    if (!same) throw new Error(`path.test is at ${event.type}, the plan at ${planned?.event.type}`);
    await this.act(planned!.event);
  }

  async check(): Promise<void> {
    const planned = this.path.steps[this.step]!;
    const accept = (real: unknown) => this.disagreement(real, planned.context, planned.value);
    try {
      this.#matched = (await this.session.recorder.reach(this.actor, planned.value, planned.transitions, this.#matched, accept)) + 1;
    } catch (error) {
      // A real actor gone astray has often broken a safety property on the way: that is the finding.
      this.session.monitor.check();
      throw error;
    }
    const entry = this.session.recorder.entries.get(this.actor)?.[this.#matched - 1];
    this.#reached = entry?.kind === 'snap' ? entry.value : null;
    await this.settled(planned.value);
    if (this.step === this.path.steps.length - 1 && this.session.faults.pending().length > 0) {
      throw new Error(`an injected fault never struck: ${this.session.faults.pending().join(', ')}`);
    }
    if (this.session.storeErrors.length > 0) throw new Error(`a commit to the run store failed: ${String(this.session.storeErrors[0])}`);
    this.session.monitor.check();
  }

  /** More to wait for once the actor is in the step's state. */
  protected async settled(_value: unknown): Promise<void> {}
}
