import { useState } from 'react';
import type { TicketSummary } from '../../protocol/wire.js';
import { useClient, useStore, useView } from '../hooks.js';
import { useActivity, useRunNow } from '../use-activity.js';
import { defaultSize } from '../track-layout.js';
import { useTrackLayout } from '../use-track-layout.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import type { ConductorView } from '../views.js';
import { RetryDialog } from './RetryDialog.js';
import { TicketNode } from './TicketNode.js';

/**
 * The track as a dependency graph, laid out by ELK left to right: an arrow from each dependency
 * to its dependent, routed in the gaps between the cards (never behind one).
 */
export function TrackBoard(props: { tickets: readonly TicketSummary[]; selected: string | null; onSelect: (id: string) => void; onRunDiff?: () => void }) {
  const conductor = useView<ConductorView>(conductorKey);
  const isolation = useStore(useClient().session)?.isolation;
  const layout = useTrackLayout(props.tickets);
  const { spans, running } = useActivity();
  const busy = [...spans.values()].some((span) => span.end === null);
  const now = useRunNow(busy || running.size > 0);
  const [retrying, setRetrying] = useState<string | null>(null);
  const infoOf = new Map(props.tickets.map((ticket, index) => [ticket.id, conductor?.context.tickets[index]]));
  const size = defaultSize;
  return (
    <section className="card board" aria-label="track board">
      <header className="board-head">
        <h2>Track</h2>
        {props.onRunDiff && isolation === 'worktree' && (
          <button type="button" className="button link" data-testid="board-run-diff" onClick={props.onRunDiff} title="everything merged so far, against the starting workspace">
            Run diff
          </button>
        )}
      </header>
      <div className="board-scroll">
        <svg
          data-testid="track-board"
          data-layout={layout.by}
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label="ticket dependency graph"
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" className="edge-arrow" />
            </marker>
          </defs>
          {layout.edges.map((edge) => {
            const done = infoOf.get(edge.from)?.status === 'completed';
            return (
              <path
                key={`${edge.from}->${edge.to}`}
                d={edge.d}
                className={`edge${done ? ' satisfied' : ''}`}
                markerEnd="url(#arrow)"
                data-testid={`edge-${edge.from}-${edge.to}`}
              />
            );
          })}
          {layout.nodes.map((node) => {
            const ticket = props.tickets.find((candidate) => candidate.id === node.id)!;
            return (
              <foreignObject key={node.id} x={node.x} y={node.y} width={size.nodeWidth} height={size.nodeHeight}>
                <TicketNode
                  ticket={ticket}
                  info={infoOf.get(node.id)}
                  selected={props.selected === node.id}
                  onSelect={() => props.onSelect(node.id)}
                  onRetry={() => setRetrying(node.id)}
                  span={spans.get(node.id)}
                  tool={running.get(node.id)}
                  now={now}
                />
              </foreignObject>
            );
          })}
        </svg>
      </div>
      {retrying && <RetryDialog ticket={retrying} onClose={() => setRetrying(null)} />}
    </section>
  );
}
