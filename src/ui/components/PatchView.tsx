import { useMemo, useRef } from 'react';
import type { DiffView } from '../../protocol/wire.js';
import { parsePatch, statusMeaning } from '../patch.js';
import type { Diff } from '../use-diff.js';

const short = (commit: string | null) => (commit ? commit.slice(0, 8) : '—');

/**
 * A change as git shows it: the files it touches (status letter and path; a click scrolls to the
 * file's part of the patch), then the patch with added, removed and hunk lines coloured. Lines of
 * one kind in a row are drawn as one block, and each file's part is laid out only when scrolled to,
 * so that a patch of 512 KB stays quick.
 */
export function PatchView({ diff, empty }: { diff: DiffView; empty: string }) {
  const parsed = useMemo(() => parsePatch(diff.patch), [diff.patch]);
  const body = useRef<HTMLDivElement>(null);
  const inPatch = new Set(parsed.files.map((file) => file.path));
  const counts = new Map(parsed.files.map((file) => [file.path, file]));

  function scrollTo(path: string): void {
    const section = [...(body.current?.children ?? [])].find((element) => element instanceof HTMLElement && element.dataset['path'] === path);
    section?.scrollIntoView({ block: 'start', behavior: 'auto' });
  }

  if (diff.files.length === 0 && parsed.lines === 0) {
    return (
      <p className="muted empty" data-testid="patch-empty">
        {empty}
      </p>
    );
  }
  return (
    <div className="patch" data-testid="patch-view" data-files={diff.files.length} data-truncated={diff.truncated}>
      <div className="diff-stats patch-stats">
        {diff.files.length} file{diff.files.length === 1 ? '' : 's'} · <span className="diff-added">+{parsed.added}</span>{' '}
        <span className="diff-removed">−{parsed.removed}</span>
        {diff.truncated && <span className="muted">in the part shown</span>}
        <span className="patch-commits muted" title={`from ${diff.base ?? 'nothing'} to ${diff.head ?? 'nothing'}`}>
          {short(diff.base)} → {short(diff.head)}
        </span>
      </div>
      <ul className="patch-files" data-testid="patch-files">
        {diff.files.map((file) => {
          const shown = counts.get(file.path);
          return (
            <li key={`${file.status}:${file.path}`} data-testid="patch-file" data-path={file.path} data-status={file.status}>
              <span className={`file-status file-status-${file.status}`} title={statusMeaning(file.status)}>
                {file.status}
              </span>
              {inPatch.has(file.path) ? (
                <button type="button" className="button link patch-file-link" onClick={() => scrollTo(file.path)} title="show its part of the patch">
                  {file.path}
                </button>
              ) : (
                <code className="patch-file-path" title="not in the part of the patch shown (a binary file, or past the cut)">
                  {file.path}
                </code>
              )}
              {shown && (
                <span className="patch-file-counts" title={diff.truncated ? 'lines added and removed in the part of the patch shown' : 'lines added and removed'}>
                  <span className="diff-added">+{shown.added}</span> <span className="diff-removed">−{shown.removed}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {diff.truncated && (
        <p className="patch-truncated" data-testid="patch-truncated" role="note">
          The patch is too long to show in full: only its start is shown below. The file list above is complete.
        </p>
      )}
      <div className="patch-body" ref={body} data-testid="patch-body">
        {parsed.files.map((file, index) => (
          <section key={`${index}:${file.path}`} className="patch-section" data-path={file.path}>
            <pre>
              {file.runs.map((run, at) => (
                <div key={at} className={`patch-run diff-${run.kind}`} data-kind={run.kind}>
                  {run.text === '' ? ' ' : run.text}
                </div>
              ))}
            </pre>
          </section>
        ))}
      </div>
    </div>
  );
}

/**
 * A diff with its state: loading, refused (with the server's reason: a shared run has no
 * per-ticket diffs), or shown, and a Refresh button that asks again.
 */
export function DiffPanel(props: { title: string; diff: Diff; empty: string; offline: string | null; testId: string; ticket?: string }) {
  const { shown, refreshing, refresh } = props.diff;
  return (
    <section className="diff-panel" data-testid={props.testId} data-state={shown.state} data-refreshing={refreshing} {...(props.ticket ? { 'data-ticket': props.ticket } : {})}>
      <header className="diff-panel-head">
        <h3>{props.title}</h3>
        <span className="diff-panel-when muted">
          {refreshing ? 'refreshing…' : shown.state === 'ok' ? `as of ${new Date(shown.at).toLocaleTimeString()}` : ''}
        </span>
        <button
          type="button"
          className="button"
          data-testid={`${props.testId}-refresh`}
          onClick={refresh}
          disabled={props.offline !== null}
          title={props.offline ?? 'ask the server for the diff again'}
        >
          Refresh
        </button>
      </header>
      {shown.state === 'loading' && <p className="muted">Loading the diff…</p>}
      {shown.state === 'refused' && (
        <p className="diff-refused" data-testid={`${props.testId}-refused`} role="note">
          {shown.error}
        </p>
      )}
      {shown.state === 'ok' && <PatchView diff={shown.diff} empty={props.empty} />}
    </section>
  );
}
