import { commandKey, type Command, type CommandTarget, type Reply } from '../../protocol/wire.js';
import { useCommand } from '../hooks.js';
import { CommandStatus } from './CommandStatus.js';

export interface CommandButtonProps {
  target: CommandTarget;
  command: Command;
  /** The actor's accepted command keys: the button exists only when its command is among them. */
  accepts: readonly string[];
  label: string;
  testId: string;
  variant?: 'primary' | 'danger' | 'plain';
  disabled?: boolean;
  title?: string;
  onReply?: (reply: Reply<null>) => void;
}

export function CommandButton({ target, command, accepts, label, testId, variant = 'plain', disabled, title, onReply }: CommandButtonProps) {
  const { status, send } = useCommand(target);
  if (!accepts.includes(commandKey(command))) return null;
  return (
    <span className="command">
      <button
        type="button"
        className={`button ${variant}`}
        data-testid={testId}
        disabled={disabled || status.state === 'pending'}
        title={title}
        onClick={(event) => {
          event.stopPropagation();
          void send(command).then((reply) => onReply?.(reply));
        }}
      >
        {label}
      </button>
      <CommandStatus status={status} />
    </span>
  );
}
