import { effectiveTrust, type TicketStatus, type TrustOverride } from '../../protocol/index.js';
import type { ConnectionState } from '../client.js';
import { useClient, usePendingPauses, useStore, useView } from '../hooks.js';
import { conductorKey, plannerKey } from '../../protocol/actor-keys.js';
import { agentsOf } from '../agents.js';
import { callCount, describeWaiting, heldThroughSwitch, releasedBy } from '../pause.js';
import { runBudgetText, runSpend } from '../budget.js';
import { regionOf, statusLabel, statuses, type ConductorView } from '../views.js';
import { usageText } from '../format.js';
import { CommandToggle, type Confirmation, type ToggleOption } from './CommandToggle.js';
import { UsageTable, usageTitle } from './UsageTable.js';
import { useState } from 'react';

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

/** Said on the red badge's tooltip: what "unsandboxed" means and how to change it. */
export const UNSANDBOXED_TITLE =
  'run_command runs without the bubblewrap sandbox: a command an agent runs can read and write every file you can, open network ' +
  'connections, see your environment and leave processes running after its ticket ends. agents.toml sets [execution] sandbox = "none"; ' +
  'set sandbox = "bwrap" there (and install bubblewrap) to contain commands.';

const isolationText = {
  worktree: { label: 'worktrees', title: 'each ticket works in its own git worktree, merged into the run\'s integration branch when it completes' },
  shared: { label: 'shared workspace', title: 'every ticket works in the one workspace copy: parallel tickets see each other\'s half-done work, and there are no per-ticket diffs' },
} as const;

/** The run as a whole: what drives it, how it is going, and the two global switches. */
export function GlobalBar() {
  const client = useClient();
  const session = useStore(client.session);
  const connection = useStore(client.connection);
  const serverError = useStore(client.serverError);
  const view = useView<ConductorView>(conductorKey);
  const [usageOpen, setUsageOpen] = useState(false);
  const planning = useView(plannerKey) !== null;
  const waiting = usePendingPauses(agentsOf(session?.track.tickets ?? [], planning));
  const run = view ? regionOf(view.value, 'run') ?? 'unknown' : 'waiting';
  // A skipped ticket counts as completed for its dependents, but the human skipped it: it is counted apart.
  const counts = new Map<TicketStatus | 'skipped', number>([...statuses, 'skipped' as const].map((status) => [status, 0]));
  for (const ticket of view?.context.tickets ?? []) {
    const status = ticket.skipped ? 'skipped' : ticket.status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const budgets = view?.context.budgets;
  const runBudget = runBudgetText(view?.context.usage, budgets);
  const runMax = budgets?.run.max_cost;
  const runCost = runSpend(view?.context.usage).cost_usd;
  const runReached = runMax !== undefined && runCost !== null && runCost >= runMax;
  const shownCounts = [...statuses.map((status) => ({ status, label: statusLabel[status] })), { status: 'skipped' as const, label: 'skipped' }];

  /** Switching the override makes some workers auto: the pauses they wait at now are approved. */
  function confirmOverride(option: ToggleOption): Confirmation | null {
    if (option.command.type !== 'conductor.set_trust_override') return null;
    const override: TrustOverride = option.command.override;
    const released = releasedBy(waiting, (context) => effectiveTrust(context.trust, override));
    const held = heldThroughSwitch(waiting);
    const stillWaiting = held.budget > 0 ? ' Interrupted commands and budget pauses still wait for you.' : ' Interrupted commands still wait for you.';
    return {
      title: `Set the trust override to ${override}?`,
      body:
        released.length === 0
          ? `No pending call is approved by this switch.${held.budget > 0 ? stillWaiting : ''}`
          : `This approves ${callCount(released.length)} now: ${describeWaiting(released)}.${stillWaiting}`,
      confirmLabel: `Switch and approve ${released.length}`,
      count: released.length,
    };
  }

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
        {session?.sandbox === 'none' && (
          <span className="pill sandbox-none" data-testid="sandbox-warning" role="status" title={UNSANDBOXED_TITLE}>
            ⚠ commands run unsandboxed (sandbox = &quot;none&quot; in agents.toml)
          </span>
        )}
        {session?.sandbox === 'bwrap' && session.sandbox_problem && (
          <span className="pill sandbox-none" data-testid="sandbox-problem" role="status" title={session.sandbox_problem}>
            ⚠ run_command refuses: the sandbox cannot start on this machine
          </span>
        )}
        <span className={`pill run-${run}`} data-testid="run-status" data-run={run}>run: {run}</span>
        <span className="pill model" data-testid="model-label">{session?.model_label ?? '…'}</span>
        <span className={`pill connection ${connection.state}`} data-testid="connection">{connectionText(connection)}</span>
        {session?.isolation && (
          <span className="pill isolation" data-testid="isolation" data-isolation={session.isolation} title={isolationText[session.isolation].title}>
            {isolationText[session.isolation].label}
          </span>
        )}
        {view?.context.usage && (
          <span className="usage-box">
            <button
              type="button"
              className="pill usage"
              data-testid="usage-total"
              aria-expanded={usageOpen}
              title={usageTitle(view.context.usage)}
              onClick={() => setUsageOpen((open) => !open)}
            >
              {usageText(view.context.usage.total)}
            </button>
            {usageOpen && (
              <span className="usage-popover card">
                <UsageTable usage={view.context.usage} budgets={budgets} />
              </span>
            )}
          </span>
        )}
        {runBudget && (
          <span
            className={`pill run-budget${runReached ? ' reached' : ''}`}
            data-testid="run-budget"
            data-reached={String(runReached)}
            title="the run's estimated cost against [execution] max_cost_per_run: reaching it pauses every ticket at its next model turn"
          >
            {runBudget}
          </span>
        )}
      </div>

      <ul className="counts" aria-label="tickets by status">
        {shownCounts.map(({ status, label }) => (
          <li key={status} className={`count status-${status}`} data-testid={`count-${status}`} data-count={counts.get(status)}>
            <strong>{counts.get(status)}</strong> {label}
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
            confirm={confirmOverride}
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
