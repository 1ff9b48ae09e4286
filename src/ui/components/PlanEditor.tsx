import type { ProposedTrack } from '../../protocol/index.js';
import type { PlanChange } from '../plan-draft.js';

/**
 * The plan as a form: the title, the description, and each ticket's id, target file, archetype
 * (an implementation archetype, tier 3), prompt and dependencies; tickets added and removed. It
 * only edits the draft: nothing reaches the engine until "Save changes".
 */
export function PlanEditor(props: { plan: ProposedTrack; archetypes: readonly string[]; editable: boolean; onChange: (change: PlanChange) => void; edited: ReadonlySet<number> }) {
  const { plan, editable, onChange } = props;
  const ids = plan.tickets.map((ticket) => ticket.id);
  return (
    <div className="plan-editor" data-testid="plan-editor" data-editable={String(editable)}>
      <div className="plan-fields">
        <label className="plan-field">
          <span className="field-label">Title</span>
          <input type="text" data-testid="plan-title" value={plan.title} disabled={!editable} onChange={(event) => onChange({ kind: 'title', value: event.target.value })} />
        </label>
        <label className="plan-field">
          <span className="field-label">Description</span>
          <textarea data-testid="plan-description" rows={2} value={plan.description ?? ''} disabled={!editable} onChange={(event) => onChange({ kind: 'description', value: event.target.value })} />
        </label>
      </div>
      <ol className="plan-tickets">
        {plan.tickets.map((ticket, index) => {
          const options = props.archetypes.includes(ticket.worker_archetype) ? props.archetypes : [...props.archetypes, ticket.worker_archetype];
          const dependencies = ticket.dependencies ?? [];
          const candidates = [...new Set([...ids.filter((id, at) => at !== index && id !== ticket.id), ...dependencies])];
          return (
            <li key={index} className={`plan-ticket${props.edited.has(index) ? ' edited' : ''}`} data-testid="plan-ticket" data-index={index} data-id={ticket.id}>
              <div className="plan-ticket-row">
                <label className="plan-field small">
                  <span className="field-label">Id</span>
                  <input type="text" data-testid="plan-ticket-id" value={ticket.id} disabled={!editable} onChange={(event) => onChange({ kind: 'id', index, value: event.target.value })} />
                </label>
                <label className="plan-field grow">
                  <span className="field-label">Target file</span>
                  <input
                    type="text"
                    data-testid="plan-ticket-target"
                    value={ticket.target_file}
                    disabled={!editable}
                    onChange={(event) => onChange({ kind: 'field', index, field: 'target_file', value: event.target.value })}
                  />
                </label>
                <label className="plan-field">
                  <span className="field-label">Archetype</span>
                  <select
                    data-testid="plan-ticket-archetype"
                    value={ticket.worker_archetype}
                    disabled={!editable}
                    onChange={(event) => onChange({ kind: 'field', index, field: 'worker_archetype', value: event.target.value })}
                  >
                    {options.map((name) => (
                      <option key={name} value={name}>
                        {props.archetypes.includes(name) ? name : `${name} (not a tier 3 archetype)`}
                      </option>
                    ))}
                  </select>
                </label>
                {editable && (
                  <button type="button" className="button danger plan-remove" data-testid="plan-ticket-remove" title={`remove ${ticket.id} (and it from the others' dependencies)`} onClick={() => onChange({ kind: 'remove', index })}>
                    Remove
                  </button>
                )}
              </div>
              <label className="plan-field">
                <span className="field-label">Prompt</span>
                <textarea
                  data-testid="plan-ticket-prompt"
                  rows={3}
                  value={ticket.prompt}
                  disabled={!editable}
                  onChange={(event) => onChange({ kind: 'field', index, field: 'prompt', value: event.target.value })}
                />
              </label>
              <div className="plan-deps" data-testid="plan-ticket-deps">
                <span className="field-label">After</span>
                {candidates.length === 0 && <span className="muted">no other ticket</span>}
                {candidates.map((id) => (
                  <label key={id} className={`choice dep${ids.includes(id) ? '' : ' unknown'}`} title={ids.includes(id) ? `${ticket.id} waits for ${id}` : `${id} is not a ticket of this plan`}>
                    <input
                      type="checkbox"
                      data-testid="plan-ticket-dep"
                      data-dep={id}
                      checked={dependencies.includes(id)}
                      disabled={!editable}
                      onChange={(event) => onChange({ kind: 'dependency', index, id, on: event.target.checked })}
                    />{' '}
                    {id}
                    {ids.includes(id) ? '' : ' (unknown)'}
                  </label>
                ))}
              </div>
            </li>
          );
        })}
      </ol>
      {editable && (
        <button type="button" className="button" data-testid="plan-add-ticket" onClick={() => onChange({ kind: 'add', archetype: props.archetypes[0] ?? '' })}>
          Add a ticket
        </button>
      )}
    </div>
  );
}
