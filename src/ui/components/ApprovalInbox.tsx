import type { TicketSummary } from '../../protocol/wire.js';
import { useView } from '../hooks.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import type { ConductorView } from '../views.js';
import { InboxItem } from './InboxItem.js';

/** Every pause of every worker in one list; each item is answered on its own. */
export function ApprovalInbox(props: { tickets: readonly TicketSummary[]; selected: string | null; onOpen: (id: string) => void }) {
  const conductor = useView<ConductorView>(conductorKey);
  // The conductor counts a ticket as step_paused exactly while its worker waits at a pause.
  const waiting = conductor?.context.tickets.filter((ticket) => ticket.status === 'step_paused').length ?? 0;
  return (
    <section className="card inbox" aria-label="approval inbox" data-testid="approval-inbox" data-waiting={waiting}>
      <h2>
        Approvals <span className={`badge${waiting > 0 ? ' hot' : ''}`}>{waiting}</span>
      </h2>
      <ul className="inbox-list">
        {props.tickets.map((ticket) => (
          <InboxItem key={ticket.id} ticketId={ticket.id} selected={props.selected === ticket.id} onOpen={() => props.onOpen(ticket.id)} />
        ))}
      </ul>
      {waiting === 0 && <p className="muted empty">Nothing waits for you.</p>}
    </section>
  );
}
