import { useStore } from '../hooks.js';
import { dismissRefusal, pauseRefusals } from '../keyboard/answer-state.js';
import { CommandStatus } from './CommandStatus.js';

/** Why the worker refused the human's last edit (the edit changed nothing). */
export function Refusal({ refusal }: { refusal: string | null }) {
  if (!refusal) return null;
  return (
    <p className="refusal" data-testid="refusal" role="alert">
      <strong>Refused:</strong> {refusal}
    </p>
  );
}

/**
 * The last refused answer to this worker's pauses (a stale or double click, another tab was
 * first), kept until the next accepted answer or until dismissed: the card that sent it may be gone.
 */
export function PauseRefusal({ ticketId, testId = 'pause-refusal' }: { ticketId: string; testId?: string }) {
  const error = useStore(pauseRefusals).get(ticketId);
  if (!error) return null;
  return (
    <div className="pause-refusal" data-testid={testId} data-ticket={ticketId}>
      <CommandStatus status={{ state: 'error', error }} />
      <button type="button" className="button link" data-testid={`${testId}-dismiss`} onClick={() => dismissRefusal(ticketId)}>
        Dismiss
      </button>
    </div>
  );
}
