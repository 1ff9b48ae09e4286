import type { StateGraphEdge, StateGraphNode, StatechartGraph } from './statechart-graph.js';

/**
 * The compact view of a statechart for the states it is in: every compound state that is not
 * active is drawn as one box, its sub-states folded into it. Transitions into or out of a folded
 * state start or end at its box; those between its own sub-states are not drawn (they are inside
 * the fold). Only the transitions out of active states keep their labels, and only active states
 * list their rows: what the actor may do next reads at a glance, the rest is the map around it.
 * Pure: the same graph and states always give the same compact graph.
 */
export interface CompactGraph extends StatechartGraph {
  /** The folded states, with how many states each hides. */
  folded: Map<string, number>;
}

/** The compound states a compact view of `active` keeps open: the root and every active one. */
export function expandedStates(graph: StatechartGraph, active: ReadonlySet<string>): string[] {
  return graph.nodes.filter((node) => node.children.length > 0 && (node.parent === null || active.has(node.id))).map((node) => node.id);
}

export function compactGraph(graph: StatechartGraph, active: ReadonlySet<string>): CompactGraph {
  const open = new Set(expandedStates(graph, active));
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  // Where each state is drawn: itself, or the outermost folded state it sits in.
  const shownAs = new Map<string, string>();
  const folded = new Map<string, number>();
  const visit = (id: string, fold: string | null): void => {
    const node = byId.get(id)!;
    shownAs.set(id, fold ?? id);
    if (fold !== null) folded.set(fold, (folded.get(fold) ?? 0) + 1);
    const folds = fold === null && node.children.length > 0 && !open.has(id) ? id : fold;
    for (const child of node.children) visit(child, folds);
  };
  visit(graph.root, null);

  const nodes: StateGraphNode[] = [];
  for (const node of graph.nodes) {
    if (shownAs.get(node.id) !== node.id) continue;
    const quiet = !active.has(node.id);
    nodes.push(folded.has(node.id) ? { ...node, children: [], initial: null, folded: folded.get(node.id)!, quiet } : quiet ? { ...node, quiet } : node);
  }
  const edges: StateGraphEdge[] = [];
  const drawn = new Set<string>();
  for (const edge of graph.edges) {
    const source = shownAs.get(edge.source)!;
    const target = edge.target === null ? null : shownAs.get(edge.target)!;
    const insideFold = (id: string) => shownAs.get(id) !== id;
    // Between two sub-states of one fold, or a state's own transition into its sub-states: inside the fold.
    if (target !== null && source === target && (insideFold(edge.source) || insideFold(edge.target!))) continue;
    // A sub-state's handler that changes no state stays inside the fold too.
    if (target === null && insideFold(edge.source)) continue;
    // Several sub-states leaving on the same event for the same state: one arrow from the fold.
    const key = JSON.stringify([source, target, edge.label]);
    if (drawn.has(key)) continue;
    drawn.add(key);
    const quiet = !active.has(source);
    edges.push(source === edge.source && target === edge.target && !quiet ? edge : { ...edge, source, target, ...(quiet ? { quiet } : {}) });
  }
  return { ...graph, nodes, edges, folded };
}
