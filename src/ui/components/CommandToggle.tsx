import { commandKey, type Command, type CommandTarget } from '../../protocol/wire.js';
import { useCommand } from '../hooks.js';
import { CommandStatus } from './CommandStatus.js';

export interface ToggleOption {
  value: string;
  label: string;
  command: Command;
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
}) {
  const { status, send } = useCommand(props.target);
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
              disabled={selected || !accepted || status.state === 'pending'}
              onClick={() => void send(option.command)}
            >
              {option.label}
            </button>
          );
        })}
      </div>
      <CommandStatus status={status} />
    </div>
  );
}
