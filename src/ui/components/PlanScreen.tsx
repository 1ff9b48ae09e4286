import { useEffect, useState } from 'react';
import type { ProposedTrack } from '../../protocol/index.js';
import { plannerKey, workerKey } from '../../protocol/actor-keys.js';
import type { PlannerViewContext } from '../../machines/view-types.js';
import type { TicketSummary } from '../../protocol/wire.js';
import { PLAN_LEAD, PLAN_PM } from '../agents.js';
import { useClient, useCommand, useOffline, useStore, useView } from '../hooks.js';
import { pauseOf, workerStateLabel } from '../pause.js';
import { afterSave, editPlan, isDirty, noEdit, normalizePlan, planProblems, samePlan, type PlanChange, type PlanEditState } from '../plan-draft.js';
import { TranscriptTicket } from '../use-edits.js';
import type { WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { CommandStatus } from './CommandStatus.js';
import { PauseCards } from './PauseCards.js';
import { PlanEditor } from './PlanEditor.js';
import { TrackGraph } from './TrackGraph.js';
import { Transcript } from './Transcript.js';

const planner = { kind: 'planner' } as const;

export type PlannerStep = 'proposing' | 'reviewing' | 'awaitingApproval' | 'failed';

/** The planner's step, from its state value. */
export function plannerStep(value: unknown): PlannerStep | null {
  return value === 'proposing' || value === 'reviewing' || value === 'awaitingApproval' || value === 'failed' ? value : null;
}

const stepText: Record<PlannerStep, string> = {
  proposing: 'The pm is proposing a track',
  reviewing: 'The tech lead is checking the plan',
  awaitingApproval: 'The plan waits for your approval',
  failed: 'Planning failed',
};

const authorText: Record<NonNullable<PlannerViewContext['author']>, string> = {
  pm: 'proposed by the pm',
  tech_lead: 'revised by the tech lead',
  human: 'edited by you',
};

/** A plan's tickets as the track graph draws them (one card per id: a draft may repeat one). */
function graphTickets(plan: ProposedTrack): TicketSummary[] {
  const seen = new Set<string>();
  return plan.tickets.flatMap((ticket) => {
    if (seen.has(ticket.id) || ticket.id === '') return [];
    seen.add(ticket.id);
    return [{ id: ticket.id, target_file: ticket.target_file, prompt: ticket.prompt, worker_archetype: ticket.worker_archetype, dependencies: [...(ticket.dependencies ?? [])] }];
  });
}

/** The indexes of the draft's tickets that differ from the plan the engine holds (or are new). */
function editedTickets(draft: ProposedTrack | null, proposal: ProposedTrack | null): Set<number> {
  const edited = new Set<number>();
  if (!draft || !proposal) return edited;
  const before = normalizePlan(proposal).tickets;
  normalizePlan(draft).tickets.forEach((ticket, index) => {
    if (JSON.stringify(ticket) !== JSON.stringify(before[index])) edited.add(index);
  });
  return edited;
}

/** One ticket of the plan in its graph. */
function PlanNode({ ticket, edited }: { ticket: TicketSummary; edited: boolean }) {
  return (
    <div className={`ticket-node plan-node${edited ? ' edited' : ''}`} data-testid={`plan-node-${ticket.id}`} data-edited={String(edited)} title={ticket.prompt}>
      <div className="ticket-head">
        <span className="ticket-id">{ticket.id}</span>
        {edited && <span className="status-chip edited-chip">edited</span>}
      </div>
      <div className="ticket-file">{ticket.target_file || '(no target file)'}</div>
      <div className="ticket-meta">{ticket.worker_archetype}</div>
      <div className="ticket-note plan-prompt">{ticket.prompt}</div>
    </div>
  );
}

/** The pm's or the tech lead's side of planning: its pause, then its transcript. */
function PlanAgent({ agent, role }: { agent: string; role: string }) {
  const view = useView<WorkerView>(workerKey(agent));
  const pause = view?.status === 'active' ? pauseOf(view) : null;
  return (
    <div className="plan-agent" data-testid="plan-agent" data-agent={agent} data-paused={pause ? pause.kind : ''}>
      <p className="panel-meta">
        <strong>{role}</strong>{' '}
        {view ? (
          <span className="worker-state" data-testid="plan-agent-state">
            {view.status === 'active' ? workerStateLabel(view) : view.status === 'done' ? 'finished' : view.status}
          </span>
        ) : (
          <span className="muted">has not started</span>
        )}
        {view && <span className="muted"> · turn {view.context.turns}/{view.context.maxTurns}</span>}
      </p>
      <PauseCards agent={agent} view={view} pause={pause} />
      {view && (
        <TranscriptTicket.Provider value={agent}>
          <Transcript messages={view.context.messages} results={view.context.results} draft={view.context.draft} streaming={view.status === 'active' && view.value === 'prompting'} />
        </TranscriptTicket.Provider>
      )}
    </div>
  );
}

/**
 * Plan approval: a run begun from a request, while the planner plans it. The request; the
 * planner's step (the pm proposes, the tech lead checks, ◆ it waits for the human, or it failed);
 * the pm's and the tech lead's pauses and transcripts; and at approval the proposed tickets, their
 * graph, the tech lead's note, who wrote the plan, and an editor. "Save changes" sends the whole
 * edited plan (`plan.edit`), which the engine checks like a track file: a refusal lists every
 * problem, and the draft stays as the human left it. Every button is a command the planner accepts.
 */
export function PlanScreen({ agent, onAgent, initialEdit }: { agent?: string | null; onAgent?: (agent: string) => void; initialEdit?: PlanEditState }) {
  const client = useClient();
  const session = useStore(client.session);
  const view = useView<PlannerViewContext>(plannerKey);
  const pm = useView<WorkerView>(workerKey(PLAN_PM));
  const lead = useView<WorkerView>(workerKey(PLAN_LEAD));
  const offline = useOffline();
  const [edit, setEdit] = useState<PlanEditState>(initialEdit ?? noEdit);
  const [comment, setComment] = useState('');
  const [ownAgent, setOwnAgent] = useState<string | null>(null);
  const save = useCommand(planner);
  const approve = useCommand(planner);
  const step = plannerStep(view?.value);
  const context = view?.context;
  const proposal = context?.proposal ?? null;
  const accepts = view?.accepts ?? [];
  const dirty = isDirty(edit, proposal);

  // The engine holds what the draft says (saved, or the same plan came back): no draft is left.
  useEffect(() => {
    if (edit.draft && samePlan(edit.draft, proposal) && edit.refusal === null) setEdit(noEdit);
  }, [edit, proposal]);

  if (!view || !context) return null;

  const paused = [PLAN_PM, PLAN_LEAD].find((id) => pauseOf(id === PLAN_PM ? pm : lead) !== null);
  const active = step === 'reviewing' ? PLAN_LEAD : PLAN_PM;
  const shownAgent = agent ?? ownAgent ?? paused ?? (step === 'awaitingApproval' && lead ? PLAN_LEAD : active);
  const chooseAgent = (id: string) => (onAgent ? onAgent(id) : setOwnAgent(id));
  const shown = dirty && edit.draft ? edit.draft : proposal;
  const editable = step === 'awaitingApproval' && accepts.includes('plan.edit');
  const archetypes = Object.entries(session?.archetypes ?? {})
    .filter(([, archetype]) => archetype.tier === 3)
    .map(([name]) => name);
  const edited = editedTickets(dirty ? edit.draft : null, proposal);
  const refusal = edit.refusal ? planProblems(edit.refusal) : null;
  const stale = dirty && edit.base !== null && !samePlan(edit.base, proposal);

  const change = (next: PlanChange) => proposal && setEdit((state) => editPlan(state, proposal, next));
  async function saveDraft(): Promise<boolean> {
    if (!edit.draft || !dirty) return true;
    const sent = edit.draft;
    const reply = await save.send({ type: 'plan.edit', track: sent as unknown as Record<string, unknown> });
    setEdit((state) => (state.draft === sent ? afterSave(state, reply) : state));
    return reply.ok;
  }
  async function saveAndApprove(): Promise<void> {
    if (await saveDraft()) await approve.send({ type: 'plan.approve' });
  }

  return (
    <section className="card plan-screen" data-testid="plan-screen" data-step={step ?? String(view.value)} aria-label="plan approval">
      <header className="plan-head">
        <h2>Plan</h2>
        <ol className="plan-steps" aria-label="planning steps">
          {(['proposing', 'reviewing', 'awaitingApproval'] as const).map((name) => (
            <li key={name} className={`plan-step-item${step === name ? ' current' : ''}`} data-step={name}>
              {name === 'proposing' ? '1 · the pm proposes' : name === 'reviewing' ? '2 · the tech lead checks' : '3 · ◆ you approve'}
            </li>
          ))}
        </ol>
      </header>
      <blockquote className="plan-request" data-testid="plan-request">
        {context.request}
      </blockquote>
      <p className={`plan-step step-${step}`} data-testid="plan-step" data-step={step ?? ''} role="status">
        <strong>{step ? stepText[step] : String(view.value)}</strong>
        {step === 'proposing' && context.rounds > 0 && <span className="muted"> · sent back {context.rounds} of {context.maxRounds} times</span>}
        {step === 'failed' && context.reason && <span data-testid="plan-failed-reason">: {context.reason}</span>}
      </p>
      {context.comment && step === 'proposing' && (
        <p className="hint" data-testid="plan-comment">
          You sent the plan back: {context.comment}
        </p>
      )}
      {step === 'failed' && (
        <div className="actions">
          <CommandButton target={planner} accepts={accepts} command={{ type: 'plan.retry' }} label="Ask again" variant="primary" testId="plan-retry" title="The pm proposes a plan again" />
        </div>
      )}

      {shown && (
        <div className="plan-proposal" data-testid="plan-proposal" data-author={context.author ?? ''} data-dirty={String(dirty)}>
          <h3>
            {shown.title} <span className="muted">· {shown.tickets.length} ticket{shown.tickets.length === 1 ? '' : 's'}</span>
          </h3>
          <p className="muted plan-author" data-testid="plan-author" data-author={context.author ?? ''}>
            {context.author ? authorText[context.author] : ''}
            {dirty ? ' · your unsaved changes are shown' : ''}
          </p>
          {context.note && (
            <p className="plan-note" data-testid="plan-note">
              <strong>Tech lead:</strong> {context.note}
            </p>
          )}
          <div className="board-scroll plan-graph">
            <TrackGraph
              tickets={graphTickets(shown)}
              testId="plan-graph"
              label="proposed ticket dependency graph"
              edgeTestId={(from, to) => `plan-edge-${from}-${to}`}
              renderNode={(ticket) => <PlanNode ticket={ticket} edited={edited.has(shown.tickets.findIndex((candidate) => candidate.id === ticket.id))} />}
            />
          </div>
          {stale && (
            <p className="hint" data-testid="plan-stale">
              The plan changed since you began editing it; your draft is kept. Discard it to see the plan as it is now.
            </p>
          )}
          {refusal && (
            <div className="refusal plan-refusal" role="alert" data-testid="plan-edit-refusal">
              <p>
                <strong>Not saved:</strong> {refusal.headline}
              </p>
              {refusal.problems.length > 0 && (
                <ul>
                  {refusal.problems.map((problem, index) => (
                    <li key={index} data-testid="plan-problem">
                      {problem}
                    </li>
                  ))}
                </ul>
              )}
              <p className="muted">Your edit is kept below: fix it and save again, or discard it.</p>
            </div>
          )}
          <PlanEditor plan={shown} archetypes={archetypes} editable={editable} onChange={change} edited={edited} />
          {step === 'awaitingApproval' && (
            <div className="plan-actions">
              <div className="actions">
                {accepts.includes('plan.approve') && (
                  <span className="command">
                    <button
                      type="button"
                      className="button primary"
                      data-testid="plan-approve"
                      data-answer={dirty ? 'edit' : 'approve'}
                      disabled={offline !== null || save.status.state === 'pending' || approve.status.state === 'pending' || (dirty && !accepts.includes('plan.edit'))}
                      title={offline ?? (dirty ? 'Saves your changes (checked like a track file), then approves the plan as edited' : 'Approves the plan: its tickets start')}
                      onClick={() => void saveAndApprove()}
                    >
                      {dirty ? 'Save changes and approve' : 'Approve plan'}
                    </button>
                    <CommandStatus status={approve.status} />
                  </span>
                )}
                {accepts.includes('plan.edit') && (
                  <span className="command">
                    <button
                      type="button"
                      className="button"
                      data-testid="plan-save"
                      disabled={!dirty || offline !== null || save.status.state === 'pending'}
                      title={offline ?? (dirty ? 'Sends the edited plan; the engine checks it like a track file' : 'Nothing to save: edit the plan first')}
                      onClick={() => void saveDraft()}
                    >
                      {save.status.state === 'pending' ? 'Saving…' : 'Save changes'}
                    </button>
                  </span>
                )}
                {edit.draft !== null && (
                  <button type="button" className="button" data-testid="plan-discard" onClick={() => setEdit(noEdit)}>
                    Discard changes
                  </button>
                )}
              </div>
              {accepts.includes('plan.send_back') && (
                <div className="plan-send-back">
                  <label className="field-label" htmlFor="plan-send-back-comment">
                    Or send the plan back to the pm, saying what to change ({context.maxRounds - context.rounds} of {context.maxRounds} left)
                  </label>
                  <textarea id="plan-send-back-comment" data-testid="plan-send-back-comment" rows={2} value={comment} onChange={(event) => setComment(event.target.value)} />
                  <CommandButton
                    target={planner}
                    accepts={accepts}
                    command={{ type: 'plan.send_back', comment: comment.trim() }}
                    label="Send back"
                    testId="plan-send-back"
                    disabled={comment.trim() === '' || dirty}
                    title={dirty ? 'Save or discard your changes first' : comment.trim() === '' ? 'Write what the pm should change' : 'The pm proposes again, with your comment'}
                    onReply={(reply) => reply.ok && setComment('')}
                  />
                </div>
              )}
            </div>
          )}
        </div>
      )}

      <div className="plan-agents">
        <div className="panel-tabs" role="tablist" aria-label="planning agents">
          {[
            { id: PLAN_PM, label: 'pm', view: pm },
            ...(context.agents.lead ? [{ id: PLAN_LEAD, label: 'tech lead', view: lead }] : []),
          ].map((entry) => (
            <button
              key={entry.id}
              type="button"
              role="tab"
              aria-selected={shownAgent === entry.id}
              data-testid={`plan-agent-tab-${entry.id === PLAN_PM ? 'pm' : 'lead'}`}
              data-paused={pauseOf(entry.view) ? 'true' : 'false'}
              onClick={() => chooseAgent(entry.id)}
            >
              {entry.label}
              {pauseOf(entry.view) ? ' ◆' : ''}
            </button>
          ))}
        </div>
        <PlanAgent key={shownAgent} agent={shownAgent} role={shownAgent === PLAN_PM ? 'pm (tier 1)' : 'tech lead (tier 2)'} />
      </div>
      {(save.status.state === 'error' && !edit.refusal) && <CommandStatus status={save.status} />}
    </section>
  );
}
