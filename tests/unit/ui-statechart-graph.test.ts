import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { describe, expect, it } from 'vitest';
import { conductorMachine } from '../../src/machines/conductor.js';
import { ticketMachine } from '../../src/machines/ticket.js';
import { workerMachine } from '../../src/machines/worker.js';
import { eventName } from '../../src/ui/inspector/event-names.js';
import { activeStateIds, guardLabel, statechartGraph, type StatechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { leafPaths } from '../../src/ui/inspector/state-value.js';

/**
 * The definition → graph conversion the Inspector draws from. The expectations are counted from
 * `machine.definition` (the JSON form, which holds every transition but the eventless ones) plus
 * the `always` lists of the state nodes, so a transition the graph drops is a failure here.
 */
const all: [string, AnyStateMachine][] = [
  ['conductor', conductorMachine],
  ['ticket', ticketMachine],
  ['worker', workerMachine],
];

interface DefinitionNode {
  id: string;
  states: Record<string, DefinitionNode>;
  transitions: { eventType: string; target?: readonly { id: string }[]; guard?: unknown }[];
}

function definitionNodes(node: DefinitionNode): DefinitionNode[] {
  return [node, ...Object.values(node.states).flatMap(definitionNodes)];
}

function stateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states as Record<string, AnyStateNode>).flatMap(stateNodes)];
}

/** One expected edge per transition and target: "source|event|target|guard". */
function expectedEdges(machine: AnyStateMachine): string[] {
  const fromDefinition = definitionNodes(machine.definition as unknown as DefinitionNode).flatMap((node) =>
    node.transitions.flatMap((transition) => {
      const targets = transition.target && transition.target.length > 0 ? transition.target.map((target) => target.id) : ['-'];
      return targets.map((target) => `${node.id}|${transition.eventType}|${target}|${guardLabel(transition.guard) ?? ''}`);
    }),
  );
  const always = stateNodes(machine.root).flatMap((node) =>
    (node.always ?? []).flatMap((transition) => {
      const targets = transition.target && transition.target.length > 0 ? transition.target.map((target) => target.id) : ['-'];
      return targets.map((target) => `${node.id}||${target}|${guardLabel(transition.guard) ?? ''}`);
    }),
  );
  return [...fromDefinition, ...always].sort();
}

function actualEdges(graph: StatechartGraph): string[] {
  // 'else' is the graph's name for an unguarded fallback; the definition has no guard there.
  return graph.edges.map((edge) => `${edge.source}|${edge.event}|${edge.target ?? '-'}|${edge.guard === 'else' ? '' : (edge.guard ?? '')}`).sort();
}

const labels = (graph: StatechartGraph, source: string) => graph.edges.filter((edge) => edge.source === source).map((edge) => `${edge.label} -> ${edge.target ?? '(stays)'}`);

