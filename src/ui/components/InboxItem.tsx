import { useStore, useView } from '../hooks.js';
import { unappliedEdits } from '../keyboard/answer-state.js';
import { aimOf, pauseKey, useArming } from '../keyboard/arming.js';
import { commandLine, summarizeInput } from '../format.js';
import { commandOf, INTERRUPTED_TEXT, pauseLabel, pauseOf, pauseRef, type Pause } from '../pause.js';
import { workerKey } from '../../protocol/actor-keys.js';
import { agentLabel, isPlannerAgent, isReviewer, ticketOfAgent } from '../agents.js';
import type { ActorView } from '../../protocol/wire.js';
import type { WorkerView } from '../views.js';
import { diffLineKind } from './DiffView.js';
import { CommandButton } from './CommandButton.js';
import { PauseRefusal } from './Refusal.js';
import { RaiseForm } from './BudgetCard.js';
import { spentText } from '../budget.js';

function gist(pause: Pause): string {
  if (pause.kind === 'budget') return pause.stop.reason;
  if (pause.kind === 'interrupted') {
    const command = commandOf(pause.call);
    if (command) return `$ ${commandLine(command.argv)}${command.cwd === '.' ? '' : `  (in ${command.cwd})`}`;
    return pause.call ? summarizeInput(pause.call.input) : '';
  }
  if (pause.kind === 'review') {
    const first = pause.result.content.split('\n').find((line) => line.trim() !== '') ?? '(empty output)';
    return `${pause.result.is_error ? 'error: ' : ''}${first.length > 90 ? `${first.slice(0, 87)}…` : first}`;
  }
  const preview = pause.preview;
  if (preview?.kind === 'command') return `$ ${commandLine(preview.argv)}`;
  if (preview?.kind === 'diff') {
    const lines = preview.diff.split('\n');
    const added = lines.filter((line) => diffLineKind(line) === 'add').length;
    const removed = lines.filter((line) => diffLineKind(line) === 'del').length;
    return `${preview.created ? 'creates' : 'changes'} ${preview.path} (+${added} −${removed})`;
  }
  return pause.call ? summarizeInput(pause.call.input) : '';
}

/** One paused worker in the inbox, answerable right here; renders nothing while it is not paused. */
export function InboxItem({ ticketId, onOpen, selected }: { ticketId: string; onOpen: () => void; selected: boolean }) {
  const view = useView<WorkerView>(workerKey(ticketId));
  const pause = pauseOf(view);
  if (!view || !pause) return null;
  return <PausedItem ticketId={ticketId} view={view} pause={pause} onOpen={onOpen} selected={selected} />;
}

function PausedItem({ ticketId, view, pause, onOpen, selected }: { ticketId: string; view: ActorView<WorkerView>; pause: Pause; onOpen: () => void; selected: boolean }) {
  const ref = pauseRef(pause);
  const arming = useArming(`inbox:${ticketId}`, ticketId, ref);
  const { at, notSent } = aimOf(arming, ref);
  // The worker panel holds an edit of this very pause: approving here would run the call without it.
  const edited = useStore(unappliedEdits).get(ticketId) === pauseKey(ticketId, ref);
  const target = { kind: 'worker', id: ticketId } as const;
  return (
    <li
      className={`inbox-item pause-${pause.kind}${selected ? ' selected' : ''}${arming.armed ? '' : ' arming'}`}
      data-testid={`inbox-item-${ticketId}`}
      data-agent={isReviewer(ticketId) ? 'reviewer' : isPlannerAgent(ticketId) ? 'planner' : 'worker'}
      data-ticket={ticketOfAgent(ticketId) ?? ''}
      data-pause={pause.kind}
      data-call={ref.tool_use_id}
      data-armed={String(arming.armed)}
      aria-current={selected ? 'true' : undefined}
    >
      <div className="inbox-head">
        <span className="ticket-id" data-testid={`inbox-label-${ticketId}`}>
          {agentLabel(ticketId)}
        </span>
        <span className="pause-badge">{pauseLabel[pause.kind]}</span>
        {pause.kind === 'budget' ? (
          <span className="budget-scope" data-testid={`inbox-budget-scope-${ticketId}`}>
            {pause.stop.scope === 'run' ? 'run budget' : 'ticket budget'}
          </span>
        ) : (
          <code className="tool-name">{pause.call?.name ?? '?'}</code>
        )}
      </div>
      <p className="inbox-gist">{gist(pause)}</p>
      {pause.kind === 'interrupted' && <p className="interrupted-text small">{INTERRUPTED_TEXT}</p>}
      {pause.kind === 'budget' && (
        <>
          <p className="budget-spent small" data-testid={`inbox-budget-spent-${ticketId}`}>
            spent {spentText(pause.stop)}
          </p>
          <RaiseForm key={ref.tool_use_id} target={target} accepts={view.accepts} stop={pause.stop} at={at} notSent={notSent} testId={(name) => `inbox-${name}-${ticketId}`} />
        </>
      )}
      {view.context.refusal && <p className="refusal small">Refused: {view.context.refusal}</p>}
      {edited && (
        <p className="hint small" data-testid={`inbox-edited-${ticketId}`}>
          An edit of this call waits in the worker panel: answer it there.
        </p>
      )}
      <PauseRefusal ticketId={ticketId} testId={`inbox-refusal-${ticketId}`} />
      <div className="actions">
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.rerun', pause: at }} label="Re-run" variant="primary" testId={`inbox-rerun-${ticketId}`} notSent={notSent} />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.use_output', pause: at }} label="Use this output (empty)" testId={`inbox-use-output-${ticketId}`} notSent={notSent} />
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.approve', pause: at }}
          label="Approve"
          variant="primary"
          testId={`inbox-approve-${ticketId}`}
          disabled={(pause.kind === 'approval' && pause.previewing) || edited}
          title={edited ? 'An edit of this call waits unapplied in the worker panel: apply or discard it there' : undefined}
          notSent={notSent}
        />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort', pause: at }} label="Abort" variant="danger" testId={`inbox-abort-${ticketId}`} notSent={notSent} />
        <button type="button" className="button link" data-testid={`inbox-open-${ticketId}`} onClick={onOpen}>
          Open
        </button>
      </div>
    </li>
  );
}
