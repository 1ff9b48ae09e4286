import { useSelector } from '@xstate/react';
import type { ActorView, TicketSummary } from '../../../protocol/wire.js';
import { useClient, useView } from '../../hooks.js';
import { stateSummary } from '../../inspector/state-value.js';
import { pauseOf } from '../../pause.js';
import { conductorKey, ticketKey, workerKey } from '../../../protocol/actor-keys.js';
import type { WorkerView } from '../../views.js';

function phase(view: ActorView | null): 'absent' | 'live' | 'paused' | 'finished' | 'error' {
  if (!view) return 'absent';
  if (view.status === 'error') return 'error';
  if (view.status !== 'active') return view.kind === 'ticket' && view.status === 'pending' ? 'absent' : 'finished';
  if (view.kind === 'worker' && pauseOf(view as ActorView<WorkerView>)) return 'paused';
  return 'live';
}

function ActorRow(props: { actor: string; kind: string; name: string; detail?: string; selected: boolean; onSelect: (actor: string) => void }) {
  const client = useClient();
  const view = useView(props.actor);
  const events = useSelector(client.timeline.ref(props.actor), (entries) => entries.length);
  const state = phase(view);
  const summary = view ? stateSummary(view.value) : 'not started';
  return (
    <button
      type="button"
      className={`actor-row ${state === 'finished' || state === 'error' ? 'finished' : ''} ${state === 'absent' ? 'absent' : ''} ${props.selected ? 'selected' : ''}`}
      data-testid="actor-row"
      data-actor={props.actor}
      data-phase={state}
      aria-pressed={props.selected}
      disabled={!view}
      onClick={() => props.onSelect(props.actor)}
      title={`${props.actor}: ${view?.status ?? 'no actor yet'} · ${summary} · ${events} events kept`}
    >
      <span className={`actor-dot ${state}`} aria-hidden="true" />
      <span className="actor-kind">{props.kind}</span>
      <span className="actor-name">{props.name}</span>
      {props.detail && <span className="muted">{props.detail}</span>}
      <span className="actor-state">{state === 'finished' ? `${view?.status} · ${summary}` : summary}</span>
    </button>
  );
}

function WorkerRow(props: { ticket: string; selected: string; onSelect: (actor: string) => void }) {
  const worker = useView<WorkerView>(workerKey(props.ticket));
  if (!worker) return null;
  const key = workerKey(props.ticket);
  return (
    <ul>
      <li>
        <ActorRow actor={key} kind="worker" name={props.ticket} detail={`#${worker.context.attempt}`} selected={props.selected === key} onSelect={props.onSelect} />
      </li>
    </ul>
  );
}

/** The actor system as a tree: the conductor, its tickets, each ticket's worker. Finished ones are greyed. */
export function ActorTree(props: { trackId: string; tickets: readonly TicketSummary[]; selected: string; onSelect: (actor: string) => void }) {
  return (
    <section className="card actor-tree" aria-label="actors" data-testid="actor-tree">
      <h2>Actors</h2>
      <ul>
        <li>
          <ActorRow actor={conductorKey} kind="conductor" name={props.trackId} selected={props.selected === conductorKey} onSelect={props.onSelect} />
          <ul>
            {props.tickets.map((ticket) => (
              <li key={ticket.id}>
                <ActorRow actor={ticketKey(ticket.id)} kind="ticket" name={ticket.id} selected={props.selected === ticketKey(ticket.id)} onSelect={props.onSelect} />
                <WorkerRow ticket={ticket.id} selected={props.selected} onSelect={props.onSelect} />
              </li>
            ))}
          </ul>
        </li>
      </ul>
    </section>
  );
}
