import { useEffect, useState } from 'react';
import type { ActorKind } from '../../protocol/wire.js';
import { machines } from './machines.js';
import { statechartGraph } from './statechart-graph.js';
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

// A machine's layout never changes while the page is open: each is computed once.
const layouts = new Map<ActorKind, Promise<StatechartLayout>>();

export function layoutFor(kind: ActorKind): Promise<StatechartLayout> {
  let layout = layouts.get(kind);
  if (!layout) {
    // ELK is most of the app's weight: it loads when the first diagram is drawn, not with the page.
    layout = import('./statechart-layout.js').then(({ layoutStatechart }) => layoutStatechart(statechartGraph(machines[kind]), canvasMeasure()));
    layouts.set(kind, layout);
  }
  return layout;
}

export type LayoutState = { state: 'loading' } | { state: 'ready'; layout: StatechartLayout } | { state: 'failed'; error: string };

export function useStatechartLayout(kind: ActorKind): LayoutState {
  const [state, setState] = useState<{ kind: ActorKind; value: LayoutState }>({ kind, value: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    layoutFor(kind).then(
      (layout) => current && setState({ kind, value: { state: 'ready', layout } }),
      (error: unknown) => current && setState({ kind, value: { state: 'failed', error: errorText(error) } }),
    );
    return () => {
      current = false;
    };
  }, [kind]);
  return state.kind === kind ? state.value : { state: 'loading' };
}
