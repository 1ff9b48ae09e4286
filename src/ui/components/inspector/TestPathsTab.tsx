import { useState } from 'react';
import { kindOfKey, type ActorKind, type TestPathInfo, type TicketSummary } from '../../../protocol/wire.js';
import { useClient } from '../../hooks.js';
import { applyRunProgress, endRun, useTestPaths, type PathRun } from '../../inspector/test-paths.js';
import { ActorTree } from './ActorTree.js';
import { PathDiagram } from './PathDiagram.js';
import { PathList } from './PathList.js';
import { PathSteps } from './PathSteps.js';

/**
 * The "Test paths" tab: the paths the model-based tests generate for the selected actor's machine,
 * one of them stepped through on the statechart, and run against a fresh engine in the server.
 */
export function TestPathsTab(props: { trackId: string; tickets: readonly TicketSummary[]; actor: string; onActor: (actor: string) => void }) {
  const client = useClient();
  const machine = kindOfKey(props.actor) ?? 'conductor';
  const list = useTestPaths(client, machine);
  const [chosen, setChosen] = useState<Partial<Record<ActorKind, string>>>({});
  const [step, setStep] = useState(0);
  const [runs, setRuns] = useState<Record<string, PathRun>>({});

  const paths = list.state === 'ready' ? list.paths : [];
  const path = paths.find((candidate) => candidate.id === chosen[machine]) ?? paths[0] ?? null;
  const busy = Object.values(runs).some((run) => run.state === 'running');
  const run = path ? runs[path.id] : undefined;
  const shownStep = path ? Math.min(step, path.steps.length - 1) : 0;

  const choose = (next: TestPathInfo) => {
    setChosen((current) => ({ ...current, [machine]: next.id }));
    setStep(0);
  };
  const select = (actor: string) => {
    if (kindOfKey(actor) !== machine) setStep(0);
    props.onActor(actor);
  };
  const start = (target: TestPathInfo) => {
    setRuns((current) => ({ ...current, [target.id]: { state: 'running', results: {} } }));
    const update = (change: (run: PathRun) => PathRun) => setRuns((current) => ({ ...current, [target.id]: change(current[target.id]!) }));
    void client.call('runTestPath', { machine, path: target.id }, (event) => update((run) => applyRunProgress(run, event))).then((reply) => update((run) => endRun(run, reply)));
  };

  return (
    <>
      <div className="inspector-side">
        <ActorTree trackId={props.trackId} tickets={props.tickets} selected={props.actor} onSelect={select} />
        <PathList key={machine} machine={machine} list={list} selected={path?.id ?? null} runs={runs} onSelect={choose} />
      </div>
      <div className="inspector-main path-main" data-testid="test-paths" data-machine={machine}>
        {path ? (
          <>
            <PathSteps machine={machine} path={path} step={shownStep} run={run} busy={busy} onStep={setStep} onRun={() => start(path)} />
            <PathDiagram machine={machine} path={path} step={shownStep} result={run?.results[shownStep]} onStep={setStep} />
          </>
        ) : (
          <section className="card">
            <p className="muted empty">{list.state === 'failed' ? 'No paths to show.' : `The ${machine} paths appear here once the server has generated them.`}</p>
          </section>
        )}
      </div>
    </>
  );
}
