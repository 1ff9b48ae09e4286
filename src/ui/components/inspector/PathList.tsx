import { useState } from 'react';
import type { ActorKind, TestPathInfo } from '../../../protocol/wire.js';
import { stateSummary } from '../../inspector/state-value.js';
import { matchesFilter, type PathListState, type PathRun } from '../../inspector/test-paths.js';

function outcome(run: PathRun | undefined): 'none' | 'running' | 'pass' | 'fail' {
  if (!run) return 'none';
  if (run.state === 'running') return 'running';
  return run.state === 'finished' && run.summary?.ok ? 'pass' : 'fail';
}

/** The machine's generated paths, filterable by words found in their events or end state. */
export function PathList(props: { machine: ActorKind; list: PathListState; selected: string | null; runs: Record<string, PathRun>; onSelect: (path: TestPathInfo) => void }) {
  const [filter, setFilter] = useState('');
  const { list } = props;
  const shown = list.state === 'ready' ? list.paths.filter((path) => matchesFilter(path, filter)) : [];
  return (
    <section className="card path-list-card" aria-label="test paths" data-testid="path-list" data-machine={props.machine} data-state={list.state}>
      <h2>
        <span className="actor-kind">{props.machine}</span> Test paths
        {list.state === 'ready' && (
          <span className="muted path-count" data-testid="path-count">
            {shown.length === list.paths.length ? `${list.paths.length}` : `${shown.length} of ${list.paths.length}`}
          </span>
        )}
      </h2>
      {list.state === 'ready' && (
        <p className="muted path-note">
          Generated with xstate/graph from the {props.machine} statechart: {list.paths.length} of {list.candidates} candidates, a set covering every state and transition plus a sample of the rest.
        </p>
      )}
      <input
        type="search"
        className="path-filter"
        placeholder="Filter: approve, abort, completed…"
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
        aria-label="filter the paths"
        data-testid="path-filter"
      />
      {list.state === 'loading' && (
        <p className="muted empty" data-testid="paths-loading">
          Generating the {props.machine} paths in the server…
        </p>
      )}
      {list.state === 'failed' && <p className="inline-error">{list.error}</p>}
      {list.state === 'ready' && (
        <ul className="path-list">
          {shown.map((path) => {
            const result = outcome(props.runs[path.id]);
            return (
              <li key={path.id}>
                <button
                  type="button"
                  className={`path-row${props.selected === path.id ? ' selected' : ''}`}
                  onClick={() => props.onSelect(path)}
                  aria-pressed={props.selected === path.id}
                  data-testid="path-row"
                  data-path={path.id}
                  data-result={result}
                >
                  <span className="path-row-head">
                    <span className={`run-marker ${result}`} aria-hidden="true" />
                    <span className="path-id">{path.id}</span>
                    <span className="path-source">{path.source}</span>
                    {path.synthetic && (
                      <span className="path-synthetic" title="some event is sent by the test, because the real actor never sends it there">
                        synthetic
                      </span>
                    )}
                    <span className="path-steps">{path.steps.length - 1} steps</span>
                  </span>
                  <span className="path-description" title={path.description}>
                    {path.description}
                  </span>
                  <span className="path-ends">
                    ends in <code>{stateSummary(path.ends)}</code>
                  </span>
                </button>
              </li>
            );
          })}
          {shown.length === 0 && <li className="timeline-empty">No path matches “{filter}”.</li>}
        </ul>
      )}
    </section>
  );
}
