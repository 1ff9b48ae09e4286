import { useState } from 'react';
import type { ActorView } from '../../protocol/wire.js';
import { useClient, useCommand, useOffline } from '../hooks.js';
import { parseJson, pretty } from '../json-text.js';
import { workerKey } from '../../protocol/actor-keys.js';
import { pauseOf, pauseRef } from '../pause.js';
import type { WorkerView } from '../views.js';
import { CommandStatus } from './CommandStatus.js';
import { JsonEditor } from './JsonEditor.js';
import { Refusal } from './Refusal.js';

/**
 * The memory mutator: the model's last message as raw JSON. Apply replaces it in the worker's
 * transcript; the worker checks it first, and a refused edit changes nothing (the reason shows here).
 */
export function MessageEditor(props: { ticketId: string; view: ActorView<WorkerView>; onClose: () => void }) {
  const client = useClient();
  const original = pretty(props.view.context.messages.at(-1) ?? null);
  const [draft, setDraft] = useState(original);
  const { status, send } = useCommand({ kind: 'worker', id: props.ticketId });
  const parsed = parseJson(draft);
  const offline = useOffline();

  async function apply(): Promise<void> {
    const pause = pauseOf(props.view);
    if (!parsed.ok || !pause) return;
    const reply = await send({ type: 'clutch.edit_message', pause: pauseRef(pause), message: parsed.value });
    // The reply comes after the state it caused: no refusal there means the edit went in.
    const after = client.actors.view<WorkerView>(workerKey(props.ticketId));
    if (reply.ok && after && after.context.refusal === null) props.onClose();
  }

  return (
    <section className="message-editor" data-testid="message-editor">
      <header className="pause-head">
        <span className="pause-badge memory">Memory</span>
        <h3>Edit the model's last message</h3>
      </header>
      <p className="muted">
        The raw message as the model will see it in its history. Tool calls it no longer makes are dropped; a call still
        waiting for approval is previewed again.
      </p>
      <JsonEditor label="Last message (JSON)" value={draft} onChange={setDraft} testId="message-json" />
      <Refusal refusal={props.view.context.refusal} />
      <div className="actions">
        <button
          type="button"
          className="button primary"
          data-testid="message-apply"
          disabled={!parsed.ok || status.state === 'pending' || offline !== null}
          title={offline ?? (parsed.ok ? undefined : `Invalid JSON: ${parsed.error}`)}
          onClick={() => void apply()}
        >
          Apply
        </button>
        <button type="button" className="button" data-testid="message-cancel" onClick={props.onClose}>
          Cancel
        </button>
        <CommandStatus status={status} />
      </div>
    </section>
  );
}
