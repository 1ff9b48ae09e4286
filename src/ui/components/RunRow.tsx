import { useState } from 'react';
import type { RunListEntry } from '../../protocol/wire.js';
import { ago } from '../format.js';
import { useClient, type CommandState } from '../hooks.js';
import { runAction, runStatusText } from '../runs.js';
import { CommandStatus } from './CommandStatus.js';

/**
 * One run of the store. Open (a finished run) and Resume (an interrupted one) ask the server to
 * switch to it; on success the page reconnects into that run, on a refusal the reason shows here.
 */
export function RunRow({ run, current, now }: { run: RunListEntry; current: string | null; now: number }) {
  const client = useClient();
  const [status, setStatus] = useState<CommandState>({ state: 'idle' });
  const action = runAction(run, current);
  const isCurrent = run.id === current;
  const open = async () => {
    setStatus({ state: 'pending' });
    const reply = await client.call('openRun', { run: run.id });
    setStatus(reply.ok ? { state: 'ok' } : { state: 'error', error: reply.error });
  };
  const percent = run.total > 0 ? Math.round((100 * run.completed) / run.total) : 0;
  return (
    <tr className={`run-row${isCurrent ? ' current' : ''}`} data-testid={`run-row-${run.id}`} data-status={run.status} data-current={isCurrent ? 'true' : 'false'}>
      <td>
        <code className="run-id">{run.id}</code>
        {isCurrent && (
          <span className="current-badge" data-testid="run-current">
            open here
          </span>
        )}
      </td>
      <td title={run.title}>
        <span className="run-track">{run.track}</span> <span className="muted run-title">{run.title}</span>
      </td>
      <td>
        <span className={`run-status run-status-${run.status}`} data-testid={`run-status-${run.id}`}>
          {runStatusText[run.status]}
        </span>
      </td>
      <td>
        <span className="run-progress" data-testid={`run-progress-${run.id}`} title={`${percent}% of the tickets completed`}>
          <span className="progress-bar" aria-hidden="true">
            <span style={{ width: `${percent}%` }} />
          </span>
          {run.completed}/{run.total}
        </span>
      </td>
      <td title={new Date(run.updated).toISOString()}>{ago(run.updated, now)}</td>
      <td className="run-actions">
        {action && (
          <span className="command">
            <button
              type="button"
              className={`button ${action === 'resume' ? 'primary' : 'plain'}`}
              data-testid={`run-${action}-${run.id}`}
              disabled={status.state === 'pending' || status.state === 'ok'}
              onClick={() => void open()}
            >
              {action === 'resume' ? 'Resume' : 'Open'}
            </button>
            {status.state === 'ok' ? <span className="command-status pending">opening…</span> : <CommandStatus status={status} />}
          </span>
        )}
        {!action && !isCurrent && run.status === 'running' && <span className="muted">open in another Clutch process</span>}
      </td>
    </tr>
  );
}
