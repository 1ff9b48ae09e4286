import { useState } from 'react';
import type { TicketSummary } from '../../protocol/wire.js';
import { useClient, useStore, useView } from '../hooks.js';
import { useActivity, useRunNow } from '../use-activity.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import type { ConductorView } from '../views.js';
import { RetryDialog } from './RetryDialog.js';
import { TicketNode } from './TicketNode.js';
import { TrackGraph } from './TrackGraph.js';

/**
 * The track as a dependency graph, laid out by ELK left to right: an arrow from each dependency
 * to its dependent, routed in the gaps between the cards (never behind one).
 */
export function TrackBoard(props: { tickets: readonly TicketSummary[]; selected: string | null; onSelect: (id: string) => void; onRunDiff?: () => void }) {
  const conductor = useView<ConductorView>(conductorKey);
  const isolation = useStore(useClient().session)?.isolation;
  const { spans, running } = useActivity();
  const busy = [...spans.values()].some((span) => span.end === null);
  const now = useRunNow(busy || running.size > 0);
  const [retrying, setRetrying] = useState<string | null>(null);
  const infoOf = new Map(props.tickets.map((ticket, index) => [ticket.id, conductor?.context.tickets[index]]));
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
        <TrackGraph
          tickets={props.tickets}
          testId="track-board"
          edgeTestId={(from, to) => `edge-${from}-${to}`}
          edgeClass={(from) => (infoOf.get(from)?.status === 'completed' ? 'satisfied' : '')}
          renderNode={(ticket) => (
            <TicketNode
              ticket={ticket}
              info={infoOf.get(ticket.id)}
              selected={props.selected === ticket.id}
              onSelect={() => props.onSelect(ticket.id)}
              onRetry={() => setRetrying(ticket.id)}
              span={spans.get(ticket.id)}
              tool={running.get(ticket.id)}
              now={now}
            />
          )}
        />
      </div>
      {retrying && <RetryDialog ticket={retrying} onClose={() => setRetrying(null)} />}
    </section>
  );
}
