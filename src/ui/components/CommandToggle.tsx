import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { commandKey, type Command, type CommandTarget } from '../../protocol/wire.js';
import { useCommand, useOffline } from '../hooks.js';
import { CommandStatus } from './CommandStatus.js';

export interface ToggleOption {
  value: string;
  label: string;
  command: Command;
}

/** A switch that does more than switch (auto approves the pauses waiting now) asks first, with what it does. */
export interface Confirmation {
  title: string;
  /** What the switch does now, named: read again on every render, so it is current when confirmed. */
  body: string;
  confirmLabel: string;
  /** How many pending calls it approves (for tests and the badge). */
  count: number;
}

/**
 * A segmented switch over an enumeration (mode, trust). The current value comes from the actor's
 * state; the other values can be clicked only when the actor accepts switching to them.
 */
export function CommandToggle(props: {
  target: CommandTarget;
  label: string;
  options: readonly ToggleOption[];
  current: string;
  accepts: readonly string[];
  testId: string;
  /** What switching to an option does beyond switching; it is asked first when that approves any pending call. */
  confirm?: (option: ToggleOption) => Confirmation | null;
}) {
  const { status, send } = useCommand(props.target);
  const offline = useOffline();
  const [asking, setAsking] = useState<string | null>(null);
  const askedOption = props.options.find((option) => option.value === asking);
  const question = askedOption ? props.confirm?.(askedOption) ?? null : null;
  return (
    <div className="toggle" role="group" aria-label={props.label} data-testid={props.testId} data-current={props.current}>
      <span className="toggle-label">{props.label}</span>
      <div className="toggle-options">
        {props.options.map((option) => {
          const selected = option.value === props.current;
          const accepted = props.accepts.includes(commandKey(option.command));
          return (
            <button
              key={option.value}
              type="button"
              className={selected ? 'selected' : ''}
              aria-pressed={selected}
              data-testid={`${props.testId}-${option.value}`}
              disabled={selected || !accepted || status.state === 'pending' || offline !== null}
              title={offline ?? undefined}
              onClick={() => {
                // Asked only when there is something to approve; the dialog then stays current until answered.
                if ((props.confirm?.(option)?.count ?? 0) > 0) setAsking(option.value);
                else void send(option.command);
              }}
            >
              {option.label}
            </button>
          );
        })}
      </div>
      <CommandStatus status={status} />
      {askedOption && question && (
        <ConfirmDialog
          testId={`${props.testId}-confirm`}
          question={question}
          onCancel={() => setAsking(null)}
          onConfirm={() => {
            setAsking(null);
            void send(askedOption.command);
          }}
        />
      )}
    </div>
  );
}

/** A question in the page (not window.confirm): Escape or Cancel says no, the confirm button yes. */
function ConfirmDialog(props: { testId: string; question: Confirmation; onConfirm: () => void; onCancel: () => void }) {
  const yes = useRef<HTMLButtonElement>(null);
  const { onCancel } = props;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    yes.current?.focus();
    return () => before?.focus?.();
  }, []);
  // On the body: the switch may sit in the sticky global bar, whose colours and stacking a dialog must not take.
  return createPortal(
    <div className="dialog-backdrop" onClick={onCancel}>
      <div
        className="dialog card confirm-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${props.testId}-title`}
        data-testid={props.testId}
        data-count={props.question.count}
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.stopPropagation();
            onCancel();
          }
        }}
      >
        <h2 id={`${props.testId}-title`}>{props.question.title}</h2>
        <p data-testid={`${props.testId}-body`}>{props.question.body}</p>
        <div className="actions">
          <button type="button" ref={yes} className="button primary" data-testid={`${props.testId}-yes`} onClick={props.onConfirm}>
            {props.question.confirmLabel}
          </button>
          <button type="button" className="button" data-testid={`${props.testId}-no`} onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
