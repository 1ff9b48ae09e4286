import { useSelector } from '@xstate/react';
import type { TimelineEntry } from '../../../protocol/wire.js';
import { useClient, useStore } from '../../hooks.js';
import { eventName } from '../../inspector/event-names.js';
import { formatAt, stateSummary } from '../../inspector/state-value.js';
import { kindOfKey } from '../../../protocol/actor-keys.js';

/** Rows drawn at most: the newest ones. */
const SHOWN = 250;

function sourceText(entry: TimelineEntry): string {
  if (entry.source === null) return 'from outside';
  if (entry.source === entry.actor) return 'from itself';
  return `from ${entry.source}`;
}

function EntryRow(props: { entry: TimelineEntry; showActor: boolean; selected: boolean; onSelect: (entry: TimelineEntry) => void }) {
  const { entry } = props;
  return (
    <li>
      <button
        type="button"
        className={`timeline-entry${props.selected ? ' selected' : ''}`}
        data-testid="timeline-entry"
        data-seq={entry.seq}
        data-actor={entry.actor}
        data-event={entry.event}
        aria-pressed={props.selected}
        onClick={() => props.onSelect(entry)}
        title={`#${entry.seq} ${entry.event} ${sourceText(entry)}; ${entry.actor} → ${stateSummary(entry.value)} (${entry.status})`}
      >
        <span className="timeline-at">{formatAt(entry.at)}</span>
        <span className={`timeline-event${entry.event.startsWith('xstate.error.') ? ' error' : ''}`}>
          {eventName(kindOfKey(entry.actor) ?? 'conductor', entry.event)}
          {entry.repeat !== undefined && <span className="repeat"> ×{entry.repeat}</span>}
        </span>
        <span className="timeline-meta">
          {props.showActor && <code>{entry.actor} </code>}
          {sourceText(entry)} → <code>{stateSummary(entry.value)}</code>
          {entry.status !== 'active' && ` (${entry.status})`}
        </span>
      </button>
    </li>
  );
}

/**
 * The events an actor processed, newest first, from XState's inspection API. Picking one shows
 * the state it left the actor in; "all actors" interleaves every actor's events in order.
 */
export function TimelinePanel(props: {
  actor: string;
  allActors: boolean;
  onAllActors: (all: boolean) => void;
  selected: TimelineEntry | null;
  onSelect: (entry: TimelineEntry) => void;
}) {
  const client = useClient();
  const own = useSelector(client.timeline.ref(props.actor), (entries) => entries);
  const version = useStore(client.timeline.version);
  const entries = props.allActors && version.changes >= 0 ? client.timeline.all() : own;
  const shown = entries.slice(-SHOWN).reverse();
  return (
    <section className="card timeline-card" aria-label="event timeline" data-testid="timeline">
      <h2>
        Events <span className="badge">{entries.length}</span>
      </h2>
      <label className="timeline-filter">
        <input type="checkbox" checked={props.allActors} onChange={(event) => props.onAllActors(event.target.checked)} data-testid="timeline-all" />
        all actors
      </label>
      {shown.length === 0 ? (
        <p className="timeline-empty">No events kept for {props.actor} yet.</p>
      ) : (
        <ol className="timeline" data-testid="timeline-list">
          {shown.map((entry) => (
            <EntryRow key={entry.seq} entry={entry} showActor={props.allActors} selected={props.selected?.seq === entry.seq} onSelect={props.onSelect} />
          ))}
        </ol>
      )}
    </section>
  );
}
