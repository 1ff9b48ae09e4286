import { useState } from 'react';
import type { TicketSummary } from '../../protocol/wire.js';
import { usageText } from '../format.js';
import { useView } from '../hooks.js';
import { effectiveTrust } from '../../protocol/index.js';
import { conflictFilesOf } from '../patch.js';
import { callCount, describeWaiting, pauseOf, releasedBy, workerStateLabel } from '../pause.js';
import { budgetReached, budgetText, ticketSpend } from '../budget.js';
import { conductorKey, ticketKey, workerKey } from '../../protocol/actor-keys.js';
import { workerTrust, statusLabel, type ConductorView, type TicketView, type WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { CommandToggle, type Confirmation, type ToggleOption } from './CommandToggle.js';
import { MessageEditor } from './MessageEditor.js';
import { PauseCards } from './PauseCards.js';
import { ReviewSection, useHasReview } from './ReviewSection.js';
import { TicketDiff } from './TicketDiff.js';
import { Transcript } from './Transcript.js';
import { TranscriptTicket } from '../use-edits.js';
import { reviewerOf } from '../agents.js';
import { reviewStageOf } from '../review.js';

/** What the panel shows below the pauses: the worker's transcript, the ticket's diff, or its reviewer's transcript. */
export type PanelTab = 'transcript' | 'diff' | 'review';

/** Everything about one ticket's worker: its clutch, the pause it waits at, its transcript, and its diff. */
export function WorkerPanel({ ticket, index, tab = 'transcript', onTab }: { ticket: TicketSummary; index: number; tab?: PanelTab; onTab?: (tab: PanelTab) => void }) {
  const worker = useView<WorkerView>(workerKey(ticket.id));
  const ticketView = useView<TicketView>(ticketKey(ticket.id));
  const reviewer = useView<WorkerView>(workerKey(reviewerOf(ticket.id)));
  const hasReview = useHasReview(ticket.id);
  const inReview = reviewStageOf(ticketView?.value) !== null;
  const conductor = useView<ConductorView>(conductorKey);
  const [editingMessage, setEditingMessage] = useState(false);
  const [ownTab, setOwnTab] = useState<PanelTab>(tab);
  // The page keeps the choice across tickets when it passes one; else the panel keeps its own.
  const chosenTab = onTab ? tab : ownTab;
  // The reviewer's transcript only where there is a review.
  const shownTab = chosenTab === 'review' && !reviewer ? 'transcript' : chosenTab;
  const setTab = onTab ?? setOwnTab;
  const info = conductor?.context.tickets[index];
  const ticketUsage = conductor?.context.usage?.tickets[ticket.id];
  // The ticket's spend against its budget counts its reviews and QA hints too (`T2@review`, `T2@qa`).
  const limits = conductor?.context.budgets?.tickets[ticket.id];
  const spend = ticketSpend(conductor?.context.usage, ticket.id);
  const budget = budgetText(spend, limits);
  const reached = limits ? budgetReached(spend, limits) : null;
  const status = info?.status ?? 'pending';
  const pause = pauseOf(worker);
  const target = { kind: 'worker', id: ticket.id } as const;
  const context = worker?.context;
  const canEditMessage = worker?.accepts.includes('clutch.edit_message') ?? false;
  // Paused, but not for an approval or a review: it says so, so nobody approves what may have run.
  const chip = info?.skipped ? 'skipped' : pause?.kind === 'interrupted' ? 'interrupted' : pause?.kind === 'budget' ? 'budget pause' : inReview ? `in review · ${statusLabel[status]}` : statusLabel[status];
  const blockedReason = info?.blocked_reason ?? ticketView?.context.blocked_reason ?? null;
  const conflict = conflictFilesOf(blockedReason);

  /** This worker to auto: the pause it waits at now is approved (unless the override keeps it in step). */
  function confirmTrust(option: ToggleOption): Confirmation | null {
    if (option.command.type !== 'clutch.set_trust' || !worker || !pause) return null;
    const trust = option.command.trust;
    const released = releasedBy([{ ticket: ticket.id, view: worker, pause }], (now) => effectiveTrust(trust, now.trustOverride));
    return {
      title: `Switch ${ticket.id} to ${trust}?`,
      body:
        released.length === 0
          ? `No pending call is approved by this switch.${pause.kind === 'budget' ? ' The budget pause still waits for you.' : ''}`
          : `This approves ${callCount(released.length)} now: ${describeWaiting(released)}.`,
      confirmLabel: `Switch and approve ${released.length}`,
      count: released.length,
    };
  }

  return (
    <section className="card worker-panel" data-testid="worker-panel" data-ticket={ticket.id} aria-label={`worker of ${ticket.id}`}>
      <header className="panel-head">
        <div>
          <h2>
            {ticket.id} <span className="muted">·</span> <code>{ticket.target_file}</code>
          </h2>
          <p className="panel-meta">
            <span className={`status-chip status-${status}${pause?.kind === 'interrupted' ? ' interrupted' : ''}`} data-testid="panel-status" data-label={chip}>
              {chip}
            </span>
            {worker?.status === 'active' && <span className="worker-state" data-testid="worker-state">{workerStateLabel(worker)}</span>}
            {context && <span className="muted">attempt {context.attempt} · turn {context.turns}/{context.maxTurns}</span>}
            {(ticketUsage || budget) && (
              <span className="muted" data-testid="ticket-usage">
                {ticketUsage && `tier ${ticketUsage.tier} · ${usageText(ticketUsage)}`}
                {budget && (
                  <span
                    className={`budget-of${reached ? ' reached' : ''}`}
                    data-testid="ticket-budget"
                    data-reached={reached ?? ''}
                    title="what the ticket spent (its worker over every attempt, its reviews and QA hints) against its budget"
                  >
                    {ticketUsage ? ' · ' : ''}budget {budget}
                  </span>
                )}
              </span>
            )}
          </p>
        </div>
        {worker && context && worker.status === 'active' && (
          <CommandToggle
            target={target}
            label={context.trustOverride === 'none' ? 'Clutch' : `Clutch (override: ${context.trustOverride})`}
            testId="trust"
            current={context.trust}
            accepts={worker.accepts}
            confirm={confirmTrust}
            options={[
              { value: 'step', label: 'step', command: { type: 'clutch.set_trust', trust: 'step' } },
              { value: 'auto', label: 'auto', command: { type: 'clutch.set_trust', trust: 'auto' } },
            ]}
          />
        )}
      </header>
      <p className="ticket-prompt">{ticket.prompt}</p>
      {context && worker?.status === 'active' && context.trustOverride !== 'none' && (
        <p className="hint">The global trust override makes this worker run in {workerTrust(context)} mode.</p>
      )}

      {status === 'blocked' && (
        <div className="blocked-banner" data-testid="panel-blocked" data-conflict={conflict !== null}>
          <p data-testid="panel-blocked-reason">
            <strong>Blocked:</strong> {blockedReason ?? 'no reason given'}
          </p>
          {conflict && (
            <p className="conflict-files" data-testid="panel-conflict-files">
              Conflicting file{conflict.length === 1 ? '' : 's'}:{' '}
              {conflict.map((file, index) => (
                <span key={file}>
                  {index > 0 && ', '}
                  <code data-testid="panel-conflict-file">{file}</code>
                </span>
              ))}{' '}
              <button type="button" className="button link" data-testid="panel-conflict-show-diff" onClick={() => setTab('diff')}>
                Show this ticket's diff
              </button>
            </p>
          )}
        </div>
      )}
      {status === 'completed' && (info?.summary ?? ticketView?.context.summary) && (
        <p className="summary-banner" data-testid="panel-summary">
          <strong>{info?.skipped ? 'Skipped.' : 'Done:'}</strong> {info?.summary ?? ticketView?.context.summary}
        </p>
      )}

      {context?.waiting && worker?.status === 'active' && (
        <p className="waiting-banner" data-testid="worker-waiting">
          <strong>Model call held back:</strong> {context.waiting.reason}
          {context.waiting.until !== null && ` (until ${new Date(context.waiting.until).toLocaleTimeString()})`}
          {context.retries > 0 && ` · ${context.retries} retr${context.retries === 1 ? 'y' : 'ies'} so far`}{' '}
          <CommandButton target={{ kind: 'worker', id: ticket.id }} accepts={worker.accepts} command={{ type: 'clutch.retry_now' }} label="Retry now" testId="retry-now" />
        </p>
      )}

      <PauseCards agent={ticket.id} view={worker} pause={pause} />
      {hasReview && <ReviewSection ticket={ticket.id} onTranscript={() => setTab('review')} />}

      <div className="transcript-head">
        <div className="panel-tabs" role="tablist" aria-label={`${ticket.id} views`}>
          <button type="button" role="tab" aria-selected={shownTab === 'transcript'} data-testid="panel-tab-transcript" onClick={() => setTab('transcript')}>
            Transcript
          </button>
          <button type="button" role="tab" aria-selected={shownTab === 'diff'} data-testid="panel-tab-diff" onClick={() => setTab('diff')}>
            Diff
          </button>
          {reviewer && (
            <button type="button" role="tab" aria-selected={shownTab === 'review'} data-testid="panel-tab-review" onClick={() => setTab('review')}>
              Reviewer
            </button>
          )}
        </div>
        {canEditMessage && !editingMessage && (
          <button type="button" className="button" data-testid="edit-message-open" onClick={() => setEditingMessage(true)}>
            Edit last message
          </button>
        )}
      </div>
      {/* Above both tabs: switching to the diff never drops a message being edited. */}
      {worker && context && editingMessage && canEditMessage && (
        <MessageEditor key={JSON.stringify(context.messages.at(-1))} ticketId={ticket.id} view={worker} onClose={() => setEditingMessage(false)} />
      )}
      {shownTab === 'review' && reviewer ? (
        <TranscriptTicket.Provider value={reviewerOf(ticket.id)}>
          <Transcript
            messages={reviewer.context.messages}
            results={reviewer.context.results}
            draft={reviewer.context.draft}
            streaming={reviewer.status === 'active' && reviewer.value === 'prompting'}
          />
        </TranscriptTicket.Provider>
      ) : shownTab === 'diff' ? (
        <TicketDiff ticket={ticket.id} status={status} attempts={info?.attempts ?? 0} progress={context?.messages.length ?? 0} />
      ) : worker && context ? (
        <Transcript
          messages={context.messages}
          results={context.results}
          draft={context.draft}
          streaming={worker.status === 'active' && worker.value === 'prompting'}
        />
      ) : (
        <p className="muted empty">No worker has started on this ticket yet{ticket.dependencies.length > 0 ? ` (waits for ${ticket.dependencies.join(', ')})` : ''}.</p>
      )}
    </section>
  );
}
