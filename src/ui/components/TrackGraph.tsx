import type { ReactNode } from 'react';
import type { TicketSummary } from '../../protocol/wire.js';
import { defaultSize } from '../track-layout.js';
import { useTrackLayout } from '../use-track-layout.js';

/**
 * A track's tickets as a dependency graph, laid out by ELK left to right (the column layout until
 * ELK is ready): an arrow from each dependency to its dependent, routed in the gaps between the
 * cards. The board and the plan approval draw their own cards in it.
 */
export function TrackGraph(props: {
  tickets: readonly TicketSummary[];
  testId: string;
  edgeTestId: (from: string, to: string) => string;
  edgeClass?: (from: string, to: string) => string;
  renderNode: (ticket: TicketSummary) => ReactNode;
  label?: string;
}) {
  const layout = useTrackLayout(props.tickets);
  const size = defaultSize;
  const marker = `arrow-${props.testId}`;
  return (
    <svg
      data-testid={props.testId}
      data-layout={layout.by}
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label={props.label ?? 'ticket dependency graph'}
    >
      <defs>
        <marker id={marker} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="edge-arrow" />
        </marker>
      </defs>
      {layout.edges.map((edge) => (
        <path
          key={`${edge.from}->${edge.to}`}
          d={edge.d}
          className={`edge${props.edgeClass ? ` ${props.edgeClass(edge.from, edge.to)}` : ''}`}
          markerEnd={`url(#${marker})`}
          data-testid={props.edgeTestId(edge.from, edge.to)}
        />
      ))}
      {layout.nodes.map((node) => {
        const ticket = props.tickets.find((candidate) => candidate.id === node.id);
        if (!ticket) return null;
        return (
          <foreignObject key={node.id} x={node.x} y={node.y} width={size.nodeWidth} height={size.nodeHeight}>
            {props.renderNode(ticket)}
          </foreignObject>
        );
      })}
    </svg>
  );
}
