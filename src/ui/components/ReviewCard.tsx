import { useEffect, useState } from 'react';
import type { ActorView } from '../../protocol/wire.js';
import { CodeEditor } from '../editors/CodeEditor.js';
import { primaryReview } from '../editors/payload-answer.js';
import { summarizeInput } from '../format.js';
import { markUnapplied } from '../keyboard/answer-state.js';
import { aimOf, pauseKey, useArming } from '../keyboard/arming.js';
import { pauseLabel, pauseRef, type Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { Refusal } from './Refusal.js';
import { QaHint } from './QaHint.js';
import { qaResultOf } from '../qa.js';

/**
 * Pause 2: the tool ran; its output waits here before the model may see it. With the output
 * edited, the primary button applies the edit and approves it in one command.
 */
export function ReviewCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'review' }> }) {
  const { view, pause, ticketId } = props;
  const [output, setOutput] = useState(pause.result.content);
  const [isError, setIsError] = useState(pause.result.is_error ?? false);
  const ref = pauseRef(pause);
  const arming = useArming('panel', ticketId, ref);
  const { at, notSent } = aimOf(arming, ref);
  const primary = primaryReview({ output, isError }, pause.result, at);
  const target = { kind: 'worker', id: ticketId } as const;
  const key = pauseKey(ticketId, ref);
  const qa = qaResultOf(pause.result.content);

  useEffect(() => {
    markUnapplied(ticketId, primary.changed ? key : null);
    return () => markUnapplied(ticketId, null);
  }, [ticketId, key, primary.changed]);

  function reset(): void {
    setOutput(pause.result.content);
    setIsError(pause.result.is_error ?? false);
  }

  return (
    <section
      className={`pause-card review${arming.armed ? '' : ' arming'}`}
      data-testid="pause-review"
      data-pause-card=""
      data-ticket={ticketId}
      data-tool={pause.call?.name ?? ''}
      data-call={pause.result.tool_use_id}
      data-armed={String(arming.armed)}
      data-answer={primary.changed ? 'edit' : 'approve'}
      tabIndex={-1}
      aria-label={`${pauseLabel.review} of ${ticketId}: ${pause.call?.name ?? 'tool'}`}
    >
      <header className="pause-head">
        <span className="pause-badge">{pauseLabel.review}</span>
        <h3>
          Review the result of <code className="tool-name" data-testid="pause-tool">{pause.call?.name ?? 'the tool'}</code>
        </h3>
        {pause.result.is_error && <span className="error-chip">tool error</span>}
      </header>
      {pause.call && <p className="muted call-input">{summarizeInput(pause.call.input)}</p>}
      {qa && (
        <QaHint
          qa={qa}
          savedTokens={view.context.hint?.tool_use_id === pause.result.tool_use_id ? view.context.hint.saved_tokens : undefined}
          callId={pause.result.tool_use_id}
        />
      )}
      <div className="json-editor">
        <span className="field-label">Output the model will see</span>
        <CodeEditor value={output} onChange={setOutput} language="text" label="output the model will see" testId="result-editor" numbered={false} />
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={isError} onChange={(event) => setIsError(event.target.checked)} data-testid="result-is-error" />
        report it to the model as an error
      </label>
      {primary.changed && (
        <p className="hint" data-testid="result-edited">
          Edited: “Apply edit and approve” gives the model the edited output; the original is kept in the journal.
        </p>
      )}
      <Refusal refusal={view.context.refusal} />
      <div className="actions">
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={primary.command}
          label={primary.label}
          variant="primary"
          testId="approve"
          keyHint="a"
          title={primary.changed ? 'Applies your edit, then gives the model the edited output' : 'Gives the model this output'}
          notSent={notSent}
        />
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.edit_result', pause: at, output, is_error: isError }}
          label="Apply edit only"
          testId="edit-result"
          disabled={!primary.changed}
          title="Applies the edit and stays here"
          notSent={notSent}
        />
        {primary.changed && (
          <button type="button" className="button" data-testid="result-reset" onClick={reset}>
            Discard edit
          </button>
        )}
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort', pause: at }} label="Abort" variant="danger" testId="abort" keyHint="x" notSent={notSent} />
      </div>
    </section>
  );
}
