import { describe, expect, it } from 'vitest';
import type { TicketSummary } from '../../src/protocol/wire.js';
import type { Point } from '../../src/ui/svg-path.js';
import { layoutTrackElk } from '../../src/ui/track-layout-elk.js';
import { defaultSize, layoutTrack, type TrackLayout } from '../../src/ui/track-layout.js';

/** The track board's layout: ELK's layered placement, with every edge routed around the cards. */
const ticket = (id: string, dependencies: string[] = []): TicketSummary => ({
  id,
  target_file: `src/${id}.js`,
  prompt: `do ${id}`,
  worker_archetype: 'codegen',
  dependencies,
});

/** A chain T1 → T2 → T3 with T1 → T3 too: that edge skips T2's layer. And a diamond beside it. */
const skipping = [ticket('T1'), ticket('T2', ['T1']), ticket('T3', ['T2', 'T1']), ticket('T4', ['T1']), ticket('T5', ['T3', 'T4', 'T1'])];

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Whether the segment a-b passes through the inside of the box (touching its border is not crossing). */
function crosses(a: Point, b: Point, box: Rect): boolean {
  const inset = 0.5;
  const left = box.x + inset;
  const right = box.x + box.width - inset;
  const top = box.y + inset;
  const bottom = box.y + box.height - inset;
  // Liang–Barsky clipping of the segment against the box.
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  for (const [p, q] of [
    [-dx, a.x - left],
    [dx, right - a.x],
    [-dy, a.y - top],
    [dy, bottom - a.y],
  ] as const) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return t1 - t0 > 1e-9;
}

/** Every (edge, card) pair where the edge passes behind a card other than its two ends. */
function hiddenEdges(layout: TrackLayout): string[] {
  const boxes = layout.nodes.map((node) => ({ id: node.id, x: node.x, y: node.y, width: defaultSize.nodeWidth, height: defaultSize.nodeHeight }));
  const found: string[] = [];
  for (const edge of layout.edges) {
    for (const box of boxes) {
      if (box.id === edge.from || box.id === edge.to) continue;
      for (let index = 1; index < edge.points.length; index += 1) {
        if (crosses(edge.points[index - 1]!, edge.points[index]!, box)) {
          found.push(`${edge.from}->${edge.to} behind ${box.id}`);
          break;
        }
      }
    }
  }
  return found;
}

describe('the track board layout', () => {
  it('routes a dependency that skips a layer around the cards, never behind one', async () => {
    const layout = await layoutTrackElk(skipping);
    expect(layout.by).toBe('elk');
    expect(layout.edges.map((edge) => `${edge.from}->${edge.to}`).sort()).toEqual(['T1->T2', 'T1->T3', 'T1->T4', 'T1->T5', 'T2->T3', 'T3->T5', 'T4->T5']);
    expect(hiddenEdges(layout)).toEqual([]);
    // Left to right by dependency: each card sits right of everything it depends on, and cards never overlap.
    const byId = new Map(layout.nodes.map((node) => [node.id, node]));
    for (const item of skipping) for (const dependency of item.dependencies) expect(byId.get(item.id)!.x).toBeGreaterThan(byId.get(dependency)!.x + defaultSize.nodeWidth);
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart = a.x + defaultSize.nodeWidth <= b.x || b.x + defaultSize.nodeWidth <= a.x || a.y + defaultSize.nodeHeight <= b.y || b.y + defaultSize.nodeHeight <= a.y;
        expect(apart, `${a.id} / ${b.id}`).toBe(true);
      }
    }
    // Every route leaves its dependency's right side and ends at (just before) its dependent's left side.
    for (const edge of layout.edges) {
      const from = byId.get(edge.from)!;
      const to = byId.get(edge.to)!;
      expect(edge.points[0]!.x).toBeCloseTo(from.x + defaultSize.nodeWidth, 0);
      expect(edge.points.at(-1)!.x).toBeLessThan(to.x);
      expect(edge.points.at(-1)!.x).toBeGreaterThan(to.x - 4);
      expect(edge.d.startsWith('M ')).toBe(true);
    }
    expect(layout.width).toBeGreaterThanOrEqual(Math.max(...layout.nodes.map((node) => node.x + defaultSize.nodeWidth)));
    expect(layout.height).toBeGreaterThanOrEqual(Math.max(...layout.nodes.map((node) => node.y + defaultSize.nodeHeight)));
  });

  it('is what the defect was: the columns of the first paint draw that edge behind the middle card', () => {
    // The check above is not vacuous: the column layout (shown only until ELK is done) has the defect.
    expect(hiddenEdges(layoutTrack(skipping.slice(0, 3)))).toEqual(['T1->T3 behind T2']);
  });

  it('lays out the demo diamond, and leaves out edges to unknown tickets', async () => {
    const diamond = [ticket('T1'), ticket('T2', ['T1']), ticket('T3', ['T1']), ticket('T4', ['T2', 'T3', 'T9'])];
    const layout = await layoutTrackElk(diamond);
    expect(layout.nodes.map((node) => node.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(layout.edges).toHaveLength(4);
    expect(hiddenEdges(layout)).toEqual([]);
    expect(layout.nodes.find((node) => node.id === 'T4')!.depth).toBe(2);
  });
});
