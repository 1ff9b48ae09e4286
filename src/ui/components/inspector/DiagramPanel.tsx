import { useEffect, useMemo, useRef, useState } from 'react';
import type { TimelineEntry } from '../../../protocol/wire.js';
import { useView } from '../../hooks.js';
import { eventName } from '../../inspector/event-names.js';
import { formatAt, stateSummary } from '../../inspector/state-value.js';
import { machines } from '../../inspector/machines.js';
import { activeStateIds } from '../../inspector/statechart-graph.js';
import type { StatechartLayout } from '../../inspector/statechart-layout.js';
import { useStatechartLayout } from '../../inspector/use-layout.js';
import { kindOfKey } from '../../../protocol/actor-keys.js';
import { StatechartDiagram } from './StatechartDiagram.js';

/** Scrolls the diagram so the deepest active state is in sight, when it is not already. */
export function useKeepInSight(container: React.RefObject<HTMLDivElement | null>, layout: StatechartLayout | null, active: ReadonlySet<string>, scale: number) {
  const target = useMemo(() => {
    if (!layout) return null;
    const leaves = layout.states.filter((state) => active.has(state.id) && !state.children.some((child) => active.has(child)));
    return leaves.sort((a, b) => b.depth - a.depth)[0] ?? null;
  }, [layout, active]);
  useEffect(() => {
    const element = container.current;
    if (!element || !target) return;
    const top = target.y * scale;
    const bottom = (target.y + target.height) * scale;
    const left = target.x * scale;
    const right = (target.x + target.width) * scale;
    // Near an edge counts as out of sight: the transitions around the state matter too.
    const margin = 60;
    if (top < element.scrollTop + margin || bottom > element.scrollTop + element.clientHeight - margin) {
      element.scrollTop = Math.max(0, (top + bottom) / 2 - element.clientHeight / 2);
    }
    if (left < element.scrollLeft + margin || right > element.scrollLeft + element.clientWidth - margin) {
      element.scrollLeft = Math.max(0, (left + right) / 2 - element.clientWidth / 2);
    }
  }, [container, target, scale]);
}

export function useWidth(container: React.RefObject<HTMLDivElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    setWidth(element.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, [container]);
  return width;
}

/**
 * The selected actor's machine, drawn from its definition, with the states it is in highlighted:
 * live from its view, or those a past timeline entry left it in (time travel).
 */
export function DiagramPanel(props: { actor: string; past: TimelineEntry | null; onBackToLive: () => void; compact: boolean; onCompact: (compact: boolean) => void }) {
  const kind = kindOfKey(props.actor) ?? 'conductor';
  const view = useView(props.actor);
  const value = props.past ? props.past.value : view?.value;
  const active = useMemo(() => (value === undefined ? new Set<string>() : activeStateIds(machines[kind].id, value)), [kind, value]);
  // Compact folds what is not active, so it needs the states first; until then, the full diagram.
  const compact = props.compact && value !== undefined;
  const layout = useStatechartLayout(kind, compact ? active : null);
  const [zoom, setZoom] = useState<'fit' | 'full'>('fit');
  const container = useRef<HTMLDivElement>(null);
  const width = useWidth(container);
  const ready = layout.state === 'ready' ? layout.layout : null;
  const scale = ready && zoom === 'fit' && width > 0 ? Math.min(1, (width - 2) / ready.width) : 1;
  useKeepInSight(container, ready, active, scale);

  return (
    <section className="card diagram-card" aria-label="statechart" data-testid="diagram-panel" data-actor={props.actor}>
      <div className="diagram-head">
        <h2>
          <span className="actor-kind">{kind}</span> {props.actor}
        </h2>
        {view && (
          <span className="muted" data-testid="diagram-live-state">
            {view.status} · {stateSummary(view.value)}
          </span>
        )}
        <label className="compact-toggle" title="fold the sub-states that are not active, and label only the ways out of the current state">
          <input type="checkbox" checked={props.compact} onChange={(event) => props.onCompact(event.target.checked)} data-testid="compact-toggle" /> Compact
        </label>
        <span className="zoom" role="group" aria-label="zoom">
          <button type="button" className="button" aria-pressed={zoom === 'fit'} onClick={() => setZoom('fit')} data-testid="zoom-fit">
            Fit
          </button>
          <button type="button" className="button" aria-pressed={zoom === 'full'} onClick={() => setZoom('full')} data-testid="zoom-full">
            100%
          </button>
        </span>
      </div>
      {props.past && (
        <div className="past-banner" role="status" data-testid="past-banner" data-seq={props.past.seq}>
          <span>
            <strong>Viewing past state</strong> · after #{props.past.seq} <code title={props.past.event}>{eventName(kind, props.past.event)}</code> at{' '}
            {formatAt(props.past.at)} · <code>{stateSummary(props.past.value)}</code>
          </span>
          <button type="button" className="button" onClick={props.onBackToLive} data-testid="back-to-live">
            Back to live
          </button>
        </div>
      )}
      <div className="diagram-scroll" ref={container}>
        {ready ? (
          <StatechartDiagram
            layout={ready}
            active={active}
            machine={kind}
            actor={props.actor}
            past={props.past !== null}
            scale={scale}
            compact={layout.state === 'ready' && layout.compact}
            stale={layout.state === 'ready' && layout.stale}
          />
        ) : layout.state === 'failed' ? (
          <p className="inline-error">The diagram could not be laid out: {layout.error}</p>
        ) : (
          <p className="muted empty" data-testid="diagram-loading">Laying out the {kind} machine…</p>
        )}
      </div>
      <div className="legend" aria-hidden="true">
        <span><i className="active" /> current state</span>
        <span><i /> event</span>
        <span><i className="always" /> always (eventless)</span>
        <span><i className="done" /> invoke done</span>
        <span><i className="error" /> invoke error</span>
        <span>↻ handled in place (no state change)</span>
        {layout.state === 'ready' && layout.compact && <span>▸ folded sub-states</span>}
        <span>[guard]</span>
      </div>
    </section>
  );
}
