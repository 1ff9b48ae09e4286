import { conductorKey } from '../../protocol/actor-keys.js';
import { useOffline, useView } from '../hooks.js';
import { useDiff } from '../use-diff.js';
import type { ConductorView } from '../views.js';
import { DiffPanel } from './PatchView.js';

/**
 * The Run diff tab: everything merged into the run's integration branch so far, against the
 * workspace the run started from. Asked again whenever a ticket's status or attempt changes (a
 * merge is a ticket completing), and on Refresh.
 */
export function RunDiffView() {
  const conductor = useView<ConductorView>(conductorKey);
  const changes = (conductor?.context.tickets ?? []).map((info) => `${info.status}:${info.attempts}`).join(',');
  const diff = useDiff(null, changes);
  const offline = useOffline();
  return (
    <main className="layout single">
      <section className="card run-diff" data-testid="run-diff-view">
        <p className="muted">
          What the run's tickets have merged so far: the integration branch against the workspace the run started from. A ticket's own
          change, merged or not, is on its Diff tab.
        </p>
        <DiffPanel title="Run diff" diff={diff} empty="No ticket has merged a change yet." offline={offline} testId="run-diff" />
      </section>
    </main>
  );
}
