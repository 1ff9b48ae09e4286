import type { ActorView } from '../../protocol/wire.js';
import { commandLine, summarizeInput } from '../format.js';
import { aimOf, useArming } from '../keyboard/arming.js';
import { commandOf, INTERRUPTED_TEXT, pauseRef, type Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';

/**
 * The interrupted pause: Clutch recorded that it was about to run this command, then stopped
 * (a crash, a kill) before its result was saved. Whether it ran, and how far, only the human can
 * judge, so it waits for them whatever the trust: run it again, go on as if it printed nothing, or
 * abort the ticket.
 */
export function InterruptedCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'interrupted' }> }) {
  const { view, pause } = props;
  const command = commandOf(pause.call);
  const target = { kind: 'worker', id: props.ticketId } as const;
  const ref = pauseRef(pause);
  const arming = useArming('panel', props.ticketId, ref);
  const { at, notSent } = aimOf(arming, ref);
  return (
    <section
      className={`pause-card interrupted${arming.armed ? '' : ' arming'}`}
      data-testid="pause-interrupted"
      data-pause-card=""
      data-ticket={props.ticketId}
      data-tool={pause.call?.name ?? ''}
      data-call={pause.call?.id ?? ''}
      data-armed={String(arming.armed)}
      tabIndex={-1}
      aria-label={`interrupted call of ${props.ticketId}`}
    >
      <header className="pause-head">
        <span className="pause-badge">Interrupted</span>
        <h3>
          <code className="tool-name" data-testid="pause-tool">{pause.call?.name ?? 'tool call'}</code> was cut short
        </h3>
        {pause.call && <span className="muted call-id">{pause.call.id}</span>}
      </header>
      <p className="interrupted-text" data-testid="interrupted-text" role="status">
        {INTERRUPTED_TEXT}
      </p>
      {command ? (
        <div className="preview">
          <p className="preview-title">
            Runs in <code data-testid="interrupted-cwd">{command.cwd}</code>
          </p>
          <pre className="command-line" data-testid="interrupted-command">
            <span className="prompt">$ </span>
            {commandLine(command.argv)}
          </pre>
        </div>
      ) : (
        pause.call && <p className="muted call-input">{summarizeInput(pause.call.input)}</p>
      )}
      <p className="hint">
        Its start was recorded before Clutch stopped, its result never was. Re-run it, go on as if it printed nothing, or abort the ticket.
      </p>
      <div className="actions">
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.rerun', pause: at }} label="Re-run" variant="primary" testId="rerun" notSent={notSent} />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.use_output', pause: at }} label="Use this output (empty)" testId="use-output" notSent={notSent} />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort', pause: at }} label="Abort" variant="danger" testId="abort" keyHint="x" notSent={notSent} />
      </div>
    </section>
  );
}
