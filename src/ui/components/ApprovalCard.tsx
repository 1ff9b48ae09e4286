import { useState } from 'react';
import type { ActorView } from '../../protocol/wire.js';
import { parseJson, pretty } from '../json-text.js';
import { pauseLabel, type Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { JsonEditor } from './JsonEditor.js';
import { PreviewView } from './PreviewView.js';
import { Refusal } from './Refusal.js';

/** Pause 1: a tool call waits for approval. The human may approve it, rewrite its input, or abort. */
export function ApprovalCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'approval' }> }) {
  const { view, pause } = props;
  const original = pause.call ? pretty(pause.call.input) : '{}';
  const [draft, setDraft] = useState(original);
  const parsed = parseJson(draft);
  const changed = draft !== original;
  const target = { kind: 'worker', id: props.ticketId } as const;
  return (
    <section className="pause-card approval" data-testid="pause-approval" data-tool={pause.call?.name ?? ''} data-call={pause.call?.id ?? ''}>
      <header className="pause-head">
        <span className="pause-badge">{pauseLabel.approval}</span>
        <h3>
          Approve <code className="tool-name" data-testid="pause-tool">{pause.call?.name ?? 'tool call'}</code>?
        </h3>
        {pause.call && <span className="muted call-id">{pause.call.id}</span>}
      </header>
      <PreviewView preview={pause.preview} previewing={pause.previewing} />
      <JsonEditor label="Payload (the tool's input, JSON)" value={draft} onChange={setDraft} testId="payload-editor" rows={Math.min(14, draft.split('\n').length + 1)} />
      {changed && parsed.ok && <p className="hint">Edited: press “Edit payload” to apply it before approving.</p>}
      <Refusal refusal={view.context.refusal} />
      <div className="actions">
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.approve' }} label="Approve" variant="primary" testId="approve" disabled={pause.previewing} />
        <CommandButton
          target={target}
          accepts={view.accepts}
          command={{ type: 'clutch.edit_payload', input: parsed.ok ? parsed.value : null }}
          label="Edit payload"
          testId="edit-payload"
          disabled={!parsed.ok || !changed}
        />
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort' }} label="Abort" variant="danger" testId="abort" />
      </div>
    </section>
  );
}
