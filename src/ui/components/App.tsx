import { useEffect, useRef, useState } from 'react';
import { useClient, useStore, useView } from '../hooks.js';
import { conductorKey, plannerKey, type ActorKind } from '../../protocol/actor-keys.js';
import { isPlannerAgent, ticketOfAgent } from '../agents.js';
import { initialRequestDraft, NewRequestDialog, RequestForm, type RequestDraft } from './NewRequestDialog.js';
import { PlanScreen } from './PlanScreen.js';
import { TranscriptTicket } from '../use-edits.js';
import type { ConductorView } from '../views.js';
import { ActivityFeed } from './ActivityFeed.js';
import { ApprovalInbox } from './ApprovalInbox.js';
import { GlobalBar } from './GlobalBar.js';
import { Inspector } from './inspector/Inspector.js';
import { NewRunDialog } from './NewRunDialog.js';
import { RunSummary, runEnded } from './RunSummary.js';
import { RunsView } from './RunsView.js';
import { TrackBoard } from './TrackBoard.js';
import { RunDiffView } from './RunDiffView.js';
import { WorkerPanel, type PanelTab } from './WorkerPanel.js';
import { KeyboardShortcuts } from '../keyboard/KeyboardShortcuts.js';

type View = 'run' | 'diff' | 'inspector' | 'runs';

const hashViews: Record<string, View> = { '#inspector': 'inspector', '#runs': 'runs', '#diff': 'diff' };

/** `#inspector`, `#runs` and `#diff` open those views, so a reload (or a link) keeps the view. */
function initialView(): View {
  if (typeof location === 'undefined') return 'run';
  return hashViews[location.hash] ?? 'run';
}

/** The page: the global bar, then the run (track board, worker, approval inbox) or the Inspector. */
export function App() {
  const client = useClient();
  const session = useStore(client.session);
  const conductor = useView<ConductorView>(conductorKey);
  const [chosen, setChosen] = useState<string | null>(null);
  const [view, setView] = useState<View>(initialView);
  const [inspected, setInspected] = useState<string | null>(null);
  const [newRun, setNewRun] = useState(false);
  const [newRequest, setNewRequest] = useState(false);
  /** The request being written (null: the one the server offers); kept across the box closing and a refusal. */
  const [requestDraft, setRequestDraft] = useState<RequestDraft | null>(null);
  const [planAgent, setPlanAgent] = useState<string | null>(null);
  const planner = useView(plannerKey);
  const startedRequest = useRef(false);
  const onStarted = () => {
    startedRequest.current = true;
  };
  const [panelTab, setPanelTab] = useState<PanelTab>('transcript');
  const [compact, setCompact] = useState<Partial<Record<ActorKind, boolean>>>({});
  /** The run whose end summary the human hid. */
  const [hidden, setHidden] = useState<string | null>(null);
  const runId = session?.run_id;
  // Another run (the server switched): what was picked in the last one means nothing here, and
  // a New run dialog that started it has done its work.
  useEffect(() => {
    setChosen(null);
    setInspected(null);
    setNewRun(false);
    // The request box did its work: the new run began from it (or another did; its text stays).
    setNewRequest(false);
    if (startedRequest.current) setRequestDraft(null);
    startedRequest.current = false;
    setPlanAgent(null);
  }, [runId]);
  const draft = requestDraft ?? initialRequestDraft(session?.request_example);
  const planning = session?.planning === true;
  const ended = runEnded(conductor);
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
        <button
          type="button"
          role="tab"
          aria-selected={view === 'diff'}
          onClick={() => show('diff')}
          data-testid="tab-diff"
          title="everything the run's tickets have merged so far, against the starting workspace"
        >
          Run diff
        </button>
        <button type="button" role="tab" aria-selected={view === 'inspector'} onClick={() => show('inspector')} data-testid="tab-inspector">
          Inspector
        </button>
        <button type="button" role="tab" aria-selected={view === 'runs'} onClick={() => show('runs')} data-testid="tab-runs">
          Runs
        </button>
        <button type="button" className="button new-run-open" onClick={() => setNewRun(true)} data-testid="new-run-open">
          New run
        </button>
        {planning && (
          <button type="button" className="button new-request-open" onClick={() => setNewRequest(true)} data-testid="new-request-open" title="Describe what to build: the pm plans it into tickets, you approve the plan">
            New request
          </button>
        )}
      </nav>
      {view === 'runs' ? (
        <RunsView onNewRun={() => setNewRun(true)} {...(planning ? { onNewRequest: () => setNewRequest(true) } : {})} />
      ) : !session ? (
        <main className="layout loading">
          <p className="muted">Waiting for the server…</p>
        </main>
      ) : view === 'diff' ? (
        <RunDiffView key={runId} />
      ) : view === 'inspector' ? (
        <Inspector
          key={runId}
          trackId={session.track.id}
          tickets={tickets}
          actor={inspected}
          onActor={setInspected}
          compact={compact}
          onCompact={(kind, on) => setCompact((before) => ({ ...before, [kind]: on }))}
        />
      ) : (
        <main className="layout">
          <KeyboardShortcuts tickets={tickets} selected={selected} onSelect={setChosen} />
          <div className="main-column">
            {ended && conductor && hidden !== runId && (
              <RunSummary
                tickets={tickets}
                conductor={conductor}
                onNewRun={() => setNewRun(true)}
                {...(planning ? { onNewRequest: () => setNewRequest(true) } : {})}
                onHide={() => setHidden(runId ?? null)}
              />
            )}
            {planner ? (
              <PlanScreen key={runId} agent={planAgent} onAgent={setPlanAgent} />
            ) : tickets.length === 0 ? (
              <section className="card empty-run" data-testid="empty-run">
                <h2>No tickets yet</h2>
                {session.request && (
                  <p>
                    This run began from the request: <q>{session.request}</q>
                  </p>
                )}
                {conductor?.context.planError && (
                  <p className="inline-error" role="alert" data-testid="plan-error">
                    {conductor.context.planError}
                  </p>
                )}
                {planning ? (
                  <RequestForm draft={draft} onDraft={setRequestDraft} onStarted={onStarted} inline />
                ) : (
                  <p className="muted">Start a run of a track file with New run.</p>
                )}
              </section>
            ) : (
              <>
                <TrackBoard tickets={tickets} selected={selected} onSelect={setChosen} onRunDiff={() => show('diff')} />
                {selectedIndex >= 0 && (
                  <TranscriptTicket.Provider value={selected}>
                    <WorkerPanel key={selected} ticket={tickets[selectedIndex]!} index={selectedIndex} tab={panelTab} onTab={setPanelTab} />
                  </TranscriptTicket.Provider>
                )}
              </>
            )}
          </div>
          <aside className="side-column">
            <ApprovalInbox
              tickets={tickets}
              selected={selected}
              onOpen={(agent) => {
                if (isPlannerAgent(agent)) setPlanAgent(agent);
                else setChosen(ticketOfAgent(agent) ?? agent);
              }}
            />
            <ActivityFeed />
          </aside>
        </main>
      )}
      {newRun && <NewRunDialog onClose={() => setNewRun(false)} />}
      {newRequest && <NewRequestDialog draft={draft} onDraft={setRequestDraft} onStarted={onStarted} onClose={() => setNewRequest(false)} />}
    </div>
  );
}
