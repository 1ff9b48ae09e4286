import { useState } from 'react';
import type { ActorView } from '../../protocol/wire.js';
import { summarizeInput } from '../format.js';
import { pauseLabel, type Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { Refusal } from './Refusal.js';

/** Pause 2: the tool ran; its output waits here before the model may see it. */
export function ReviewCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'review' }> }) {
  const { view, pause } = props;
  const [output, setOutput] = useState(pause.result.content);
  const [isError, setIsError] = useState(pause.result.is_error ?? false);
  const changed = output !== pause.result.content || isError !== (pause.result.is_error ?? false);
  const target = { kind: 'worker', id: props.ticketId } as const;
  return (
    <section className="pause-card review" data-testid="pause-review" data-tool={pause.call?.name ?? ''} data-call={pause.result.tool_use_id}>
      <header className="pause-head">
        <span className="pause-badge">{pauseLabel.review}</span>
        <h3>
          Review the result of <code className="tool-name" data-testid="pause-tool">{pause.call?.name ?? 'the tool'}</code>
        </h3>
        {pause.result.is_error && <span className="error-chip">tool error</span>}
      </header>
      {pause.call && <p className="muted call-input">{summarizeInput(pause.call.input)}</p>}
      <label className="field-label">
        Output the model will see
        <textarea
          data-testid="result-editor"
          spellCheck={false}
          rows={Math.min(16, output.split('\n').length + 1)}
          value={output}
          onChange={(event) => setOutput(event.target.value)}
        />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={isError} onChange={(event) => setIsError(event.target.checked)} data-testid="result-is-error" />
        report it to the model as an error
      </label>
      {changed && <p className="hint">Edited: press “Edit result” to apply it before approving.</p>}
      <Refusal refusal={view.context.refusal} />
      <div className="actions">
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.approve' }} label="Approve" variant="primary" testId="approve" />
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.edit_result', output, is_error: isError }}
          label="Edit result"
          testId="edit-result"
          disabled={!changed}
        />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort' }} label="Abort" variant="danger" testId="abort" />
      </div>
    </section>
  );
}

