import type { PlacedEdge, PlacedInitial, PlacedState, StatechartLayout } from '../../inspector/statechart-layout.js';
import { pathOf } from '../../svg-path.js';

function stateClasses(state: PlacedState, active: boolean, leaf: boolean): string {
  const compound = state.children.length > 0;
  return [
    'sc-state',
    `kind-${state.kind}`,
    compound ? 'compound' : 'simple',
    state.folded ? 'folded' : '',
    state.region ? 'region' : '',
    active ? 'active' : '',
    leaf ? 'leaf' : '',
    state.parent === null ? 'root' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function StateBox({ state, active, leaf }: { state: PlacedState; active: boolean; leaf: boolean }) {
  const compound = state.children.length > 0;
  return (
    <g
      className={stateClasses(state, active, leaf)}
      data-testid="state-node"
      data-state-id={state.id}
      data-state={state.key}
      data-active={active ? 'true' : 'false'}
      data-kind={state.kind}
      {...(state.folded ? { 'data-folded': state.folded } : {})}
    >
      <title>{`${state.id} (${state.kind})${state.folded ? `: ${state.folded} sub-states folded (compact view)` : ''}`}</title>
      {/* A folded state shows as a stack: a second box behind it. */}
      {state.folded !== undefined && <rect x={state.x + 3} y={state.y + 3} width={state.width - 3} height={state.height - 3} rx={9} className="sc-fold-shadow" />}
      <rect x={state.x} y={state.y} width={state.folded !== undefined ? state.width - 3 : state.width} height={state.folded !== undefined ? state.height - 3 : state.height} rx={compound ? 12 : 9} className="sc-box" />
      {state.kind === 'final' && <rect x={state.x + 3.5} y={state.y + 3.5} width={state.width - 7} height={state.height - 7} rx={6} className="sc-final-ring" />}
      {compound && !state.region && <line x1={state.x} x2={state.x + state.width} y1={state.y + state.header} y2={state.y + state.header} className="sc-header-rule" />}
    </g>
  );
}

/** Names and rows go over the edges, so a route that crosses a title never hides it. */
function StateText({ state, active, leaf }: { state: PlacedState; active: boolean; leaf: boolean }) {
  return (
    <g className={`${stateClasses(state, active, leaf)} sc-text`} aria-hidden="true">
      <text x={state.x + 12} y={state.y + 19} className="sc-title">
        {state.key}
      </text>
      {state.kind === 'parallel' && (
        <text x={state.x + state.width - 12} y={state.y + 19} className="sc-badge" textAnchor="end">
          parallel
        </text>
      )}
      {state.rows.map((row, index) => (
        <text key={index} x={state.x + 12} y={state.y + 28 + index * 16 + 11} className={`sc-row ${row.kind}`}>
          {row.text}
        </text>
      ))}
    </g>
  );
}

function Edge({ placed, hot, past }: { placed: PlacedEdge; hot: boolean; past: boolean }) {
  const { edge, label } = placed;
  return (
    <g
      className={`sc-edge kind-${edge.kind}${edge.guard ? ' guarded' : ''}${hot ? ' hot' : ''}${edge.quiet ? ' quiet' : ''}`}
      data-testid="transition"
      data-edge-id={edge.id}
      data-event={edge.event}
      data-label={edge.label}
    >
      {edge.quiet && <title>{edge.label}</title>}
      <path d={pathOf(placed.points)} className="sc-edge-line" markerEnd={hot ? (past ? 'url(#sc-arrow-past)' : 'url(#sc-arrow-hot)') : 'url(#sc-arrow)'} />
      {label && (
        <g className="sc-edge-label">
          <rect x={label.x} y={label.y} width={label.width} height={label.height} rx={4} />
          {label.lines.map((line, index) => (
            <text key={index} x={label.x + 4} y={label.y + 13 + index * 14} className={index === 0 ? 'sc-event' : 'sc-guard'}>
              {line}
            </text>
          ))}
        </g>
      )}
    </g>
  );
}

function Initial({ initial }: { initial: PlacedInitial }) {
  return (
    <g className="sc-initial">
      <path d={pathOf(initial.points)} className="sc-edge-line" markerEnd="url(#sc-arrow)" />
      <circle cx={initial.x} cy={initial.y} r={initial.radius} />
    </g>
  );
}

/**
 * A statechart drawn from its layout. `active` holds the ids of the states the actor is in (each
 * active leaf and its ancestors); the transitions out of them are the ones it may take next.
 */
export function StatechartDiagram(props: {
  layout: StatechartLayout;
  active: ReadonlySet<string>;
  machine: string;
  actor: string;
  past: boolean;
  scale: number;
  /** What the highlight shows, for tests and styles: live (default), past (time travel) or path (a test path's step). */
  mode?: 'live' | 'past' | 'path';
  /** The compact view (folded sub-states), and whether it is still the one of the states before. */
  compact?: boolean;
  stale?: boolean;
}) {
  const { layout, active } = props;
  const leaves = new Set([...active].filter((id) => !layout.states.some((state) => state.parent === id && active.has(state.id))));
  return (
    <svg
      className={`statechart${props.past ? ' past' : ''}`}
      data-testid="statechart"
      data-machine={props.machine}
      data-actor={props.actor}
      data-mode={props.mode ?? (props.past ? 'past' : 'live')}
      data-compact={props.compact ? 'true' : 'false'}
      data-stale={props.stale ? 'true' : 'false'}
      width={Math.round(layout.width * props.scale)}
      height={Math.round(layout.height * props.scale)}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label={`statechart of the ${props.machine} machine`}
    >
      <defs>
        <marker id="sc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6.5" markerHeight="6.5" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="sc-arrowhead" />
        </marker>
        <marker id="sc-arrow-hot" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6.5" markerHeight="6.5" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="sc-arrowhead hot" />
        </marker>
        <marker id="sc-arrow-past" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6.5" markerHeight="6.5" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="sc-arrowhead past" />
        </marker>
      </defs>
      {layout.states.map((state) => (
        <StateBox key={state.id} state={state} active={active.has(state.id)} leaf={leaves.has(state.id)} />
      ))}
      {layout.initials.map((initial) => (
        <Initial key={initial.parent} initial={initial} />
      ))}
      {layout.edges.map((placed) => (
        <Edge key={placed.edge.id} placed={placed} hot={active.has(placed.edge.source)} past={props.past} />
      ))}
      {layout.states.map((state) => (
        <StateText key={state.id} state={state} active={active.has(state.id)} leaf={leaves.has(state.id)} />
      ))}
    </svg>
  );
}
