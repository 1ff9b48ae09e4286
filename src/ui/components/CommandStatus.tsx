import type { CommandState } from '../hooks.js';

/** The outcome of a control's last command, shown right next to it. */
export function CommandStatus({ status }: { status: CommandState }) {
  if (status.state === 'pending') return <span className="command-status pending" aria-live="polite">sending…</span>;
  if (status.state === 'error') {
    return (
      <span className="command-status error" role="alert" data-testid="command-error">
        {status.error}
      </span>
    );
  }
  return null;
}
