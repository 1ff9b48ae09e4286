import { describe, expect, it } from 'vitest';
import { compactGraph, expandedStates } from '../../src/ui/inspector/compact-graph.js';
import { machines } from '../../src/ui/inspector/machines.js';
import { activeStateIds, statechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { layoutStatechart } from '../../src/ui/inspector/statechart-layout.js';

/**
 * The compact statechart: sub-states of inactive compound states folded into one box, only the
 * ways out of the current state labelled. It must read at "Fit" on a 1366×768 laptop screen.
 */
const worker = statechartGraph(machines.worker);
const descendants = (id: string): string[] => {
  const node = worker.nodes.find((candidate) => candidate.id === id)!;
  return node.children.flatMap((child) => [child, ...descendants(child)]);
};

/**
 * The diagram's width at 1366 px: the inspector's side column (350) and gap (14), its padding
 * (2 × 20), the card's padding and border (2 × 17), the scroll box's border and a scrollbar (17).
 */
const PANEL_WIDTH = 1366 - 350 - 14 - 40 - 34 - 17;
/** Fit scales to the panel's width; below this the 11 px labels drop under 9 px. */
const READABLE = 0.8;

const states = {
  prompting: 'prompting',
  approval: { toolCycle: { awaitingApproval: 'ready' } },
  review: { toolCycle: 'reviewingResult' },
  executing: { toolCycle: 'executing' },
  completed: 'completed',
} as const;

describe('the compact worker statechart', () => {
  it('folds toolCycle while the worker is prompting: one box, its sub-states and their transitions not drawn', () => {
    const active = activeStateIds('worker', states.prompting);
    const compact = compactGraph(worker, active);
    const hidden = new Set(descendants('worker.toolCycle'));
    expect(hidden.size).toBe(11);
    const ids = new Set(compact.nodes.map((node) => node.id));
    for (const id of hidden) expect(ids.has(id), id).toBe(false);
    const box = compact.nodes.find((node) => node.id === 'worker.toolCycle')!;
    expect(box).toMatchObject({ children: [], initial: null, folded: 11, quiet: true });
    expect(compact.folded).toEqual(new Map([['worker.toolCycle', 11]]));
    // Every edge joins two drawn states; none goes from the fold into itself.
    for (const edge of compact.edges) {
      expect(ids.has(edge.source), edge.id).toBe(true);
      if (edge.target !== null) expect(ids.has(edge.target), edge.id).toBe(true);
      if (edge.target === edge.source) expect(worker.edges.some((original) => original.id === edge.id && original.source === original.target)).toBe(true);
    }
    // The way into the tool cycle stays, and what leaves any of its sub-states leaves the box.
    expect(compact.edges.some((edge) => edge.source === 'worker.route' && edge.target === 'worker.toolCycle')).toBe(true);
    expect(compact.edges.some((edge) => edge.source === 'worker.toolCycle' && edge.target === 'worker.completed')).toBe(true);
    // Only the ways out of the current state are labelled.
    for (const edge of compact.edges) expect(edge.quiet === true, edge.id).toBe(!active.has(edge.source));
    expect(compact.edges.filter((edge) => !edge.quiet).every((edge) => edge.source === 'worker.prompting' || edge.source === 'worker')).toBe(true);
  });

  it('opens the active compound states and folds the others: awaitingApproval folds at pause 2', () => {
    const atApproval = compactGraph(worker, activeStateIds('worker', states.approval));
    expect(expandedStates(worker, activeStateIds('worker', states.approval)).sort()).toEqual(['worker', 'worker.toolCycle', 'worker.toolCycle.awaitingApproval']);
    expect(atApproval.nodes.map((node) => node.id)).toContain('worker.toolCycle.awaitingApproval.ready');
    expect(atApproval.folded.size).toBe(0);
    const atReview = compactGraph(worker, activeStateIds('worker', states.review));
    expect(atReview.folded).toEqual(new Map([['worker.toolCycle.awaitingApproval', 2]]));
    expect(atReview.nodes.map((node) => node.id)).toContain('worker.toolCycle.reviewingResult');
    expect(atReview.nodes.map((node) => node.id)).not.toContain('worker.toolCycle.awaitingApproval.ready');
  });

  it('changes nothing for the conductor, whose regions are all active', () => {
    const conductor = statechartGraph(machines.conductor);
    const compact = compactGraph(conductor, activeStateIds('conductor', { mode: 'async', trustOverride: 'none', run: 'running' }));
    expect(compact.nodes.map((node) => node.id)).toEqual(conductor.nodes.map((node) => node.id));
    expect(compact.folded.size).toBe(0);
  });

  it(`reads at Fit on a 1366×768 screen: scale at least ${READABLE} in every state, where the full diagram is far below`, async () => {
    const full = await layoutStatechart(worker);
    expect(PANEL_WIDTH / full.width).toBeLessThan(0.6);
    for (const [name, value] of Object.entries(states)) {
      const compact = compactGraph(worker, activeStateIds('worker', value));
      const layout = await layoutStatechart(compact);
      expect(layout.states).toHaveLength(compact.nodes.length);
      expect(Math.min(1, PANEL_WIDTH / layout.width), `${name}: ${layout.width}×${layout.height}`).toBeGreaterThanOrEqual(READABLE);
      // The folded box says what it holds; quiet transitions have no label to take room.
      const box = layout.states.find((state) => state.folded);
      if (box) expect(box.rows.map((row) => row.text)).toEqual([`▸ ${box.folded} sub-states folded`]);
      for (const placed of layout.edges) expect(placed.label === null, placed.edge.id).toBe(placed.edge.quiet === true);
    }
  });
});
