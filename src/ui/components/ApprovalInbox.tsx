import { useState } from 'react';
import type { TicketSummary } from '../../protocol/wire.js';
import { useClient, useOffline, usePendingPauses, useStore, useView, type PendingPause } from '../hooks.js';
import { plannerKey } from '../../protocol/actor-keys.js';
import { agentLabel, agentsOf, ticketOfAgent } from '../agents.js';
import { noteAnswer, unappliedEdits } from '../keyboard/answer-state.js';
import { armedSpots, pauseKey } from '../keyboard/arming.js';
import { bulkApprovable, pauseRef } from '../pause.js';
import { InboxItem } from './InboxItem.js';

type BulkState = { state: 'idle' } | { state: 'sending'; total: number } | { state: 'done'; approved: number; refused: string[] };

/**
 * The pauses "Approve all read-only calls" takes now: read-only, shown in the inbox long enough to
 * have been seen (armed), and without an unapplied edit in the worker panel.
 */
function readOnlyPending(pending: readonly PendingPause[], armed: ReadonlyMap<string, { key: string }>, edited: ReadonlyMap<string, string>): PendingPause[] {
  return pending.filter(({ ticket, view, pause }) => {
    const key = pauseKey(ticket, pauseRef(pause));
    return bulkApprovable(pause, view.accepts) && armed.get(`inbox:${ticket}`)?.key === key && edited.get(ticket) !== key;
  });
}

/**
 * Every pause of every agent in one list: each ticket's worker, its reviewer (`T2@review`, the
 * review of ticket T2) and, while a request is planned, the pm and the tech lead. Each item is
 * answered on its own; Open shows it (onOpen gets the agent's id).
 */
export function ApprovalInbox(props: { tickets: readonly TicketSummary[]; selected: string | null; onOpen: (agent: string) => void }) {
  const client = useClient();
  const planning = useView(plannerKey) !== null;
  const agents = agentsOf(props.tickets, planning);
  const pending = usePendingPauses(agents);
  const bulk = readOnlyPending(pending, useStore(armedSpots), useStore(unappliedEdits));
  const offline = useOffline();
  const [status, setStatus] = useState<BulkState>({ state: 'idle' });
  // Every agent waiting at a pause now (a ticket's worker or its reviewer, the planner's agents).
  const waiting = pending.length;

  /** One command per pause, each naming its pause, so each is journaled (and refused) on its own. */
  async function approveReadOnly(): Promise<void> {
    const chosen = bulk;
    setStatus({ state: 'sending', total: chosen.length });
    let approved = 0;
    const refused: string[] = [];
    for (const { ticket, pause } of chosen) {
      const reply = await client.call('command', { target: { kind: 'worker', id: ticket }, command: { type: 'clutch.approve', pause: pauseRef(pause) } });
      noteAnswer(ticket, reply);
      if (reply.ok) approved += 1;
      else refused.push(reply.error);
    }
    setStatus({ state: 'done', approved, refused });
  }

  return (
    <section className="card inbox" aria-label="approval inbox" data-testid="approval-inbox" data-waiting={waiting}>
      <h2>
        Approvals <span className={`badge${waiting > 0 ? ' hot' : ''}`}>{waiting}</span>
      </h2>
      {(bulk.length > 0 || status.state !== 'idle') && (
        <div className="bulk">
          <button
            type="button"
            className="button"
            data-testid="approve-read-only"
            data-count={bulk.length}
            disabled={bulk.length === 0 || offline !== null || status.state === 'sending'}
            title={offline ?? `Approves ${bulk.map(({ ticket, pause }) => `${agentLabel(ticket)} ${pause.call?.name ?? ''} (${pause.kind === 'approval' ? 'pause 1' : 'pause 2'})`).join(', ')}, one command each`}
            onClick={() => void approveReadOnly()}
          >
            Approve all read-only calls ({bulk.length})
          </button>
          {status.state === 'sending' && <span className="command-status pending">approving {status.total}…</span>}
          {status.state === 'done' && (
            <span className={`command-status${status.refused.length > 0 ? ' error' : ''}`} data-testid="approve-read-only-result" role="status">
              approved {status.approved}
              {status.refused.length > 0 && `; refused ${status.refused.length}: ${status.refused.join('; ')}`}
            </span>
          )}
        </div>
      )}
      <ul className="inbox-list">
        {agents.map((agent) => (
          <InboxItem key={agent} ticketId={agent} selected={props.selected !== null && ticketOfAgent(agent) === props.selected} onOpen={() => props.onOpen(agent)} />
        ))}
      </ul>
      {waiting === 0 && <p className="muted empty">Nothing waits for you.</p>}
    </section>
  );
}
