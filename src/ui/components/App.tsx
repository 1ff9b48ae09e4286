import { useEffect, useState } from 'react';
import { useClient, useStore, useView } from '../hooks.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import type { ConductorView } from '../views.js';
import { ApprovalInbox } from './ApprovalInbox.js';
import { GlobalBar } from './GlobalBar.js';
import { Inspector } from './inspector/Inspector.js';
import { RunsView } from './RunsView.js';
import { TrackBoard } from './TrackBoard.js';
import { WorkerPanel } from './WorkerPanel.js';

type View = 'run' | 'inspector' | 'runs';

/** `#inspector` and `#runs` open those views, so a reload (or a link) keeps the view. */
function initialView(): View {
  if (typeof location === 'undefined') return 'run';
  return location.hash === '#inspector' ? 'inspector' : location.hash === '#runs' ? 'runs' : 'run';
}

/** The page: the global bar, then the run (track board, worker, approval inbox) or the Inspector. */
export function App() {
  const client = useClient();
  const session = useStore(client.session);
  const conductor = useView<ConductorView>(conductorKey);
  const [chosen, setChosen] = useState<string | null>(null);
  const [view, setView] = useState<View>(initialView);
  const [inspected, setInspected] = useState<string | null>(null);
  const runId = session?.run_id;
  // Another run (the server switched): what was picked in the last one means nothing here.
  useEffect(() => {
    setChosen(null);
    setInspected(null);
  }, [runId]);
  const tickets = session?.track.tickets ?? [];
  const infos = conductor?.context.tickets ?? [];
  // Until the human picks one, show the ticket that most needs them.
  const fallback =
    tickets[infos.findIndex((info) => info.status === 'step_paused')] ??
    tickets[infos.findIndex((info) => info.status === 'running' || info.status === 'blocked')] ??
    tickets[0];
  const selected = chosen ?? fallback?.id ?? null;
  const selectedIndex = tickets.findIndex((ticket) => ticket.id === selected);
  const show = (next: View) => {
    setView(next);
    if (typeof history !== 'undefined') history.replaceState(null, '', next === 'run' ? location.pathname + location.search : `#${next}`);
  };

  return (
    <div className="app" data-testid="app">
      <GlobalBar />
      <nav className="view-tabs" role="tablist" aria-label="views">
        <button type="button" role="tab" aria-selected={view === 'run'} onClick={() => show('run')} data-testid="tab-run">
          Run
        </button>
        <button type="button" role="tab" aria-selected={view === 'inspector'} onClick={() => show('inspector')} data-testid="tab-inspector">
          Inspector
        </button>
        <button type="button" role="tab" aria-selected={view === 'runs'} onClick={() => show('runs')} data-testid="tab-runs">
          Runs
        </button>
      </nav>
      {view === 'runs' ? (
        <RunsView />
      ) : !session ? (
        <main className="layout loading">
          <p className="muted">Waiting for the server…</p>
        </main>
      ) : view === 'inspector' ? (
        <Inspector trackId={session.track.id} tickets={tickets} actor={inspected} onActor={setInspected} />
      ) : (
        <main className="layout">
          <div className="main-column">
            <TrackBoard tickets={tickets} selected={selected} onSelect={setChosen} />
            {selectedIndex >= 0 && <WorkerPanel key={selected} ticket={tickets[selectedIndex]!} index={selectedIndex} />}
          </div>
          <aside className="side-column">
            <ApprovalInbox tickets={tickets} selected={selected} onOpen={setChosen} />
          </aside>
        </main>
      )}
    </div>
  );
}
