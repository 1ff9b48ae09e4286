import { describe, expect, it } from 'vitest';
import { machines } from '../../src/ui/inspector/machines.js';
import { statechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { layoutStatechart, type Box } from '../../src/ui/inspector/statechart-layout.js';

/** ELK's layered layout of each machine, run in Node with estimated text widths. */
const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('layoutStatechart', () => {
  for (const kind of ['conductor', 'ticket', 'worker'] as const) {
    it(`places every state of the ${kind} machine inside its parent, and routes every transition`, async () => {
      const graph = statechartGraph(machines[kind]);
      const layout = await layoutStatechart(graph);
      expect(layout.states).toHaveLength(graph.nodes.length);
      const byId = new Map(layout.states.map((state) => [state.id, state]));
      for (const state of layout.states) {
        expect(state.width, state.id).toBeGreaterThan(40);
        expect(state.height, state.id).toBeGreaterThan(20);
        if (state.parent) expect(inside(state, byId.get(state.parent)!), `${state.id} inside ${state.parent}`).toBe(true);
        else expect(inside(state, { x: 0, y: 0, width: layout.width, height: layout.height })).toBe(true);
      }
      // Siblings never overlap (the regions of a parallel state included).
      for (const state of layout.states) {
        const siblings = layout.states.filter((other) => other.parent === state.parent && other.id !== state.id);
        for (const sibling of siblings) expect(overlap(state, sibling), `${state.id} / ${sibling.id}`).toBe(false);
      }
      const targeted = graph.edges.filter((edge) => edge.target !== null);
      expect(layout.edges.map((placed) => placed.edge.id).sort()).toEqual(targeted.map((edge) => edge.id).sort());
      for (const placed of layout.edges) {
        expect(placed.points.length, placed.edge.id).toBeGreaterThanOrEqual(2);
        expect(placed.label?.lines[0], placed.edge.id).toBe(placed.edge.name);
      }
      // Transitions that stay are listed in their state instead.
      const stays = graph.edges.filter((edge) => edge.target === null);
      for (const edge of stays) expect(byId.get(edge.source)!.rows.some((row) => row.text === `↻ ${edge.label}`), edge.id).toBe(true);
      expect(layout.initials.map((initial) => initial.target).sort()).toEqual(
        graph.nodes.flatMap((node) => (node.initial ? [node.initial] : [])).sort(),
      );
    });
  }

  it('starts the worker at the top: its initial state comes before the states it leads to', async () => {
    const layout = await layoutStatechart(statechartGraph(machines.worker));
    const y = (id: string) => layout.states.find((state) => state.id === id)!.y;
    expect(y('worker.prompting')).toBeLessThan(y('worker.toolCycle'));
    expect(y('worker.toolCycle')).toBeLessThan(y('worker.completed'));
  });
});
