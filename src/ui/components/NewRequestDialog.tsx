import { useEffect, useRef, useState } from 'react';
import type { ExecutionMode, TrustOverride } from '../../protocol/index.js';
import { useClient, useStore } from '../hooks.js';
import { Choices, modes, trusts } from './NewRunDialog.js';

type Start = { state: 'idle' } | { state: 'starting' } | { state: 'started'; run: string } | { state: 'error'; error: string };

/** The human's request as typed so far: kept by the page, so closing the box or a refusal loses nothing. */
export interface RequestDraft {
  text: string;
  mode: ExecutionMode;
  trust: TrustOverride;
}

export function initialRequestDraft(example: string | null | undefined): RequestDraft {
  return { text: example ?? '', mode: 'async', trust: 'none' };
}

/**
 * The request box: what to build, in the person's words (the demo's request offered), the mode and
 * the trust. Start asks the server for a new run begun from it (`startRequest`) on the served run's
 * workspace: the pm plans it, the tech lead checks the plan, and the plan waits for approval. The
 * server then switches to the new run and every page reloads into it. A refusal says why and keeps
 * the text.
 */
export function RequestForm({
  draft,
  onDraft,
  onCancel,
  onStarted,
  inline = false,
}: {
  draft: RequestDraft;
  onDraft: (draft: RequestDraft) => void;
  onCancel?: () => void;
  /** The server started the run: the page may let the draft go once it has switched to it. */
  onStarted?: () => void;
  inline?: boolean;
}) {
  const client = useClient();
  const connection = useStore(client.connection);
  const [start, setStart] = useState<Start>({ state: 'idle' });
  const ready = connection.state === 'open' || connection.state === 'static';
  const text = draft.text.trim();
  const busy = start.state === 'starting' || start.state === 'started';

  const begin = async () => {
    if (text === '') return;
    setStart({ state: 'starting' });
    const reply = await client.call('startRequest', { request: draft.text, mode: draft.mode, trust: draft.trust });
    if (reply.ok) onStarted?.();
    setStart(reply.ok ? { state: 'started', run: reply.value.run } : { state: 'error', error: reply.error });
  };
  const prefix = inline ? 'request' : 'new-request';

  return (
    <form
      className={`new-request-form${inline ? ' inline' : ''}`}
      data-testid={`${prefix}-form`}
      data-state={start.state}
      onSubmit={(event) => {
        event.preventDefault();
        void begin();
      }}
    >
      <label className="field-label" htmlFor={`${prefix}-text`}>
        What should be built? The pm turns it into a track of tickets, the tech lead checks it, and you approve the plan before anything runs.
      </label>
      <textarea
        id={`${prefix}-text`}
        className="request-text"
        data-testid={`${prefix}-text`}
        rows={inline ? 4 : 6}
        value={draft.text}
        disabled={busy}
        onChange={(event) => onDraft({ ...draft, text: event.target.value })}
        placeholder="Describe the change, and how to tell it works."
      />
      <div className="new-run-options">
        <Choices legend="Mode" name={`${prefix}-mode`} testid={`${prefix}-mode`} options={modes} value={draft.mode} onChange={(mode) => onDraft({ ...draft, mode })} disabled={busy} />
        <Choices legend="Trust override" name={`${prefix}-trust`} testid={`${prefix}-trust`} options={trusts} value={draft.trust} onChange={(trust) => onDraft({ ...draft, trust })} disabled={busy} />
      </div>
      {start.state === 'error' && (
        <p className="inline-error" role="alert" data-testid={`${prefix}-error`}>
          {start.error}
        </p>
      )}
      {start.state === 'started' && (
        <p className="muted" role="status" data-testid={`${prefix}-starting`}>
          Started run {start.run}; opening it…
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button primary" data-testid={`${prefix}-start`} disabled={text === '' || busy || !ready} title={text === '' ? 'Write the request first' : undefined}>
          {start.state === 'starting' ? 'Starting…' : 'Plan this request'}
        </button>
        {onCancel && (
          <button type="button" className="button link" data-testid={`${prefix}-cancel`} onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** The request box as a dialog, opened where New run is offered. */
export function NewRequestDialog({ draft, onDraft, onStarted, onClose }: { draft: RequestDraft; onDraft: (draft: RequestDraft) => void; onStarted?: () => void; onClose: () => void }) {
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div
        className="dialog card new-run-dialog new-request-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="new-request-title"
        data-testid="new-request-dialog"
        onClick={(event) => event.stopPropagation()}
      >
        <h2 id="new-request-title">New request</h2>
        <RequestForm draft={draft} onDraft={onDraft} onCancel={onClose} {...(onStarted ? { onStarted } : {})} />
      </div>
    </div>
  );
}
