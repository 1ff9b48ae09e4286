import { useEffect, useState } from 'react';
import { kindOfKey, type PastSnapshot, type Reply, type TimelineEntry } from '../../../protocol/wire.js';
import { useClient, useView } from '../../hooks.js';
import { pretty } from '../../json-text.js';
import { eventName } from '../../inspector/event-names.js';
import { formatAt } from '../../inspector/state-value.js';

type Loaded = { key: string; reply: Reply<PastSnapshot> } | null;

/** The actor's snapshot, read-only: the live one, or the one a timeline entry left (fetched on demand). */
export function SnapshotPanel(props: { actor: string; entry: TimelineEntry | null }) {
  const client = useClient();
  const live = useView(props.actor);
  const [loaded, setLoaded] = useState<Loaded>(null);
  const entry = props.entry;
  const actor = entry?.actor;
  const seq = entry?.seq;
  // A repeat updates its entry (a later snapshot under the same seq): fetch again then.
  const wanted = entry ? `${entry.actor}#${entry.seq}#${entry.repeat ?? 1}` : null;

  useEffect(() => {
    if (actor === undefined || seq === undefined || wanted === null) return;
    let current = true;
    void client.call('snapshotAt', { actor, seq }).then((reply) => current && setLoaded({ key: wanted, reply }));
    return () => {
      current = false;
    };
  }, [client, actor, seq, wanted]);

  if (!entry) {
    return (
      <section className="card snapshot-panel" aria-label="snapshot" data-testid="snapshot-panel" data-mode="live">
        <h3>
          Live snapshot <span className="readonly-tag">read-only</span>
        </h3>
        {live ? <pre data-testid="snapshot-json">{pretty({ status: live.status, value: live.value, context: live.context })}</pre> : <p className="muted">No actor yet.</p>}
      </section>
    );
  }
  const reply = loaded?.key === wanted ? loaded.reply : null;
  return (
    <section className="card snapshot-panel" aria-label="past snapshot" data-testid="snapshot-panel" data-mode="past" data-seq={entry.seq}>
      <h3>
        After #{entry.seq} <code title={entry.event}>{eventName(kindOfKey(entry.actor) ?? 'conductor', entry.event)}</code> <span className="muted">{formatAt(entry.at)}</span>{' '}
        <span className="readonly-tag">read-only</span>
      </h3>
      {reply === null && <p className="muted">Loading the snapshot…</p>}
      {reply && !reply.ok && <p className="inline-error">{reply.error}</p>}
      {reply?.ok && (
        <pre data-testid="snapshot-json">{pretty({ status: reply.value.status, value: reply.value.value, context: reply.value.context })}</pre>
      )}
    </section>
  );
}
