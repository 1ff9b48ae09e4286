import { useState } from 'react';
import { useClient, useStore, useView } from '../hooks.js';
import { conductorKey, type ConductorView } from '../views.js';
import { ApprovalInbox } from './ApprovalInbox.js';
import { GlobalBar } from './GlobalBar.js';
import { TrackBoard } from './TrackBoard.js';
import { WorkerPanel } from './WorkerPanel.js';

/** The page: the global bar, the track board and the selected worker, the approval inbox aside. */
export function App() {
  const client = useClient();
  const session = useStore(client.session);
  const conductor = useView<ConductorView>(conductorKey);
  const [chosen, setChosen] = useState<string | null>(null);
  const tickets = session?.track.tickets ?? [];
  const infos = conductor?.context.tickets ?? [];
  // Until the human picks one, show the ticket that most needs them.
  const fallback =
    tickets[infos.findIndex((info) => info.status === 'step_paused')] ??
    tickets[infos.findIndex((info) => info.status === 'running' || info.status === 'blocked')] ??
    tickets[0];
  const selected = chosen ?? fallback?.id ?? null;
  const selectedIndex = tickets.findIndex((ticket) => ticket.id === selected);

  return (
    <div className="app" data-testid="app">
      <GlobalBar />
      {session ? (
        <main className="layout">
          <div className="main-column">
            <TrackBoard tickets={tickets} selected={selected} onSelect={setChosen} />
            {selectedIndex >= 0 && <WorkerPanel key={selected} ticket={tickets[selectedIndex]!} index={selectedIndex} />}
          </div>
          <aside className="side-column">
            <ApprovalInbox tickets={tickets} selected={selected} onOpen={setChosen} />
          </aside>
        </main>
      ) : (
        <main className="layout loading">
          <p className="muted">Waiting for the server…</p>
        </main>
      )}
    </div>
  );
}
