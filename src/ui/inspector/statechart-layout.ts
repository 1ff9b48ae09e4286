import type { ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import { ELK } from './elk.js';
import type { StateGraphEdge, StateGraphNode, StatechartGraph } from './statechart-graph.js';
export { fonts } from './text-fonts.js';

/**
 * Places a statechart graph with ELK's layered algorithm, the whole hierarchy at once
 * (INCLUDE_CHILDREN), so that edges between nested states are routed around the boxes.
 * Transitions that change no state are not edges: they are listed inside their state.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Box extends Point {
  width: number;
  height: number;
}

export interface StateRow {
  kind: 'invoke' | 'internal' | 'folded';
  text: string;
}

export interface PlacedState extends StateGraphNode, Box {
  /** Height of the title band and the rows under it. */
  header: number;
  rows: StateRow[];
}

export interface PlacedEdge {
  edge: StateGraphEdge;
  points: Point[];
  /** The event on the first line, the guard under it. */
  label: (Box & { lines: string[] }) | null;
}

export interface PlacedInitial extends Point {
  /** The compound state it belongs to. */
  parent: string;
  target: string;
  radius: number;
  points: Point[];
}

export interface StatechartLayout {
  width: number;
  height: number;
  states: PlacedState[];
  edges: PlacedEdge[];
  initials: PlacedInitial[];
}

/** Text width in px for a font size; the browser passes a canvas measurement, tests an estimate. */
export type Measure = (text: string, font: 'title' | 'label') => number;

export const estimateText: Measure = (text, font) => text.length * (font === 'title' ? 7.6 : 6.7);

const TITLE = 28;
const ROW = 16;
const PAD = 12;
const LINE = 14;
const INITIAL_RADIUS = 5;

function rowsOf(node: StateGraphNode, internal: readonly StateGraphEdge[]): StateRow[] {
  const folded: StateRow[] = node.folded ? [{ kind: 'folded', text: `▸ ${node.folded} sub-state${node.folded === 1 ? '' : 's'} folded` }] : [];
  if (node.quiet) return folded;
  return [
    ...folded,
    ...node.invokes.map((src): StateRow => ({ kind: 'invoke', text: `invoke ${src}` })),
    ...internal.map((edge): StateRow => ({ kind: 'internal', text: `↻ ${edge.label}` })),
  ];
}

/**
 * ELK lays a hierarchy out level by level, each with the options of the node that holds it, so
 * every compound state carries them (set on the root alone they would not reach the states).
 */
const layered: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.direction': 'DOWN',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.edgeLabels.sideSelection': 'SMART_DOWN',
  'elk.spacing.nodeNode': '20',
  'elk.spacing.edgeNode': '10',
  'elk.spacing.edgeEdge': '6',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '4',
  'elk.layered.spacing.nodeNodeBetweenLayers': '30',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
  // From the initial state down: a transition back up (a loop) is what gets reversed.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  'elk.layered.mergeEdges': 'false',
  // More crossing-minimization sweeps than the default 7: the worker's chart, the largest, comes out
  // narrower (at pause 2 about a tenth), so it reads at Fit on a laptop screen.
  'elk.layered.thoroughness': '20',
};

const initialId = (parent: string) => `${parent}#initial`;

