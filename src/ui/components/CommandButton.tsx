import { commandKey, pauseOfCommand, type Command, type CommandTarget, type Reply } from '../../protocol/wire.js';
import { useCommand, useOffline } from '../hooks.js';
import { noteAnswer } from '../keyboard/answer-state.js';
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
  /** Shown on hover; with `disabled`, the reason it is disabled. */
  title?: string;
  /** The single key that presses it (see keyboard/keys.ts): the key handler finds the button by it, the style shows it. */
  keyHint?: string;
  /** When set, a click sends nothing and says this instead (an answer to a pause that appeared just now). */
  notSent?: string | null;
  onReply?: (reply: Reply<null>) => void;
}

/**
 * One command as a button. A pause command's outcome is noted for its worker rather than beside
 * the button: a refused stale click must stay visible after the card it came from has gone.
 */
export function CommandButton({ target, command, accepts, label, testId, variant = 'plain', disabled, title, keyHint, notSent, onReply }: CommandButtonProps) {
  const { status, send } = useCommand(target);
  const offline = useOffline();
  if (!accepts.includes(commandKey(command))) return null;
  const worker = target.kind === 'worker' && pauseOfCommand(command) !== undefined ? target.id : null;
  const shown = worker !== null && status.state === 'error' ? { state: 'idle' as const } : status;
  return (
    <span className="command">
      <button
        type="button"
        className={`button ${variant}`}
        data-testid={testId}
        data-key={keyHint}
        aria-keyshortcuts={keyHint}
        disabled={disabled || offline !== null || status.state === 'pending'}
        title={offline ?? title}
        onClick={(event) => {
          event.stopPropagation();
          if (worker !== null && notSent) {
            noteAnswer(worker, { ok: false, error: notSent });
            return;
          }
          void send(command).then((reply) => {
            if (worker !== null) noteAnswer(worker, reply);
            onReply?.(reply);
          });
        }}
      >
        {label}
      </button>
      <CommandStatus status={shown} />
    </span>
  );
}
