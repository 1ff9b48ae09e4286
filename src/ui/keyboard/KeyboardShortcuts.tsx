import { EditorView } from '@codemirror/view';
import { useEffect, useRef, useState } from 'react';
import { conductorKey, plannerKey } from '../../protocol/actor-keys.js';
import { agentsOf, ticketOfAgent } from '../agents.js';
import type { TicketSummary } from '../../protocol/wire.js';
import { useClient, usePendingPauses, useStore, useView } from '../hooks.js';
import type { ConductorView } from '../views.js';
import { answersForRun } from './answer-state.js';
import { pauseKey } from './arming.js';
import { isTyping, keyAction, keyMap, nextPending, step, type KeyAction } from './keys.js';
import { pauseRef } from '../pause.js';

/** The pause card of the worker panel: the pause in focus, the one the keys answer. */
const panelCard = () => document.querySelector<HTMLElement>('[data-testid="worker-panel"] [data-pause-card], [data-testid="plan-screen"] [data-pause-card]');
const modalOpen = () => document.querySelector('[aria-modal="true"]:not([data-testid="keyboard-help"])') !== null;

/** Presses the card's button bound to a key, or says why it cannot. */
function press(key: 'a' | 'x', action: string): string | null {
  const card = panelCard();
  if (!card) return `Nothing to ${action}: no pause is in focus`;
  const button = card.querySelector<HTMLButtonElement>(`button[data-key="${key}"]`);
  if (!button) return `This pause has nothing to ${action}`;
  if (button.disabled) return `Cannot ${action}: ${button.title || 'not now'}`;
  button.click();
  return null;
}

function focusEditor(): string | null {
  const card = panelCard();
  const editor = card?.querySelector<HTMLElement>('[data-edit-target] .cm-editor');
  const view = editor ? EditorView.findFromDOM(editor) : null;
  // A budget pause has no editor, but a field: the new limit.
  const field = view ? null : card?.querySelector<HTMLInputElement>('[data-edit-target] input');
  if (field) {
    field.focus();
    field.select();
    return null;
  }
  if (!view) return 'Nothing to edit: no pause with an editor is in focus';
  view.focus();
  return null;
}

/**
 * Keyboard first: the single-key answers (keys.ts), the list of keys (?), and focus that follows
 * the work. The ticket in focus stays while it runs between its pauses; once it needs nothing more
 * (done, aborted), focus moves to the next pending pause, and each new pause card gets the focus.
 */
export function KeyboardShortcuts(props: { tickets: readonly TicketSummary[]; selected: string | null; onSelect: (id: string | null) => void }) {
  const client = useClient();
  const session = useStore(client.session);
  const conductor = useView<ConductorView>(conductorKey);
  const order = props.tickets.map((ticket) => ticket.id);
  const planning = useView(plannerKey) !== null;
  // A ticket's pauses are its worker's and its reviewer's: the keys move between tickets.
  const pending = usePendingPauses(agentsOf(props.tickets, planning));
  const pendingIds = [...new Set(pending.flatMap((waiting) => ticketOfAgent(waiting.ticket) ?? []))];
  const [help, setHelp] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const { selected, onSelect } = props;
  // The conductor lists its tickets in track order.
  const status = selected === null ? undefined : conductor?.context.tickets[order.indexOf(selected)]?.status;
  const live = selected !== null && (pendingIds.includes(selected) || status === 'running' || status === 'step_paused');
  const shown = pending.find((waiting) => (ticketOfAgent(waiting.ticket) ?? waiting.ticket) === selected) ?? (planning ? pending[0] : undefined);
  const shownKey = shown ? pauseKey(shown.ticket, pauseRef(shown.pause)) : null;

  const run = session?.run_id ?? null;
  useEffect(() => answersForRun(run), [run]);

  // Follow the work: pin the ticket in focus while it is live; when it ends, go to the next pause.
  const follow = useRef<{ selected: string | null; live: boolean; waiting: boolean }>({ selected: null, live: false, waiting: false });
  useEffect(() => {
    const before = follow.current;
    const ended = before.selected === selected && before.live && !live;
    const waiting = selected === before.selected ? before.waiting || ended : false;
    follow.current = { selected, live, waiting };
    if (live && selected !== null) onSelect(selected);
    else if (waiting && selected !== null) {
      const next = nextPending(pendingIds, order, selected);
      if (next) {
        follow.current = { selected: next, live: true, waiting: false };
        onSelect(next);
      }
    }
  });

  // A new pause in focus gets the keyboard focus, unless the human is typing or answering a dialog.
  useEffect(() => {
    if (shownKey === null || isTyping(document.activeElement) || modalOpen()) return;
    const card = panelCard();
    if (card && !card.contains(document.activeElement)) {
      card.focus({ preventScroll: true });
      card.scrollIntoView?.({ block: 'nearest' });
    }
  }, [shownKey]);

  const latest = useRef({ pendingIds, selected, help });
  latest.current = { pendingIds, selected, help };
  useEffect(() => {
    function run(action: KeyAction): string | null {
      const now = latest.current;
      switch (action) {
        case 'approve':
          return press('a', 'approve');
        case 'abort':
          return press('x', 'abort');
        case 'edit':
          return focusEditor();
        case 'next':
        case 'previous': {
          const to = step(now.pendingIds, now.selected, action === 'next' ? 1 : -1);
          if (!to) return 'No pause waits for you';
          onSelect(to);
          return null;
        }
        case 'help':
          setHelp((open) => !open);
          return null;
        case 'leave':
          setHelp(false);
          return null;
      }
    }
    function onKeyDown(event: KeyboardEvent): void {
      if (event.defaultPrevented) return;
      if (event.key === 'Escape' && isTyping(event.target)) {
        // A plain field (the editors handle Escape themselves): leave it for the card around it.
        (event.target as HTMLElement).blur();
        (event.target as HTMLElement).closest<HTMLElement>('[data-pause-card]')?.focus();
        return;
      }
      const action = keyAction(event);
      if (!action || modalOpen()) return;
      if (latest.current.help && action !== 'help' && action !== 'leave') return;
      event.preventDefault();
      setNote(run(action));
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onSelect]);

  return (
    <>
      <button type="button" className="keys-button" data-testid="keyboard-help-open" title="Keyboard shortcuts (?)" onClick={() => setHelp(true)}>
        <kbd>?</kbd> keys
      </button>
      {note && (
        <p className="key-note" role="status" data-testid="key-note">
          {note}
        </p>
      )}
      {help && (
        <div className="dialog-backdrop" onClick={() => setHelp(false)}>
          <div className="dialog card keyboard-help" role="dialog" aria-modal="true" aria-labelledby="keyboard-help-title" data-testid="keyboard-help" onClick={(event) => event.stopPropagation()}>
            <h2 id="keyboard-help-title">Keyboard</h2>
            <p className="muted">The keys answer the pause in focus (the worker panel). They do nothing while you type in an editor.</p>
            <table>
              <tbody>
                {keyMap.map((entry) => (
                  <tr key={entry.key}>
                    <td>
                      <kbd>{entry.key === 'Escape' ? 'Esc' : entry.key}</kbd>
                    </td>
                    <td>{entry.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted">
              A pause that has just appeared takes answers only after a moment: a second click or key press meant for the pause
              before it is refused, never applied to the new one. After an answer, focus goes to the next pause that waits.
            </p>
            <div className="actions">
              <button type="button" className="button" data-testid="keyboard-help-close" onClick={() => setHelp(false)}>
                Close
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
