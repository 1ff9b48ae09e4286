import { useMemo, useRef, useState } from 'react';
import type { ActorKind, TestPathInfo, TestStepResult } from '../../../protocol/wire.js';
import { eventName } from '../../inspector/event-names.js';
import { machines } from '../../inspector/machines.js';
import { stateSummary } from '../../inspector/state-value.js';
import { activeStateIds } from '../../inspector/statechart-graph.js';
import { useStatechartLayout } from '../../inspector/use-layout.js';
import { useKeepInSight, useWidth } from './DiagramPanel.js';
import { StatechartDiagram } from './StatechartDiagram.js';

/**
 * The machine's statechart with one step of a test path highlighted: the abstract state the step
 * expects, drawn the way time travel draws a past state.
 */
export function PathDiagram(props: { machine: ActorKind; path: TestPathInfo; step: number; result: TestStepResult | undefined; onStep: (step: number) => void }) {
  const { machine, path, step } = props;
  const layout = useStatechartLayout(machine);
  const [zoom, setZoom] = useState<'fit' | 'full'>('fit');
  const container = useRef<HTMLDivElement>(null);
  const width = useWidth(container);
  const current = path.steps[step]!;
  const ready = layout.state === 'ready' ? layout.layout : null;
  const active = useMemo(() => activeStateIds(machines[machine].id, current.after), [machine, current]);
  const scale = ready && zoom === 'fit' && width > 0 ? Math.min(1, (width - 2) / ready.width) : 1;
  useKeepInSight(container, ready, active, scale);
  const last = path.steps.length - 1;

  return (
    <section className="card diagram-card path-diagram" aria-label="statechart of the path step" data-testid="path-diagram">
      <div className="path-banner" role="status" data-testid="path-banner" data-step={step} data-result={props.result ? (props.result.ok ? 'pass' : 'fail') : 'none'}>
        <button type="button" className="button" onClick={() => props.onStep(step - 1)} disabled={step === 0} data-testid="path-prev" aria-label="previous step">
          ‹ Prev
        </button>
        <span className="path-banner-text">
          <strong>
            Path step {step}/{last}
          </strong>{' '}
          · {step === 0 ? 'start' : <>after <code title={current.event}>{eventName(machine, current.event)}</code></>} · expects{' '}
          <code data-testid="path-expected">{stateSummary(current.after)}</code>
          {props.result && !props.result.ok && (
            <>
              {' '}
              · real <code>{stateSummary(props.result.value)}</code>
            </>
          )}
        </span>
        <button type="button" className="button" onClick={() => props.onStep(step + 1)} disabled={step === last} data-testid="path-next" aria-label="next step">
          Next ›
        </button>
        <span className="zoom" role="group" aria-label="zoom">
          <button type="button" className="button" aria-pressed={zoom === 'fit'} onClick={() => setZoom('fit')}>
            Fit
          </button>
          <button type="button" className="button" aria-pressed={zoom === 'full'} onClick={() => setZoom('full')}>
            100%
          </button>
        </span>
      </div>
      <div className="diagram-scroll" ref={container}>
        {ready ? (
          <StatechartDiagram layout={ready} active={active} machine={machine} actor={`path:${path.id}`} past scale={scale} mode="path" />
        ) : layout.state === 'failed' ? (
          <p className="inline-error">The diagram could not be laid out: {layout.error}</p>
        ) : (
          <p className="muted empty">Laying out the {machine} machine…</p>
        )}
      </div>
    </section>
  );
}