describe('statechartGraph', () => {
  for (const [name, machine] of all) {
    it(`has every state node of the ${name} machine, with its parent, kind and children`, () => {
      const graph = statechartGraph(machine);
      const nodes = stateNodes(machine.root);
      expect(graph.nodes.map((node) => node.id).sort()).toEqual(nodes.map((node) => node.id).sort());
      for (const node of nodes) {
        const drawn = graph.nodes.find((candidate) => candidate.id === node.id)!;
        expect(drawn.kind, node.id).toBe(node.type);
        expect(drawn.parent, node.id).toBe(node.parent?.id ?? null);
        expect(drawn.children, node.id).toEqual(Object.values(node.states as Record<string, AnyStateNode>).map((child) => child.id));
      }
      expect(graph.root).toBe(machine.id);
    });

    it(`has every transition of the ${name} machine, the eventless ones too`, () => {
      const graph = statechartGraph(machine);
      const expected = expectedEdges(machine);
      expect(expected.length).toBeGreaterThan(10);
      expect(actualEdges(graph)).toEqual(expected);
      expect(new Set(graph.edges.map((edge) => edge.id)).size).toBe(graph.edges.length);
    });
  }

  it('labels guarded, always, done and error edges of the worker', () => {
    const graph = statechartGraph(workerMachine);
    expect(labels(graph, 'worker.toolCycle.awaitingApproval.ready')).toEqual([
      'clutch.approve [callIsTaskComplete] -> worker.completed',
      'clutch.approve [else] -> worker.toolCycle.executing',
      'always [isAuto] -> worker.toolCycle.afterApproval',
    ]);
    expect(labels(graph, 'worker.route')).toEqual([
      'always [hasCall] -> worker.toolCycle',
      'always [turnsLeft] -> worker.prompting',
      'always [else] -> worker.failed',
    ]);
    expect(labels(graph, 'worker.toolCycle.executing')).toEqual([
      'done: runTool [toolInterrupted] -> worker.toolCycle.interrupted',
      'done: runTool [finishingCall] -> worker.completed',
      'done: runTool [needsQa] -> worker.toolCycle.qaHint',
      'done: runTool [else] -> worker.toolCycle.reviewGate',
      'error: runTool -> worker.failed',
    ]);
    // The interrupted pause: only the human's three answers leave it.
    expect(labels(graph, 'worker.toolCycle.interrupted')).toEqual([
      'clutch.rerun -> worker.toolCycle.executing',
      'clutch.use_output -> worker.toolCycle.reviewGate',
      'clutch.abort -> worker.aborted',
    ]);
    expect(graph.nodes.find((node) => node.id === 'worker.toolCycle.interrupted')!.invokes).toEqual([]);
    // An invocation without an id is named by the logic it runs, not its generated id.
    expect(labels(graph, 'worker.toolCycle.awaitingApproval.previewing')).toEqual([
      'done: previewTool [approvedAsEdited] -> worker.toolCycle.afterApproval',
      'done: previewTool [else] -> worker.toolCycle.awaitingApproval.ready',
      'error: previewTool -> worker.toolCycle.awaitingApproval.ready',
    ]);
    expect(labels(graph, 'worker.prompting')).toContain('error: callModel -> worker.failed');
    expect(labels(graph, 'worker.prompting')).toContain('model.delta -> (stays)');
    const kinds = new Set(graph.edges.map((edge) => edge.kind));
    expect([...kinds].sort()).toEqual(['always', 'done', 'error', 'event']);
    const always = graph.edges.filter((edge) => edge.kind === 'always');
    expect(always.every((edge) => edge.event === '' && edge.name === 'always')).toBe(true);
    expect(graph.nodes.find((node) => node.id === 'worker.toolCycle.executing')!.invokes).toEqual(['runTool']);
    expect(graph.nodes.find((node) => node.id === 'worker.toolCycle')!.initial).toBe('worker.toolCycle.nextCall');
  });

  it('marks the regions of the parallel conductor, and names parameterized guards with their parameter', () => {
    const graph = statechartGraph(conductorMachine);
    const root = graph.nodes.find((node) => node.id === 'conductor')!;
    expect(root.kind).toBe('parallel');
    expect(graph.nodes.filter((node) => node.region).map((node) => node.key).sort()).toEqual(['mode', 'run', 'trustOverride']);
    expect(labels(graph, 'conductor.mode.async')).toEqual(['conductor.set_mode [toMode(linear)] -> conductor.mode.linear']);
    expect(labels(graph, 'conductor.run.running')).toContain('always [allCompleted] -> conductor.run.done');
    expect(labels(graph, 'conductor.run.running')).toContain('error: * -> (stays)');
  });

  it('names the spawned worker in the ticket: done and error of the child by its id', () => {
    const graph = statechartGraph(ticketMachine);
    expect(labels(graph, 'ticket.running')).toContain('done: worker [workerCompleted] -> ticket.completed');
    expect(labels(graph, 'ticket.running')).toContain('error: worker -> ticket.blocked');
  });
});

describe('active states from a state value', () => {
  it('takes every active leaf with all its ancestors', () => {
    expect([...activeStateIds('worker', 'prompting')].sort()).toEqual(['worker', 'worker.prompting']);
    expect([...activeStateIds('worker', { toolCycle: { awaitingApproval: 'ready' } })].sort()).toEqual([
      'worker',
      'worker.toolCycle',
      'worker.toolCycle.awaitingApproval',
      'worker.toolCycle.awaitingApproval.ready',
    ]);
  });

  it('gives each region of a parallel state its own', () => {
    const value = { mode: 'linear', trustOverride: 'step', run: 'running' };
    expect([...activeStateIds('conductor', value)].sort()).toEqual([
      'conductor',
      'conductor.mode',
      'conductor.mode.linear',
      'conductor.run',
      'conductor.run.running',
      'conductor.trustOverride',
      'conductor.trustOverride.step',
    ]);
    expect(leafPaths(value)).toEqual(['mode.linear', 'trustOverride.step', 'run.running']);
  });

  it('matches the ids of the graph for every state a real snapshot can be in', () => {
    const graph = statechartGraph(workerMachine);
    const ids = new Set(graph.nodes.map((node) => node.id));
    for (const value of ['prompting', 'backoff', 'completed', { toolCycle: 'reviewingResult' }, { toolCycle: { awaitingApproval: 'previewing' } }]) {
      for (const id of activeStateIds('worker', value)) expect(ids.has(id), id).toBe(true);
    }
  });
});

describe('event names in the timeline', () => {
  it('reads invoke done/error events as the diagram labels them', () => {
    expect(eventName('worker', 'xstate.done.actor.tool')).toBe('done: runTool');
    expect(eventName('worker', 'xstate.error.actor.model')).toBe('error: callModel');
    expect(eventName('worker', 'xstate.done.actor.0.worker.toolCycle.awaitingApproval.previewing')).toBe('done: previewTool');
    expect(eventName('conductor', 'xstate.error.actor.T3')).toBe('error: T3');
    expect(eventName('worker', 'clutch.approve')).toBe('clutch.approve');
    expect(eventName('ticket', 'xstate.init')).toBe('xstate.init');
  });
});
