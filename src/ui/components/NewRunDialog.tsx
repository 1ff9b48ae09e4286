import { useEffect, useRef, useState } from 'react';
import type { ExecutionMode, TrustOverride } from '../../protocol/index.js';
import type { TrackFileEntry } from '../../protocol/workbench.js';
import { useClient, useStore } from '../hooks.js';

type Files = { state: 'loading' } | { state: 'ok'; files: TrackFileEntry[] } | { state: 'error'; error: string };
type Start = { state: 'idle' } | { state: 'starting' } | { state: 'started'; run: string } | { state: 'error'; error: string };

export const modes: { value: ExecutionMode; label: string; hint: string }[] = [
  { value: 'async', label: 'async', hint: 'ready tickets run side by side' },
  { value: 'linear', label: 'linear', hint: 'one ticket at a time, in track order' },
];
export const trusts: { value: TrustOverride; label: string; hint: string }[] = [
  { value: 'none', label: 'none', hint: "each agent's own trust level" },
  { value: 'step', label: 'step', hint: 'every tool call stops twice' },
  { value: 'auto', label: 'auto', hint: 'the workers run on their own' },
];

/** One radio group of a new run's options (mode, trust override), each choice with its hint. */
export function Choices<T extends string>(props: {
  legend: string;
  name: string;
  testid: string;
  options: readonly { value: T; label: string; hint: string }[];
  value: T;
  onChange: (value: T) => void;
  disabled: boolean;
}) {
  return (
    <fieldset disabled={props.disabled}>
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label key={option.value} className="choice" title={option.hint}>
          <input type="radio" name={props.name} data-testid={`${props.testid}-${option.value}`} checked={props.value === option.value} onChange={() => props.onChange(option.value)} /> {option.label}
          <span className="muted"> · {option.hint}</span>
        </label>
      ))}
    </fieldset>
  );
}

/**
 * Starts a new run: a track file (the workspace's or demo/'s, as the server lists them), the mode
 * and the trust override. The server starts it in its store and switches to it, closing every
 * socket; the page reconnects into the new run (and this dialog closes with the run it was on).
 */
export function NewRunDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const connection = useStore(client.connection);
  const [files, setFiles] = useState<Files>({ state: 'loading' });
  const [track, setTrack] = useState<string | null>(null);
  const [mode, setMode] = useState<ExecutionMode>('async');
  const [trust, setTrust] = useState<TrustOverride>('none');
  const [start, setStart] = useState<Start>({ state: 'idle' });
  const ready = connection.state === 'open' || connection.state === 'static';
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    if (!ready) return;
    let current = true;
    void client.call('tracks', {}).then((reply) => {
      if (!current) return;
      if (!reply.ok) return setFiles({ state: 'error', error: reply.error });
      setFiles({ state: 'ok', files: reply.value.files });
      setTrack((chosen) => chosen ?? reply.value.files.find((file) => !file.error)?.path ?? null);
    });
    return () => {
      current = false;
    };
  }, [client, ready]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const begin = async () => {
    if (!track) return;
    setStart({ state: 'starting' });
    const reply = await client.call('startRun', { track, mode, trust });
    setStart(reply.ok ? { state: 'started', run: reply.value.run } : { state: 'error', error: reply.error });
  };
  const busy = start.state === 'starting' || start.state === 'started';

  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <form
        className="dialog card new-run-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="new-run-title"
        data-testid="new-run-dialog"
        data-state={files.state}
        onClick={(event) => event.stopPropagation()}
        onSubmit={(event) => {
          event.preventDefault();
          void begin();
        }}
      >
        <h2 id="new-run-title">New run</h2>
        <fieldset className="new-run-tracks" disabled={busy}>
          <legend>Track</legend>
          {files.state === 'loading' && <p className="muted">Listing the track files…</p>}
          {files.state === 'error' && (
            <p className="inline-error" role="alert" data-testid="new-run-tracks-error">
              {files.error}
            </p>
          )}
          {files.state === 'ok' && files.files.length === 0 && <p className="muted">No track files in the workspace or demo/.</p>}
          {files.state === 'ok' &&
            files.files.map((file) => (
              <label key={file.path} className={`track-option${file.error ? ' invalid' : ''}`} data-testid="new-run-track" data-path={file.path}>
                <input type="radio" name="track" value={file.path} checked={track === file.path} disabled={file.error !== undefined} onChange={() => setTrack(file.path)} />
                <span className="track-option-text">
                  <code>{file.path}</code> <span className="muted">({file.source})</span>
                  <br />
                  {file.error ? (
                    <span className="track-option-error">{file.error}</span>
                  ) : (
                    <span>
                      {file.title ?? file.id} · {file.tickets} ticket{file.tickets === 1 ? '' : 's'}
                    </span>
                  )}
                </span>
              </label>
            ))}
        </fieldset>
        <div className="new-run-options">
          <Choices legend="Mode" name="mode" testid="new-run-mode" options={modes} value={mode} onChange={setMode} disabled={busy} />
          <Choices legend="Trust override" name="trust" testid="new-run-trust" options={trusts} value={trust} onChange={setTrust} disabled={busy} />
        </div>
        {start.state === 'error' && (
          <p className="inline-error" role="alert" data-testid="new-run-error">
            {start.error}
          </p>
        )}
        {start.state === 'started' && (
          <p className="muted" role="status" data-testid="new-run-starting">
            Started run {start.run}; opening it…
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" data-testid="new-run-start" disabled={!track || busy || !ready}>
            {start.state === 'starting' ? 'Starting…' : 'Start the run'}
          </button>
          <button type="button" className="button link" data-testid="new-run-cancel" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
