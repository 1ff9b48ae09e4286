import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { TicketSummary } from '../protocol/wire.js';
import { ELK } from './inspector/elk.js';
import { pathOf, type Point } from './svg-path.js';
import { defaultSize, depths, type EdgePath, type LayoutSize, type NodeBox, type TrackLayout } from './track-layout.js';

/**
 * The track board laid out by ELK's layered algorithm, left to right, with orthogonal edge
 * routing: an edge runs in the gaps between cards, so a dependency that skips a layer goes around
 * the cards of the layers it skips instead of behind them (they are opaque and drawn on top).
 */
const options: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '56',
  'elk.spacing.nodeNode': '22',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
  'elk.layered.mergeEdges': 'false',
};

/** The gap left between an arrow's tip and the card it points at, so the head is not hidden. */
const TIP_GAP = 2;

export async function layoutTrackElk(tickets: readonly TicketSummary[], size: LayoutSize = defaultSize): Promise<TrackLayout> {
  const known = new Set(tickets.map((ticket) => ticket.id));
  const edges: ElkExtendedEdge[] = [];
  // Ends by ELK's edge id: ticket ids are the track's to choose, so no id is parsed back.
  const ends = new Map<string, { from: string; to: string }>();
  const seen = new Set<string>();
  for (const ticket of tickets) {
    for (const dependency of ticket.dependencies) {
      const pair = JSON.stringify([dependency, ticket.id]);
      // A dependency on an unknown ticket is the track's error to report, not an edge to draw.
      if (!known.has(dependency) || seen.has(pair)) continue;
      seen.add(pair);
      const id = `e${ends.size}`;
      ends.set(id, { from: dependency, to: ticket.id });
      edges.push({ id, sources: [dependency], targets: [ticket.id] });
    }
  }
  const root: ElkNode = {
    id: '\u0000track',
    layoutOptions: { ...options, 'elk.padding': `[top=${size.margin},left=${size.margin},bottom=${size.margin},right=${size.margin}]` },
    children: tickets.map((ticket) => ({
      id: ticket.id,
      width: size.nodeWidth,
      height: size.nodeHeight,
    })),
    edges,
  };
  const laid = await new ELK().layout(root);
  const depth = depths(tickets);
  const nodes: NodeBox[] = (laid.children ?? []).map((node) => ({ id: node.id, depth: depth.get(node.id) ?? 0, x: node.x ?? 0, y: node.y ?? 0 }));
  const placed: EdgePath[] = (laid.edges ?? []).map((edge) => {
    const { from, to } = ends.get(edge.id)!;
    const points = (edge.sections ?? []).flatMap((section): Point[] => [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]);
    const last = points.at(-1);
    if (last) points[points.length - 1] = { x: last.x - TIP_GAP, y: last.y };
    return { from, to, points, d: pathOf(points) };
  });
  return { by: 'elk', nodes, edges: placed, width: Math.ceil(laid.width ?? 0), height: Math.ceil(laid.height ?? 0) };
}
