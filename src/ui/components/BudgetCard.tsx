import { useRef, useState } from 'react';
import type { BudgetStop, CommandTarget, PauseRef } from '../../protocol/index.js';
import { budgetTitle, limitText, parseRaise, raiseCommand, raiseField, raiseHint, spentText } from '../budget.js';
import { aimOf, useArming } from '../keyboard/arming.js';
import { pauseLabel, pauseRef, type Pause } from '../pause.js';
import type { ActorView } from '../../protocol/wire.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { PauseRefusal } from './Refusal.js';

/**
 * The new limit for the one that was reached, and the button that sends it. The field starts at
 * twice the old limit (or twice the spend); the engine checks the raise lifts the pause and, when
 * it does not, says why (the refusal shows where the card shows it). Enter in the field raises.
 */
export function RaiseForm(props: { target: CommandTarget; accepts: readonly string[]; stop: BudgetStop; at: PauseRef; notSent: string | null; testId?: (name: string) => string }) {
  const { stop } = props;
  const field = raiseField(stop);
  const [text, setText] = useState(field.initial);
  const form = useRef<HTMLFormElement>(null);
  const testId = props.testId ?? ((name: string) => name);
  const buttonId = testId('raise-budget');
  if (!props.accepts.includes('clutch.raise_budget')) return null;
  const parsed = parseRaise(text, stop.reached);
  // Sent only when parsed (the button is disabled otherwise): the value the human typed, named by its pause.
  const command = raiseCommand(props.at, stop, parsed.ok ? parsed.value : 0);
  return (
    <form
      ref={form}
      className="raise-form"
      data-testid={testId('raise-form')}
      data-field={field.name}
      // The value is checked here (parseRaise) and by the engine, not by the browser's step rules.
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        form.current?.querySelector<HTMLButtonElement>(`button[data-testid="${buttonId}"]`)?.click();
      }}
    >
      <label className="raise-label" data-edit-target="">
        <span>
          New <code>{field.name}</code> <span className="muted">({field.unit})</span>
        </span>
        <input
          type="number"
          className={`raise-input${parsed.ok ? '' : ' invalid'}`}
          data-testid={testId('raise-input')}
          name={field.name}
          min={field.step}
          step={field.step}
          inputMode={stop.reached === 'tokens' ? 'numeric' : 'decimal'}
          value={text}
          aria-invalid={!parsed.ok}
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      <CommandButton
        target={props.target}
        accepts={props.accepts}
        command={command}
        label="Raise budget"
        variant="primary"
        testId={buttonId}
        disabled={!parsed.ok}
        title={parsed.ok ? `Sets ${field.name} to ${text.trim()} and lets the worker go on` : parsed.error}
        notSent={props.notSent}
      />
      {!parsed.ok && (
        <span className="inline-error small" data-testid={testId('raise-invalid')}>
          {parsed.error}
        </span>
      )}
    </form>
  );
}

/**
 * The budget pause: a budget (the ticket's, or the whole run's) is spent, and the worker's next
 * model turn waits for the human. It shows the spend against the limit, and two answers: raise the
 * limit that was reached, or abort (the ticket blocks, its reason carrying the spend). No trust
 * switch and no bulk answer releases it.
 */
export function BudgetCard(props: { ticketId: string; view: ActorView<WorkerView>; pause: Extract<Pause, { kind: 'budget' }> }) {
  const { view, pause } = props;
  const { stop } = pause;
  const target = { kind: 'worker', id: props.ticketId } as const;
  const ref = pauseRef(pause);
  const arming = useArming('panel', props.ticketId, ref);
  const { at, notSent } = aimOf(arming, ref);
  return (
    <section
      className={`pause-card budget${arming.armed ? '' : ' arming'}`}
      data-testid="pause-budget"
      data-pause-card=""
      data-ticket={props.ticketId}
      data-call={ref.tool_use_id}
      data-scope={stop.scope}
      data-reached={stop.reached}
      data-armed={String(arming.armed)}
      tabIndex={-1}
      aria-label={`budget pause of ${props.ticketId}`}
    >
      <header className="pause-head">
        <span className="pause-badge">{pauseLabel.budget}</span>
        <h3 data-testid="budget-title">{budgetTitle(stop)}</h3>
        <span className="budget-scope" data-testid="budget-scope">
          {stop.scope === 'run' ? 'run budget (max_cost_per_run)' : 'ticket budget'}
        </span>
        <span className="muted call-id">{ref.tool_use_id}</span>
      </header>
      <p className="budget-reason" data-testid="budget-reason" role="status">
        {stop.reason}
      </p>
      <dl className="budget-figures">
        <dt>Spent</dt>
        <dd data-testid="budget-spent" data-tokens={stop.spent.tokens} data-cost={stop.spent.cost_usd ?? ''}>
          {spentText(stop)}
        </dd>
        <dt>Limit</dt>
        <dd data-testid="budget-limit">{limitText(stop)}</dd>
      </dl>
      <RaiseForm key={ref.tool_use_id} target={target} accepts={view.accepts} stop={stop} at={at} notSent={notSent} />
      <p className="hint">{raiseHint(stop)} Abort blocks the ticket, with the spend in its reason.</p>
      <PauseRefusal ticketId={props.ticketId} />
      <div className="actions">
        <CommandButton target={target} accepts={view.accepts} command={{ type: 'clutch.abort', pause: at }} label="Abort" variant="danger" testId="abort" keyHint="x" notSent={notSent} />
      </div>
    </section>
  );
}
