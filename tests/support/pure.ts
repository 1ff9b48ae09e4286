/**
 * Helpers for testing the statecharts through XState's pure functions (`initialTransition`,
 * `transition`): no actor is started, nothing runs, and the returned executable actions say what the
 * machine asks to happen (spawns, sends, emits, stops).
 *
 * The worker and the ticket talk to their parent through one named action each, `tellTicket` and
 * `tellConductor`, whose params are the event sent. Their real implementation is `sendParent`,
 * which XState resolves against the actor's parent and refuses when there is none (xstate issue
 * 5120, by design), as for the inert actor the pure functions use. `asChild(machine)` is
 * `machine.provide(...)` with those two actions replaced by no-ops: the executable action is still
 * listed with the event as its params, and `sentToParent` reads it there. Snapshots are snapshots
 * of the provided machine, which has the real one's states, guards and other actions, so
 * `snapshot.can(...)` is the real machine's answer.
 */
import {
  initialTransition,
  transition,
  type AnyStateMachine,
  type EventFromLogic,
  type EventObject,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import type {
  AssistantMessage,
  StopReason,
  TextBlock,
  ToolOutput,
  ToolPreview,
  ToolUseBlock,
  TokenUsage,
} from '../../src/protocol/index.js';

/** The named actions by which the worker and the ticket send to their parent. */
export const PARENT_ACTIONS = ['tellTicket', 'tellConductor'] as const;

const childLogic = new WeakMap<AnyStateMachine, AnyStateMachine>();

/** The machine with its parent-bound actions stubbed, as the pure functions can run it. */
export function asChild<M extends AnyStateMachine>(machine: M): M {
  const known = childLogic.get(machine);
  if (known) return known as M;
  const own = PARENT_ACTIONS.filter((name) => name in (machine.implementations.actions as object));
  const logic = machine.provide({ actions: Object.fromEntries(own.map((name) => [name, () => {}])) } as never) as M;
  childLogic.set(machine, logic);
  return logic;
}

/** An event XState itself produces (done and error events of children), which the machine types leave out. */
export type InternalEvent = { type: `xstate.${string}`; [key: string]: unknown };

/** What a machine accepts: its own events or XState's internal ones. */
export type EventFor<M extends AnyStateMachine> = EventFromLogic<M> | InternalEvent;

/** One executable action, loosely typed for inspection. */
export interface Action {
  type: string;
  params: unknown;
}

export interface Step<M extends AnyStateMachine> {
  snapshot: SnapshotFrom<M>;
  actions: Action[];
}

export function start<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): Step<M> {
  const [snapshot, actions] = (initialTransition as (logic: M, input: InputFrom<M>) => [SnapshotFrom<M>, Action[]])(
    asChild(machine),
    input,
  );
  return { snapshot, actions };
}

export function step<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>, event: EventFor<M>): Step<M> {
  const [next, actions] = (transition as (logic: M, s: SnapshotFrom<M>, e: EventObject) => [SnapshotFrom<M>, Action[]])(
    asChild(machine),
    snapshot,
    event,
  );
  return { snapshot: next, actions };
}

/** Sends events one after another; returns the last step and every action on the way. */
export function steps<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  events: ReadonlyArray<EventFor<M>>,
): Step<M> & { all: Action[] } {
  let current: Step<M> = { snapshot, actions: [] };
  const all: Action[] = [];
  for (const event of events) {
    current = step(machine, current.snapshot, event);
    all.push(...current.actions);
  }
  return { ...current, all };
}

// ---------------------------------------------------------------- reading actions

interface SendParams {
  to: unknown;
  targetId?: string;
  event: EventObject;
}

interface SpawnParams {
  id: string;
  src: unknown;
  systemId?: string;
  input: unknown;
}

/** Events the machine sends to its parent, in order. */
export function sentToParent(actions: readonly Action[]): EventObject[] {
  return actions.filter((action) => (PARENT_ACTIONS as readonly string[]).includes(action.type)).map((action) => action.params as EventObject);
}

/** Events sent to the child with this id, in order. */
export function sentToChild(actions: readonly Action[], id: string): EventObject[] {
  return actions
    .filter((action) => action.type === 'xstate.sendTo' && ((action.params as SendParams).to as { id?: string } | undefined)?.id === id)
    .map((action) => (action.params as SendParams).event);
}

/** Every `sendTo` (to a child: the parent is told through a named action) as [child id, event]. */
export function sendsToChildren(actions: readonly Action[]): Array<[string, EventObject]> {
  return actions
    .filter((action) => action.type === 'xstate.sendTo')
    .map((action) => {
      const params = action.params as SendParams;
      return [(params.to as { id: string }).id, params.event];
    });
}

export function spawned(actions: readonly Action[]): Array<{ id: string; src: unknown; systemId?: string; input: unknown }> {
  return actions
    .filter((action) => action.type === 'xstate.spawnChild')
    .map((action) => {
      const { id, src, systemId, input } = action.params as SpawnParams;
      return { id, src, systemId, input };
    });
}

/** Ids of the children that the actions stop ('<none>' when the id named no child). */
export function stopped(actions: readonly Action[]): string[] {
  return actions
    .filter((action) => action.type === 'xstate.stopChild')
    .map((action) => (action.params as { id: string } | undefined)?.id ?? '<none>');
}

export function emitted(actions: readonly Action[]): EventObject[] {
  return actions.filter((action) => action.type === 'xstate.emit').map((action) => (action.params as { event: EventObject }).event);
}

// ---------------------------------------------------------------- building messages and events

export function text(value: string): TextBlock {
  return { type: 'text', text: value };
}

export function toolUse(id: string, name: string, input: Record<string, unknown>): ToolUseBlock {
  return { type: 'tool_use', id, name, input };
}

export function assistant(...content: Array<TextBlock | ToolUseBlock>): AssistantMessage {
  return { role: 'assistant', content };
}

export function modelReply(
  message: AssistantMessage,
  usage: TokenUsage = { input_tokens: 10, output_tokens: 5 },
  stop_reason: StopReason = message.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
) {
  return { type: 'model.reply' as const, message, stop_reason, usage };
}

export function toolDone(content: string, is_error = false): InternalEvent & { output: ToolOutput } {
  return { type: 'xstate.done.actor.tool', output: { content, is_error }, actorId: 'tool' };
}

/** runTool's answer for a command whose intent the run store holds from before a crash, with no result. */
export function toolInterrupted(): InternalEvent & { output: { interrupted: true } } {
  return { type: 'xstate.done.actor.tool', output: { interrupted: true }, actorId: 'tool' };
}

export function toolError(error: unknown): InternalEvent {
  return { type: 'xstate.error.actor.tool', error, actorId: 'tool' };
}

/** The id XState generated for the invoke that has no explicit id (the worker's preview). */
export function childIdEndingWith(snapshot: { children: Record<string, unknown> }, suffix: string): string {
  const ids = Object.keys(snapshot.children).filter((id) => id.endsWith(suffix));
  if (ids.length !== 1) throw new Error(`expected one child ending with ${suffix}, found: ${Object.keys(snapshot.children).join(', ')}`);
  return ids[0]!;
}

export function previewDone(snapshot: { children: Record<string, unknown> }, preview: ToolPreview): InternalEvent {
  const id = childIdEndingWith(snapshot, '.previewing');
  return { type: `xstate.done.actor.${id}`, output: preview, actorId: id };
}

export function previewError(snapshot: { children: Record<string, unknown> }, error: unknown): InternalEvent {
  const id = childIdEndingWith(snapshot, '.previewing');
  return { type: `xstate.error.actor.${id}`, error, actorId: id };
}