export async function layoutStatechart(graph: StatechartGraph, measure: Measure = estimateText, options: Record<string, string> = {}): Promise<StatechartLayout> {
  const shared = { ...layered, ...options };
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const internal = new Map<string, StateGraphEdge[]>();
  for (const edge of graph.edges) {
    if (edge.target !== null) continue;
    internal.set(edge.source, [...(internal.get(edge.source) ?? []), edge]);
  }
  const rows = new Map(graph.nodes.map((node) => [node.id, rowsOf(node, internal.get(node.id) ?? [])]));
  const headerOf = (node: StateGraphNode) => TITLE + (rows.get(node.id)!.length > 0 ? rows.get(node.id)!.length * ROW + 4 : 0);
  const textWidth = (node: StateGraphNode) =>
    Math.max(measure(node.key, 'title') + (node.kind === 'parallel' ? 70 : 0), ...rows.get(node.id)!.map((row) => measure(row.text, 'label')));

  const toElk = (node: StateGraphNode): ElkNode => {
    const header = headerOf(node);
    if (node.children.length === 0) {
      return { id: node.id, width: Math.max(96, Math.ceil(textWidth(node) + 2 * PAD)), height: header + (node.kind === 'final' ? 8 : 6) };
    }
    const children = node.children.map((child) => toElk(byId.get(child)!));
    if (node.initial) children.unshift({ id: initialId(node.id), width: 2 * INITIAL_RADIUS, height: 2 * INITIAL_RADIUS });
    return {
      id: node.id,
      children,
      layoutOptions: {
        ...shared,
        'elk.padding': `[top=${header + 10},left=${PAD + 4},bottom=${PAD + 4},right=${PAD + 4}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(textWidth(node) + 2 * PAD)}, ${header + 30})`,
      },
    };
  };

  const label = (edge: StateGraphEdge): ElkLabel => {
    const lines = labelLines(edge);
    return { text: lines.join('\n'), width: Math.ceil(Math.max(...lines.map((line) => measure(line, 'label'))) + 8), height: lines.length * LINE + 4 };
  };
  const edges: ElkExtendedEdge[] = graph.edges
    .filter((edge) => edge.target !== null)
    .map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target!], labels: edge.quiet ? [] : [label(edge)] }));
  for (const node of graph.nodes) {
    if (node.initial) edges.push({ id: initialId(node.id), sources: [initialId(node.id)], targets: [node.initial] });
  }

  const root: ElkNode = {
    id: '__root',
    layoutOptions: { ...shared, 'elk.padding': '[top=8,left=8,bottom=8,right=8]' },
    children: [toElk(byId.get(graph.root)!)],
    edges,
  };

  const laid = await new ELK().layout(root);

  const states: PlacedState[] = [];
  const initials: PlacedInitial[] = [];
  const boxes = new Map<string, Box>();
  const collect = (node: ElkNode): void => {
    const box = { x: node.x ?? 0, y: node.y ?? 0, width: node.width ?? 0, height: node.height ?? 0 };
    boxes.set(node.id, box);
    const state = byId.get(node.id);
    if (state) states.push({ ...state, ...box, header: headerOf(state), rows: rows.get(state.id)! });
    for (const child of node.children ?? []) collect(child);
  };
  for (const child of laid.children ?? []) collect(child);

  const sectionPoints = (edge: ElkExtendedEdge): Point[] =>
    (edge.sections ?? []).flatMap((section) => [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]);
  const edgeById = new Map(graph.edges.map((edge) => [edge.id, edge]));
  const placed: PlacedEdge[] = [];
  for (const edge of allEdges(laid)) {
    const points = sectionPoints(edge);
    const source = edgeById.get(edge.id);
    if (source) {
      const first = edge.labels?.[0];
      placed.push({
        edge: source,
        points,
        label: first ? { x: first.x ?? 0, y: first.y ?? 0, width: first.width ?? 0, height: first.height ?? 0, lines: labelLines(source) } : null,
      });
    } else if (edge.id.endsWith('#initial')) {
      const parent = edge.id.slice(0, -'#initial'.length);
      const box = boxes.get(edge.id)!;
      initials.push({
        parent,
        target: byId.get(parent)!.initial!,
        x: box.x + INITIAL_RADIUS,
        y: box.y + INITIAL_RADIUS,
        radius: INITIAL_RADIUS,
        points,
      });
    }
  }
  // Parents first, so children are drawn over them.
  states.sort((a, b) => a.depth - b.depth);
  return { width: Math.ceil(laid.width ?? 0), height: Math.ceil(laid.height ?? 0), states, edges: placed, initials };
}

export function labelLines(edge: StateGraphEdge): string[] {
  return edge.guard ? [edge.name, `[${edge.guard}]`] : [edge.name];
}

/** ELK may move an edge into the node that contains both its ends; gather them from everywhere. */
function allEdges(node: ElkNode): ElkExtendedEdge[] {
  return [...(node.edges ?? []), ...(node.children ?? []).flatMap(allEdges)];
}
