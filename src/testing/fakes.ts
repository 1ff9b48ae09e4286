/**
 * Fakes that let a model-based test decide when each I/O actor of the real engine finishes, and how:
 * a model client that holds every turn until told what to do (and records every request), a clock
 * wait that ends when told, and faults injected where the engine looks up a model or a tool context.
 */
import { ModelError, type ModelClient, type ModelReply, type ModelTurnRequest } from '../models/model-client.js';
import type { ModelDelta, ModelMessage } from '../protocol/index.js';

export type TurnInstruction =
  | { kind: 'delta'; text: string }
  | { kind: 'reply' }
  | { kind: 'fail'; retryable: boolean; retryAt?: number };

interface OpenTurn {
  ticketId: string;
  instructions: TurnInstruction[];
  wake: (() => void) | undefined;
}

/** A request as it reached the model: the messages are copied when the turn starts. */
export interface RecordedRequest {
  ticketId: string;
  attempt: number;
  messages: ModelMessage[];
}

/**
 * A ModelClient over a scripted model: each turn waits for an instruction from the test, then
 * streams a delta, replies with the script's next message, or fails.
 */
export class ControlledModel implements ModelClient {
  readonly label = 'scripted model (held by the test)';
  readonly requests: RecordedRequest[] = [];
  readonly #scripted: ModelClient;
  readonly #open = new Map<string, OpenTurn>();
  readonly #waiters = new Set<() => void>();
  readonly #listeners = new Set<(request: RecordedRequest) => void>();

  constructor(scripted: ModelClient) {
    this.#scripted = scripted;
  }

  turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    return this.#run(request);
  }

  async *#run(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    const recorded = { ticketId: request.ticketId, attempt: request.attempt, messages: structuredClone(request.messages) };
    this.requests.push(recorded);
    for (const listener of [...this.#listeners]) listener(recorded);
    const open: OpenTurn = { ticketId: request.ticketId, instructions: [], wake: undefined };
    this.#open.set(request.ticketId, open);
    for (const waiter of [...this.#waiters]) waiter();
    try {
      for (;;) {
        const instruction = await this.#next(open, request.signal);
        if (instruction.kind === 'delta') {
          yield { type: 'text', index: 0, text: instruction.text };
          continue;
        }
        this.#open.delete(request.ticketId);
        if (instruction.kind === 'fail') {
          throw new ModelError(instruction.retryable ? 'rate limited (429)' : 'model refused the request (400)', {
            retryable: instruction.retryable,
            ...(instruction.retryAt !== undefined ? { retryAt: instruction.retryAt } : {}),
          });
        }
        return yield* this.#scripted.turn(request);
      }
    } finally {
      if (this.#open.get(request.ticketId) === open) this.#open.delete(request.ticketId);
    }
  }

  #next(open: OpenTurn, signal: AbortSignal | undefined): Promise<TurnInstruction> {
    return new Promise((resolve, reject) => {
      const take = () => {
        const instruction = open.instructions.shift();
        if (!instruction) return false;
        open.wake = undefined;
        resolve(instruction);
        return true;
      };
      if (take()) return;
      if (signal?.aborted) return reject(new ModelError('model turn aborted'));
      open.wake = () => void take();
      signal?.addEventListener('abort', () => reject(new ModelError('model turn aborted')), { once: true });
    });
  }

  /** Tells `listener` of every request as it reaches the model, before the turn waits for the test. */
  onRequest(listener: (request: RecordedRequest) => void): void {
    this.#listeners.add(listener);
  }

  /** Whether a turn of this ticket waits for an instruction. */
  isWaiting(ticketId: string): boolean {
    return this.#open.has(ticketId);
  }

  /** Waits until a turn of the ticket is open, then hands it the instruction. */
  async instruct(ticketId: string, instruction: TurnInstruction): Promise<void> {
    while (!this.#open.has(ticketId)) {
      await new Promise<void>((resolve) => {
        const waiter = () => {
          this.#waiters.delete(waiter);
          resolve();
        };
        this.#waiters.add(waiter);
      });
    }
    const open = this.#open.get(ticketId)!;
    open.instructions.push(instruction);
    open.wake?.();
  }
}

interface PendingWait {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The engine's `waitUntil`: every backoff wait ends only when the test says so. */
export class ControlledWaits {
  readonly #pending: PendingWait[] = [];
  readonly #waiters = new Set<() => void>();

  readonly waitUntil = (_until: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const pending = { resolve, reject };
      this.#pending.push(pending);
      signal.addEventListener('abort', () => this.#drop(pending), { once: true });
      for (const waiter of [...this.#waiters]) waiter();
    });

  #drop(pending: PendingWait): void {
    const index = this.#pending.indexOf(pending);
    if (index >= 0) this.#pending.splice(index, 1);
  }

  /** Ends the oldest wait: it resolves (the deadline passed) or rejects (the clock failed). */
  async settle(outcome: 'resolve' | 'reject'): Promise<void> {
    while (this.#pending.length === 0) {
      await new Promise<void>((resolve) => {
        const waiter = () => {
          this.#waiters.delete(waiter);
          resolve();
        };
        this.#waiters.add(waiter);
      });
    }
    const pending = this.#pending.shift()!;
    if (outcome === 'resolve') pending.resolve();
    else pending.reject(new Error('injected: the clock failed'));
  }
}

export type FaultSite = 'model' | 'tool-context' | 'prepare-workspace' | 'merge-workspace' | 'review-diff';

/**
 * Failures injected where the engine looks something up synchronously when an I/O actor starts:
 * the model client for a turn (`modelFor`), the sandbox settings for a preview or a tool run.
 * Armed once, they strike the next lookup at that site.
 */
export class Faults {
  readonly #armed = new Map<FaultSite, unknown>();
  readonly struck: FaultSite[] = [];

  arm(site: FaultSite, error: unknown): void {
    if (this.#armed.has(site)) throw new Error(`a ${site} fault is armed already`);
    this.#armed.set(site, error);
  }

  strike(site: FaultSite): void {
    if (!this.#armed.has(site)) return;
    const error = this.#armed.get(site);
    this.#armed.delete(site);
    this.struck.push(site);
    throw error;
  }

  pending(): FaultSite[] {
    return [...this.#armed.keys()];
  }
}

/**
 * An error whose description itself throws, `depth` levels deep, ending in an Error. The worker
 * and the ticket describe an actor's error with `String(error)`; with depth 1 the worker's own
 * error handler throws (the worker actor crashes), with depth 2 the ticket's does too.
 */
export function unprintable(depth: number, message: string): unknown {
  let error: unknown = new Error(message);
  for (let level = 0; level < depth; level += 1) {
    const inner = error;
    error = Object.assign(Object.create(null) as object, {
      toString() {
        throw inner;
      },
    });
  }
  return error;
}
