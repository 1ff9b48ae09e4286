import { useEffect, useState } from 'react';
import type { ActorView } from '../../protocol/wire.js';
import { FileDiffEditor } from '../editors/FileDiffEditor.js';
import { payloadAnswer, primaryAnswer } from '../editors/payload-answer.js';
import { fileProposal, proposedText } from '../editors/proposed.js';
import { parseJson, pretty } from '../json-text.js';
import { markUnapplied } from '../keyboard/answer-state.js';
import { aimOf, pauseKey, useArming } from '../keyboard/arming.js';
import { pauseLabel, pauseRef, type Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { JsonEditor } from './JsonEditor.js';
import { PreviewView } from './PreviewView.js';
import { Refusal } from './Refusal.js';

/**
 * Pause 1: a tool call waits for approval. The human may approve it, rewrite its input (as JSON, or
 * for a file write as the proposed file, hunk by hunk), or abort. The primary button always says
 * what it will do: with an edit in the editor it applies the edit and approves, in one command.
 */
export function ApprovalCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'approval' }> }) {
  const { view, pause, ticketId } = props;
  const input = pause.call?.input ?? {};
  const original = pretty(input);
  const proposal = fileProposal(pause.call, pause.preview);
  const [chosenMode, setMode] = useState<'file' | 'json' | null>(null);
  const [draft, setDraft] = useState(original);
  const [fileText, setFileText] = useState<string | null>(null);
  const [switchError, setSwitchError] = useState<string | null>(null);
  // A discarded edit builds the diff editor anew: its kept hunks were folded into what it compares with.
  const [generation, setGeneration] = useState(0);
  const mode = proposal ? (chosenMode ?? 'file') : 'json';
  const file = fileText ?? proposal?.after ?? '';
  const answer = payloadAnswer({ input, mode, proposal, json: draft, file });
  const ref = pauseRef(pause);
  const arming = useArming('panel', ticketId, ref);
  const { at, notSent } = aimOf(arming, ref);
  const primary = primaryAnswer(answer, at);
  const target = { kind: 'worker', id: ticketId } as const;
  const unapplied = answer.kind !== 'approve';
  const key = pauseKey(ticketId, ref);

  useEffect(() => {
    markUnapplied(ticketId, unapplied ? key : null);
    return () => markUnapplied(ticketId, null);
  }, [ticketId, key, unapplied]);

  function show(next: 'file' | 'json'): void {
    setSwitchError(null);
    if (next === 'json') {
      if (answer.kind === 'edit') setDraft(pretty(answer.input));
      setMode('json');
      return;
    }
    if (!proposal) return;
    const parsed = parseJson(draft);
    const text = parsed.ok ? proposedText(proposal, parsed.value) : { ok: false as const, error: `Invalid JSON: ${parsed.error}` };
    if (!text.ok) return setSwitchError(`The payload cannot be shown as the file: ${text.error}`);
    setFileText(text.text);
    setMode('file');
  }

  function reset(): void {
    setDraft(original);
    setFileText(null);
    setSwitchError(null);
    setGeneration((count) => count + 1);
  }

  const blocked = pause.previewing ? 'The preview is still being prepared' : answer.kind === 'invalid' ? answer.error : undefined;
  return (
    <section
      className={`pause-card approval${arming.armed ? '' : ' arming'}`}
      data-testid="pause-approval"
      data-pause-card=""
      data-ticket={ticketId}
      data-tool={pause.call?.name ?? ''}
      data-call={pause.call?.id ?? ''}
      data-armed={String(arming.armed)}
      data-answer={answer.kind}
      tabIndex={-1}
      aria-label={`${pauseLabel.approval} of ${ticketId}: ${pause.call?.name ?? 'tool call'}`}
    >
      <header className="pause-head">
        <span className="pause-badge">{pauseLabel.approval}</span>
        <h3>
          Approve <code className="tool-name" data-testid="pause-tool">{pause.call?.name ?? 'tool call'}</code>?
        </h3>
        {pause.call && <span className="muted call-id">{pause.call.id}</span>}
      </header>
      {proposal && (
        <div className="editor-tabs" role="tablist" aria-label="edit the call as">
          <button type="button" role="tab" aria-selected={mode === 'file'} data-testid="payload-mode-file" onClick={() => show('file')}>
            Proposed file
          </button>
          <button type="button" role="tab" aria-selected={mode === 'json'} data-testid="payload-mode-json" onClick={() => show('json')}>
            Payload (JSON)
          </button>
        </div>
      )}
      {switchError && (
        <p className="inline-error" role="alert" data-testid="payload-mode-error">
          {switchError}
        </p>
      )}
      {mode === 'file' && proposal ? (
        <FileDiffEditor key={generation} proposal={proposal} value={file} onChange={setFileText} testId="file-diff" />
      ) : (
        <>
          <PreviewView preview={pause.preview} previewing={pause.previewing} />
          <JsonEditor label="Payload (the tool's input, JSON)" value={draft} onChange={setDraft} testId="payload-editor" />
        </>
      )}
      {answer.kind === 'edit' && (
        <p className="hint" data-testid="payload-edited">
          Edited: “Apply edit and approve” runs the call as edited; the original is kept in the journal.
        </p>
      )}
      {answer.kind === 'invalid' && (
        <p className="blocked-reason" role="alert" data-testid="approve-blocked">
          Cannot approve: {answer.error}
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
          disabled={blocked !== undefined}
          title={blocked ?? (answer.kind === 'edit' ? 'Applies your edit, then approves the call as edited' : 'Runs the call as shown')}
          notSent={notSent}
        />
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.edit_payload', pause: at, input: answer.kind === 'edit' ? answer.input : null }}
          label="Apply edit only"
          testId="edit-payload"
          disabled={answer.kind !== 'edit'}
          title="Applies the edit and stays here, with the edited call previewed again"
          notSent={notSent}
        />
        {unapplied && (
          <button type="button" className="button" data-testid="payload-reset" onClick={reset}>
            Discard edit
          </button>
        )}
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.abort', pause: at }}
          label="Abort"
          variant="danger"
          testId="abort"
          keyHint="x"
          notSent={notSent}
        />
      </div>
    </section>
  );
}
