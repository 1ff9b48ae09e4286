import type { TicketSummary } from '../protocol/wire.js';
import { pathOf, type Point } from './svg-path.js';

export interface NodeBox {
  id: string;
  depth: number;
  x: number;
  y: number;
}

export interface EdgePath {
  from: string;
  to: string;
  /** The route, from the dependency's right side to the dependent's left side. */
  points: Point[];
  d: string;
}

export interface TrackLayout {
  /** Which placement this is: ELK's (edges routed around the cards), or the first paint's columns. */
  by: 'elk' | 'columns';
  nodes: NodeBox[];
  edges: EdgePath[];
  width: number;
  height: number;
}

export interface LayoutSize {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
  margin: number;
}

export const defaultSize: LayoutSize = { nodeWidth: 212, nodeHeight: 112, gapX: 56, gapY: 22, margin: 12 };

/** Longest chain of dependencies below each ticket; unknown ids and cycles count as roots. */
export function depths(tickets: readonly TicketSummary[]): Map<string, number> {
  const byId = new Map(tickets.map((ticket) => [ticket.id, ticket]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const ticket = byId.get(id);
    if (!ticket || visiting.has(id)) return -1;
    visiting.add(id);
    const value = Math.max(-1, ...ticket.dependencies.map(visit)) + 1;
    visiting.delete(id);
    depth.set(id, value);
    return value;
  };
  for (const ticket of tickets) visit(ticket.id);
  return depth;
}

/**
 * The first paint, until ELK's layout (track-layout-elk.ts) is ready: columns by dependency depth,
 * left to right. Within a column, tickets sit in the order of the mean row of their dependencies
 * (one barycentre pass). Its edges are straight lines between columns, which may pass behind a
 * card when a dependency skips a column: ELK's routing replaces them as soon as it is done.
 */
export function layoutTrack(tickets: readonly TicketSummary[], size: LayoutSize = defaultSize): TrackLayout {
  const depth = depths(tickets);
  const columns: TicketSummary[][] = [];
  for (const ticket of tickets) (columns[depth.get(ticket.id) ?? 0] ??= []).push(ticket);
  const row = new Map<string, number>();
  columns.forEach((column, index) => {
    if (index > 0) {
      const weight = (ticket: TicketSummary) => {
        const rows = ticket.dependencies.map((id) => row.get(id)).filter((value): value is number => value !== undefined);
        return rows.length === 0 ? Infinity : rows.reduce((sum, value) => sum + value, 0) / rows.length;
      };
      column.sort((a, b) => weight(a) - weight(b));
    }
    column.forEach((ticket, position) => row.set(ticket.id, position - (column.length - 1) / 2));
  });

  const tallest = Math.max(1, ...columns.map((column) => column.length));
  const height = size.margin * 2 + tallest * size.nodeHeight + (tallest - 1) * size.gapY;
  const width = size.margin * 2 + columns.length * size.nodeWidth + Math.max(0, columns.length - 1) * size.gapX;
  const middle = height / 2;
  const nodes: NodeBox[] = tickets.map((ticket) => {
    const column = depth.get(ticket.id) ?? 0;
    return {
      id: ticket.id,
      depth: column,
      x: size.margin + column * (size.nodeWidth + size.gapX),
      y: middle + row.get(ticket.id)! * (size.nodeHeight + size.gapY) - size.nodeHeight / 2,
    };
  });
  const box = new Map(nodes.map((node) => [node.id, node]));
  const edges: EdgePath[] = tickets.flatMap((ticket) =>
    ticket.dependencies.flatMap((dependency) => {
      const from = box.get(dependency);
      const to = box.get(ticket.id)!;
      if (!from) return [];
      const x1 = from.x + size.nodeWidth;
      const y1 = from.y + size.nodeHeight / 2;
      const x2 = to.x - 2;
      const y2 = to.y + size.nodeHeight / 2;
      const middle = (x1 + x2) / 2;
      const points = [
        { x: x1, y: y1 },
        { x: middle, y: y1 },
        { x: middle, y: y2 },
        { x: x2, y: y2 },
      ];
      return [{ from: dependency, to: ticket.id, points, d: pathOf(points) }];
    }),
  );
  return { by: 'columns', nodes, edges, width: Math.max(width, size.nodeWidth + size.margin * 2), height };
}
