import type { ActorKind, TestPathInfo } from '../../../protocol/wire.js';
import { eventName } from '../../inspector/event-names.js';
import { stateSummary } from '../../inspector/state-value.js';
import type { PathRun } from '../../inspector/test-paths.js';

function RunSummary({ run, steps }: { run: PathRun | undefined; steps: number }) {
  if (!run) return <span className="muted">Not run yet.</span>;
  if (run.state === 'refused') return <span className="run-summary fail" data-testid="run-summary" data-outcome="refused">Refused: {run.error}</span>;
  const done = Object.keys(run.results).length;
  if (run.state === 'running') {
    return (
      <span className="run-summary running" data-testid="run-summary" data-outcome="running">
        Running… {done}/{steps} steps checked
      </span>
    );
  }
  const summary = run.summary!;
  return (
    <span className={`run-summary ${summary.ok ? 'pass' : 'fail'}`} data-testid="run-summary" data-outcome={summary.ok ? 'pass' : 'fail'}>
      {summary.ok ? `Passed: all ${summary.passed} steps` : `Failed: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} not run`} · {(summary.ms / 1000).toFixed(2)} s
    </span>
  );
}

/**
 * A path's steps, each the event and the abstract state it should leave the machine in, with the
 * run's verdict per step as it arrives. Clicking a step shows it on the diagram.
 */
export function PathSteps(props: {
  machine: ActorKind;
  path: TestPathInfo;
  step: number;
  run: PathRun | undefined;
  /** Another path's run is in progress. */
  busy: boolean;
  onStep: (step: number) => void;
  onRun: () => void;
}) {
  const { path, run } = props;
  const running = run?.state === 'running';
  return (
    <section className="card path-steps-card" aria-label="path steps" data-testid="path-steps" data-path={path.id}>
      <h2>
        <span className="path-id">{path.id}</span>
        <span className="path-source">{path.source}</span>
        {path.synthetic && <span className="path-synthetic">synthetic</span>}
      </h2>
      <div className="run-bar">
        <button type="button" className="button primary" onClick={props.onRun} disabled={running || props.busy} data-testid="path-run">
          {running ? 'Running…' : 'Run against a fresh engine'}
        </button>
        <RunSummary run={run} steps={path.steps.length} />
      </div>
      <ol className="path-step-list">
        {path.steps.map((step) => {
          const result = run?.results[step.index];
          const verdict = result ? (result.ok ? 'pass' : 'fail') : run?.state === 'finished' || run?.state === 'refused' ? 'skipped' : running ? 'pending' : 'none';
          return (
            <li key={step.index}>
              <button
                type="button"
                className={`path-step${props.step === step.index ? ' selected' : ''}`}
                onClick={() => props.onStep(step.index)}
                aria-current={props.step === step.index ? 'step' : undefined}
                data-testid="path-step"
                data-step={step.index}
                data-result={verdict}
              >
                <span className={`run-marker ${verdict}`} aria-label={verdict} />
                <span className="path-step-index">{step.index}</span>
                <span className="path-step-event">
                  <code title={step.event}>{step.index === 0 ? 'start' : eventName(props.machine, step.event)}</code>
                  {step.payload && <span className="path-step-payload">{step.payload}</span>}
                </span>
                <span className="path-step-state">→ {stateSummary(step.after)}</span>
                {result?.failure && (
                  <span className="path-step-failure" data-testid="path-step-failure">
                    <strong>{result.failure.kind}</strong> {result.failure.message}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
