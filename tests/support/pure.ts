/**
 * Helpers for testing the statecharts through XState's pure functions (`initialTransition`,
 * `transition`): no actor is started, nothing runs, and the returned executable actions say what the
 * machine asks to happen (spawns, sends, emits, stops).
 *
 * The worker and the ticket talk to their parent with `sendParent`. XState resolves that action
 * against the actor's parent and throws "Unable to send event to actor '#_parent'" when there is
 * none (xstate issue 5120, by design), and the inert actor that the pure functions use has no
 * parent. `asChild(machine)` hands the pure functions the same machine whose inert actor has a
 * stand-in parent, `PARENT`; nothing is ever delivered to it, the send only shows up as an
 * executable `xstate.sendTo` action whose `to` is `PARENT`. Snapshots stay snapshots of the real
 * machine (`snapshot.machine === machine`), so `snapshot.can(...)` is the real machine's answer.
 */
import {
  initialTransition,
  transition,
  type AnyActorRef,
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

/** The parent that the worker's and the ticket's `sendParent` actions are addressed to. */
export const PARENT = { id: 'stand-in-parent' } as unknown as AnyActorRef;

type Scope = { self: { _parent?: AnyActorRef } };

const childLogic = new WeakMap<AnyStateMachine, AnyStateMachine>();

/** The machine, as the pure functions see it when it runs as a child of `PARENT`. */
export function asChild<M extends AnyStateMachine>(machine: M): M {
  const known = childLogic.get(machine);
  if (known) return known as M;
  const logic = Object.create(machine) as M;
  Object.defineProperties(logic, {
    getInitialSnapshot: {
      value: (scope: Scope, input: unknown) => {
        scope.self._parent = PARENT;
        return machine.getInitialSnapshot(scope as never, input);
      },
    },
    transition: {
      value: (snapshot: unknown, event: unknown, scope: Scope) => {
        scope.self._parent = PARENT;
        return machine.transition(snapshot as never, event as never, scope as never);
      },
    },
  });
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
  return actions
    .filter((action) => action.type === 'xstate.sendTo' && (action.params as SendParams).to === PARENT)
    .map((action) => (action.params as SendParams).event);
}

/** Events sent to the child with this id, in order. */
export function sentToChild(actions: readonly Action[], id: string): EventObject[] {
  return actions
    .filter((action) => {
      if (action.type !== 'xstate.sendTo') return false;
      const params = action.params as SendParams;
      return params.to !== PARENT && (params.to as { id?: string } | undefined)?.id === id;
    })
    .map((action) => (action.params as SendParams).event);
}

/** Every `sendTo` (not to the parent) as [child id, event]. */
export function sendsToChildren(actions: readonly Action[]): Array<[string, EventObject]> {
  return actions
    .filter((action) => action.type === 'xstate.sendTo' && (action.params as SendParams).to !== PARENT)
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
