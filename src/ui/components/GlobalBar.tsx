import type { TicketStatus } from '../../protocol/index.js';
import type { ConnectionState } from '../client.js';
import { useClient, useStore, useView } from '../hooks.js';
import { conductorKey } from '../../protocol/actor-keys.js';
import { regionOf, statusLabel, statuses, type ConductorView } from '../views.js';
import { usageText } from '../format.js';
import { CommandToggle } from './CommandToggle.js';

const conductor = { kind: 'conductor' } as const;

function connectionText(connection: ConnectionState): string {
  switch (connection.state) {
    case 'open':
      return 'live';
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return `reconnecting (attempt ${connection.attempt})…`;
    case 'switching':
      return 'opening another run…';
    case 'static':
      return `static: ${connection.source}`;
  }
}

/** The run as a whole: what drives it, how it is going, and the two global switches. */
export function GlobalBar() {
  const client = useClient();
  const session = useStore(client.session);
  const connection = useStore(client.connection);
  const serverError = useStore(client.serverError);
  const view = useView<ConductorView>(conductorKey);
  const run = view ? regionOf(view.value, 'run') ?? 'unknown' : 'waiting';
  const counts = new Map<TicketStatus, number>(statuses.map((status) => [status, 0]));
  for (const ticket of view?.context.tickets ?? []) counts.set(ticket.status, (counts.get(ticket.status) ?? 0) + 1);

  return (
    <header className="global-bar">
      <div className="brand">
        <span className="logo" aria-hidden="true">◐</span>
        <div>
          <h1>Clutch</h1>
          <p className="track-title" data-testid="track-title">{session?.track.title ?? 'connecting…'}</p>
        </div>
      </div>

      <div className="bar-status">
        <span className={`pill run-${run}`} data-testid="run-status" data-run={run}>run: {run}</span>
        <span className="pill model" data-testid="model-label">{session?.model_label ?? '…'}</span>
        <span className={`pill connection ${connection.state}`} data-testid="connection">{connectionText(connection)}</span>
        {view?.context.usage && (
          <span
            className="pill usage"
            data-testid="usage-total"
            title={Object.entries(view.context.usage.tiers)
              .map(([tier, line]) => `tier ${tier}: ${usageText(line)}`)
              .join('\n')}
          >
            {usageText(view.context.usage.total)}
          </span>
        )}
      </div>

      <ul className="counts" aria-label="tickets by status">
        {statuses.map((status) => (
          <li key={status} className={`count status-${status}`} data-testid={`count-${status}`} data-count={counts.get(status)}>
            <strong>{counts.get(status)}</strong> {statusLabel[status]}
          </li>
        ))}
      </ul>

      {view && (
        <div className="switches">
          <CommandToggle
            target={conductor}
            label="Mode"
            testId="mode"
            current={regionOf(view.value, 'mode') ?? view.context.mode}
            accepts={view.accepts}
            options={[
              { value: 'async', label: 'async', command: { type: 'conductor.set_mode', mode: 'async' } },
              { value: 'linear', label: 'linear', command: { type: 'conductor.set_mode', mode: 'linear' } },
            ]}
          />
          <CommandToggle
            target={conductor}
            label="Trust override"
            testId="override"
            current={regionOf(view.value, 'trustOverride') ?? view.context.trustOverride}
            accepts={view.accepts}
            options={[
              { value: 'none', label: 'none', command: { type: 'conductor.set_trust_override', override: 'none' } },
              { value: 'step', label: 'step', command: { type: 'conductor.set_trust_override', override: 'step' } },
              { value: 'auto', label: 'auto', command: { type: 'conductor.set_trust_override', override: 'auto' } },
            ]}
          />
        </div>
      )}
      {serverError && <p className="server-error" role="alert">{serverError}</p>}
    </header>
  );
}
