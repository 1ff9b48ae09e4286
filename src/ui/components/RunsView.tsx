import { useEffect, useState } from 'react';
import type { RunListEntry } from '../../protocol/wire.js';
import { useClient, useStore, useView } from '../hooks.js';
import { liveEntry } from '../runs.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import type { ConductorView } from '../views.js';
import { RunRow } from './RunRow.js';

type ListState = { state: 'loading' } | { state: 'ok'; current: string; runs: RunListEntry[]; at: number } | { state: 'error'; error: string };

/**
 * The Runs tab: every run of the server's store, newest first, the one open here marked. The list
 * is asked for when the tab opens, on Refresh, and again whenever the server opens another run.
 */
export function RunsView({ onNewRun, onNewRequest }: { onNewRun: () => void; onNewRequest?: () => void }) {
  const client = useClient();
  const session = useStore(client.session);
  const connection = useStore(client.connection);
  const [list, setList] = useState<ListState>({ state: 'loading' });
  const [asked, setAsked] = useState(0);
  const runId = session?.run_id ?? null;
  const conductor = useView<ConductorView>(conductorKey);
  // Asked only on an open socket (or a fixture, which refuses): a closed one would answer "not connected".
  const ready = connection.state === 'open' || connection.state === 'static';

  useEffect(() => {
    if (!ready) return;
    let stale = false;
    void client.call('runs', {}).then((reply) => {
      if (stale) return;
      setList(reply.ok ? { state: 'ok', current: reply.value.current, runs: reply.value.runs, at: Date.now() } : { state: 'error', error: reply.error });
    });
    return () => {
      stale = true;
    };
  }, [client, runId, ready, asked]);

  return (
    <main className="layout single">
      <section className="card runs" data-testid="runs-view" data-state={list.state}>
        <header className="runs-head">
          <h2>Runs</h2>
          <span className="actions">
            <button type="button" className="button primary" data-testid="runs-new-run" onClick={onNewRun} disabled={!ready}>
              New run
            </button>
            {onNewRequest && (
              <button type="button" className="button" data-testid="runs-new-request" onClick={onNewRequest} disabled={!ready}>
                New request
              </button>
            )}
            <button type="button" className="button" data-testid="runs-refresh" onClick={() => setAsked((count) => count + 1)} disabled={!ready}>
              Refresh
            </button>
          </span>
        </header>
        <p className="muted">
          Every run in this server's run store. A finished run opens as it ended; an interrupted one goes on from its last saved state. New run
          starts another from a track file.
        </p>
        {list.state === 'loading' && <p className="muted">Loading the runs…</p>}
        {list.state === 'error' && (
          <p className="inline-error" role="alert" data-testid="runs-error">
            {list.error}
          </p>
        )}
        {list.state === 'ok' && list.runs.length === 0 && <p className="muted empty">No runs in the store yet.</p>}
        {list.state === 'ok' && list.runs.length > 0 && (
          <table className="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Track</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Last activity</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.runs.map((run) => (
                // Keyed by the current run too: a switch starts every row afresh.
                <RunRow key={`${run.id}:${list.current}`} run={run.id === list.current ? liveEntry(run, conductor) : run} current={list.current} now={list.at} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
