import { useEffect, useState } from 'react';
import type { ActorKind } from '../../protocol/wire.js';
import { compactGraph } from './compact-graph.js';
import { machines } from './machines.js';
import { statechartGraph, type StatechartGraph } from './statechart-graph.js';
import type { Measure, StatechartLayout } from './statechart-layout.js';
import { fonts } from './text-fonts.js';
import { errorText } from '../../protocol/error-text.js';

/** Text widths from the browser's own font metrics, so boxes and labels fit what is drawn. */
function canvasMeasure(): Measure | undefined {
  const context = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  if (!context) return undefined;
  return (text, font) => {
    const spec = fonts[font];
    context.font = `${spec.weight} ${spec.size}px ${spec.family}`;
    return context.measureText(text).width;
  };
}

/**
 * A machine's full layout never changes while the page is open, and a compact one depends only on
 * the states it is in: each is computed once, under its key.
 */
const layouts = new Map<string, Promise<StatechartLayout>>();

/** The layout's key: the machine, and for a compact view the states it is in. */
export function layoutKey(kind: ActorKind, compactFor: ReadonlySet<string> | null): string {
  return compactFor ? `${kind}|compact|${[...compactFor].sort().join(',')}` : `${kind}|full`;
}

export function layoutFor(kind: ActorKind, compactFor: ReadonlySet<string> | null = null): Promise<StatechartLayout> {
  const key = layoutKey(kind, compactFor);
  let layout = layouts.get(key);
  if (!layout) {
    const full = statechartGraph(machines[kind]);
    const graph: StatechartGraph = compactFor ? compactGraph(full, compactFor) : full;
    // ELK is most of the app's weight: it loads when the first diagram is drawn, not with the page.
    layout = import('./statechart-layout.js').then(({ layoutStatechart }) => layoutStatechart(graph, canvasMeasure()));
    layouts.set(key, layout);
  }
  return layout;
}

export type LayoutState =
  | { state: 'loading' }
  /**
   * compact: whether this is a compact layout (what is drawn, which may be the one before);
   * stale: the layout of the states before, shown while the one for the states now is computed.
   */
  | { state: 'ready'; layout: StatechartLayout; key: string; compact: boolean; stale: boolean }
  | { state: 'failed'; error: string };

/**
 * The layout to draw a machine with: its full diagram, or (compactFor given) the compact one for
 * those states. While a new compact layout is computed the last one stays on screen, marked stale.
 */
export function useStatechartLayout(kind: ActorKind, compactFor: ReadonlySet<string> | null = null): LayoutState {
  const key = layoutKey(kind, compactFor);
  const [state, setState] = useState<{ kind: ActorKind; key: string; value: LayoutState }>({ kind, key, value: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    layoutFor(kind, compactFor).then(
      (layout) => current && setState({ kind, key, value: { state: 'ready', layout, key, compact: compactFor !== null, stale: false } }),
      (error: unknown) => current && setState({ kind, key, value: { state: 'failed', error: errorText(error) } }),
    );
    return () => {
      current = false;
    };
    // The key stands for compactFor: a new set with the same states is the same layout.
  }, [kind, key]);
  if (state.key === key) return state.value;
  if (state.kind === kind && state.value.state === 'ready') return { ...state.value, stale: true };
  return { state: 'loading' };
}
