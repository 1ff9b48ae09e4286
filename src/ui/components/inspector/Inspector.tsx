import { useEffect, useState } from 'react';
import type { ActorKind, TicketSummary, TimelineEntry } from '../../../protocol/wire.js';
import type { ClutchClient } from '../../client.js';
import { useClient, useStore } from '../../hooks.js';
import { pauseOf } from '../../pause.js';
import { conductorKey, kindOfKey } from '../../../protocol/actor-keys.js';
import type { WorkerView } from '../../views.js';
import { ActorTree } from './ActorTree.js';
import { DiagramPanel } from './DiagramPanel.js';
import { SnapshotPanel } from './SnapshotPanel.js';
import { TestPathsTab } from './TestPathsTab.js';
import { TimelinePanel } from './TimelinePanel.js';

/** The inspector's tabs; more views of the machines go here. */
const tabs = [
  { id: 'diagram', label: 'Diagram & timeline' },
  { id: 'paths', label: 'Test paths' },
] as const;

/** Where to look first: a worker waiting for a human, else one at work, else the conductor. */
function firstActor(client: ClutchClient): string {
  const workers = client.actors.keys.getSnapshot().filter((key) => kindOfKey(key) === 'worker');
  const views = workers.map((key) => client.actors.view<WorkerView>(key)).filter((view) => view !== null);
  return views.find((view) => pauseOf(view))?.key ?? views.find((view) => view.status === 'active')?.key ?? conductorKey;
}

/**
 * The Inspector: the actor system as a tree, the selected actor's statechart with the states it is
 * in, and the events it processed. Picking an event shows the state it left (time travel).
 */
export function Inspector(props: {
  trackId: string;
  tickets: readonly TicketSummary[];
  actor: string | null;
  onActor: (actor: string) => void;
  /** Compact diagrams per machine (the worker's on unless turned off), kept by the App across visits. */
  compact: Partial<Record<ActorKind, boolean>>;
  onCompact: (kind: ActorKind, compact: boolean) => void;
}) {
  const { tickets } = props;
  const client = useClient();
  const [tab, setTab] = useState<(typeof tabs)[number]['id']>('diagram');
  // The selection lives in the App, so it survives a visit to the Run view; until there is one,
  // the actor that most needs a look, picked once the views are in. Opened straight from the
  // address (#inspector) the page has no views yet when this mounts: picking then would always
  // pick the conductor.
  const keys = useStore(client.actors.keys);
  const [first, setFirst] = useState<string | null>(() => (keys.length > 0 ? firstActor(client) : null));
  useEffect(() => {
    if (first === null && keys.length > 0) setFirst(firstActor(client));
  }, [client, first, keys]);
  const actor = props.actor ?? first ?? conductorKey;
  const [past, setPast] = useState<TimelineEntry | null>(null);
  const [allActors, setAllActors] = useState(false);

  const select = (key: string) => {
    props.onActor(key);
    setPast(null);
  };
  const pick = (entry: TimelineEntry) => {
    props.onActor(entry.actor);
    setPast((current) => (current?.seq === entry.seq ? null : entry));
  };

  return (
    <main className="inspector" data-testid="inspector">
      <div className="sub-tabs" role="tablist" aria-label="inspector views">
        {tabs.map((item) => (
          <button key={item.id} type="button" role="tab" aria-selected={tab === item.id} onClick={() => setTab(item.id)} data-testid={`inspector-tab-${item.id}`}>
            {item.label}
          </button>
        ))}
      </div>
      {tab === 'diagram' && (
        <>
          <div className="inspector-side">
            <ActorTree trackId={props.trackId} tickets={tickets} selected={actor} onSelect={select} />
            <TimelinePanel actor={actor} allActors={allActors} onAllActors={setAllActors} selected={past} onSelect={pick} />
            <SnapshotPanel actor={actor} entry={past} />
          </div>
          <div className="inspector-main">
            <DiagramPanel
              actor={actor}
              past={past}
              onBackToLive={() => setPast(null)}
              compact={props.compact[kindOfKey(actor) ?? 'conductor'] ?? kindOfKey(actor) === 'worker'}
              onCompact={(compact) => props.onCompact(kindOfKey(actor) ?? 'conductor', compact)}
            />
          </div>
        </>
      )}
      {tab === 'paths' && <TestPathsTab trackId={props.trackId} tickets={tickets} actor={actor} onActor={select} />}
    </main>
  );
}
