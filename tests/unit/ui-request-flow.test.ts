import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { checkPlan } from '../../src/config/check-plan.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { PlannerViewContext } from '../../src/machines/view-types.js';
import type { ProposedTrack } from '../../src/protocol/index.js';
import type { ActorView } from '../../src/protocol/wire.js';
import { agentLabel, agentsOf, ticketOfAgent } from '../../src/ui/agents.js';
import { App } from '../../src/ui/components/App.js';
import { GlobalBar } from '../../src/ui/components/GlobalBar.js';
import { initialRequestDraft, NewRequestDialog, RequestForm } from '../../src/ui/components/NewRequestDialog.js';
import { PlanScreen } from '../../src/ui/components/PlanScreen.js';
import { RunSummary } from '../../src/ui/components/RunSummary.js';
import { TranscriptBlock } from '../../src/ui/components/TranscriptBlock.js';
import { usageTitle } from '../../src/ui/components/UsageTable.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { afterSave, applyPlanChange, editPlan, isDirty, noEdit, planProblems, samePlan } from '../../src/ui/plan-draft.js';
import { qaResultOf } from '../../src/ui/qa.js';
import { reviewRounds } from '../../src/ui/review.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { ConductorView } from '../../src/ui/views.js';

/**
 * The planning, review and QA screens drawn from fixtures taken from a real run of the demo's
 * request (the scripted model, step trust): plan approval (the pm's plan with the tech lead's
 * note), T2's review paused at its request for changes, and T2's second review after its QA hint.
 */
const load = (name: string): Fixture => JSON.parse(readFileSync(resolve(import.meta.dirname, `../fixtures/ui/${name}.json`), 'utf8')) as Fixture;
const render = (data: Fixture, element: ReturnType<typeof createElement>) => renderToStaticMarkup(createElement(ClientContext.Provider, { value: createStaticClient(data) }, element));
const count = (html: string, needle: string) => html.split(needle).length - 1;

function withView<Context>(data: Fixture, key: string, change: (view: ActorView<Context>) => ActorView<Context>): Fixture {
  return { ...data, actors: data.actors.map((view) => (view.key === key ? (change(view as ActorView<Context>) as ActorView) : view)) };
}

const planOf = (data: Fixture) => (data.actors.find((view) => view.key === 'planner') as ActorView<PlannerViewContext>).context.proposal!;

/** The engine's refusal of a plan edit, word for word (command-checks.ts), with the problems checkPlan finds. */
function refusalOf(plan: ProposedTrack): string {
  const config = loadConfig(resolve(import.meta.dirname, '../../agents.toml'));
  if (!config.ok) throw new Error('agents.toml does not load');
  const checked = checkPlan(plan, { config: config.value, workspace: resolve(import.meta.dirname, '../../demo/workspace'), trackId: 'request' });
  if (checked.ok) throw new Error('the plan was expected to be refused');
  const problems = checked.problems;
  return `planner refuses the edited plan (nothing changed); ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((problem) => `- ${problem}`).join('\n')}`;
}

describe('the New request box', () => {
  const data = load('plan-approval');

  it("is prefilled with the demo's request, with the mode and trust of New run; an empty request cannot start", () => {
    const draft = initialRequestDraft(data.hello.request_example);
    expect(draft).toEqual({ text: data.hello.request_example, mode: 'async', trust: 'none' });
    const html = render(data, createElement(NewRequestDialog, { draft, onDraft: () => {}, onClose: () => {} }));
    expect(html).toContain('data-testid="new-request-dialog"');
    expect(html).toContain(`>${data.hello.request_example!.replace(/'/g, '&#x27;')}</textarea>`);
    for (const id of ['new-request-mode-async', 'new-request-mode-linear', 'new-request-trust-none', 'new-request-trust-step', 'new-request-trust-auto']) expect(html).toContain(`data-testid="${id}"`);
    expect(html).toMatch(/data-testid="new-request-mode-async" name="new-request-mode" checked=""/);
    expect(html).toMatch(/<button type="submit" class="button primary" data-testid="new-request-start">Plan this request<\/button>/);
    const empty = render(data, createElement(RequestForm, { draft: { ...draft, text: '  ' }, onDraft: () => {}, inline: true }));
    expect(empty).toMatch(/data-testid="request-start" disabled=""/);
  });

  it('is refused by a fixture, which has no server: the reply is an error (the form keeps its text)', async () => {
    const reply = await createStaticClient(data).call('startRequest', { request: 'x', mode: 'async', trust: 'none' });
    expect(reply).toMatchObject({ ok: false });
  });
});

describe('planning from a fixture', () => {
  it("shows the pm at work and its pause in the plan screen and in the inbox, named as the pm's", () => {
    const data = load('plan-proposing');
    const html = render(data, createElement(App));
    expect(html).toContain('data-testid="plan-screen" data-step="proposing"');
    expect(html).toContain('The pm is proposing a track');
    expect(html).not.toContain('data-testid="plan-proposal"');
    expect(html).toContain('data-testid="plan-agent" data-agent="@plan" data-paused="approval"');
    expect(html).toMatch(/data-testid="pause-approval" data-pause-card="" data-ticket="@plan" data-tool="list_files" data-call="toolu_plan_01"/);
    expect(html).toMatch(/data-testid="inbox-item-@plan" data-agent="planner" data-ticket="" data-pause="approval" data-call="toolu_plan_01"/);
    expect(html).toContain('data-testid="inbox-label-@plan">pm (plan)</span>');
    expect(html).toContain('data-testid="inbox-approve-@plan"');
    expect(html).toContain('data-testid="approval-inbox" data-waiting="1"');
    // The planner accepts nothing while the pm works: no plan buttons.
    expect(html).not.toContain('data-testid="plan-approve"');
    expect(html).toContain('data-testid="run-status" data-run="planning"');
  });
});

describe('plan approval from a fixture', () => {
  const data = load('plan-approval');

  it('replaces the board with the plan: the request, the step, the proposal, its graph, the note and who wrote it', () => {
    const html = render(data, createElement(App));
    expect(html).toContain('data-testid="plan-screen" data-step="awaitingApproval"');
    expect(html).not.toContain('data-testid="track-board"');
    expect(html).toContain(`data-testid="plan-request">${data.hello.request!.replace(/'/g, '&#x27;')}</blockquote>`);
    expect(html).toMatch(/data-testid="plan-step" data-step="awaitingApproval"[^>]*><strong>The plan waits for your approval<\/strong>/);
    for (const id of ['T1', 'T2', 'T3', 'T4']) expect(html).toContain(`data-testid="plan-node-${id}"`);
    // The graph: an arrow from each dependency to its dependent (the first paint's columns here).
    expect(html).toContain('data-testid="plan-graph" data-layout="columns"');
    expect([...html.matchAll(/data-testid="plan-edge-([^"]+)"/g)].map((match) => match[1]).sort()).toEqual(['T1-T2', 'T1-T3', 'T2-T4', 'T3-T4']);
    expect(html).toMatch(/data-testid="plan-note"><strong>Tech lead:<\/strong> The order is right/);
    expect(html).toContain('data-testid="plan-author" data-author="pm">proposed by the pm');
    // New request is offered (the configuration plans), and the inbox has nothing: both agents are done.
    expect(html).toContain('data-testid="new-request-open"');
    expect(html).toContain('data-testid="approval-inbox" data-waiting="0"');
  });

  it('draws an editor of every ticket, the archetype a choice of the tier 3 archetypes', () => {
    const html = render(data, createElement(PlanScreen));
    expect(count(html, 'data-testid="plan-ticket"')).toBe(4);
    expect(html).toContain('data-testid="plan-editor" data-editable="true"');
    const t3 = html.slice(html.indexOf('data-id="T3"'), html.indexOf('data-id="T4"'));
    expect([...t3.matchAll(/<option value="([^"]+)"/g)].map((match) => match[1]).sort()).toEqual(['codegen', 'contract_stubber', 'refactor']);
    expect(t3).toMatch(/<option value="refactor" selected="">refactor<\/option>/);
    // T3 runs after T1: its box for T1 is ticked, the others are not.
    expect(t3).toMatch(/data-testid="plan-ticket-dep" data-dep="T1" checked=""/);
    expect(t3).not.toMatch(/data-dep="T2" checked=""/);
    expect(html).toContain('data-testid="plan-add-ticket"');
    expect(count(html, 'data-testid="plan-ticket-remove"')).toBe(4);
  });

  it('draws exactly the commands the planner accepts', () => {
    const html = render(data, createElement(PlanScreen));
    expect(html).toMatch(/data-testid="plan-approve" data-answer="approve"[^>]*>Approve plan</);
    // Nothing edited yet: nothing to save.
    expect(html).toMatch(/data-testid="plan-save" disabled=""/);
    expect(html).toContain('data-testid="plan-send-back"');
    expect(html).not.toContain('data-testid="plan-retry"');
    expect(html).not.toContain('data-testid="plan-discard"');

    // No rounds left to send it back: no Send back; no edit accepted: no editor to type in, no Save.
    const tight = withView<PlannerViewContext>(data, 'planner', (view) => ({ ...view, accepts: ['plan.approve'] }));
    const narrow = render(tight, createElement(PlanScreen));
    expect(narrow).not.toContain('data-testid="plan-send-back"');
    expect(narrow).not.toContain('data-testid="plan-save"');
    expect(narrow).toContain('data-testid="plan-editor" data-editable="false"');
    expect(narrow).toContain('data-testid="plan-approve"');

    // Failed: the reason, and Ask again.
    const failed = withView<PlannerViewContext>(data, 'planner', (view) => ({
      ...view,
      value: 'failed',
      context: { ...view.context, proposal: null, reason: 'the pm did not propose a track: max_turns reached' },
      accepts: ['plan.retry'],
    }));
    const failedHtml = render(failed, createElement(PlanScreen));
    expect(failedHtml).toContain('data-step="failed"');
    expect(failedHtml).toContain('Planning failed');
    expect(failedHtml).toContain('max_turns reached');
    expect(failedHtml).toMatch(/data-testid="plan-retry"[^>]*>Ask again</);
    expect(failedHtml).not.toContain('data-testid="plan-approve"');
  });

  it('keeps a refused edit as the human left it, with every problem the engine named', () => {
    const plan = planOf(data);
    // T1 after T4: a cycle through T2 and T3.
    const edited = editPlan(noEdit, plan, { kind: 'dependency', index: 0, id: 'T4', on: true });
    expect(isDirty(edited, plan)).toBe(true);
    const error = refusalOf(edited.draft!);
    const refused = afterSave(edited, { ok: false, error });
    expect(refused.draft).toBe(edited.draft);
    expect(refused.refusal).toBe(error);
    expect(planProblems(error).problems.join('\n')).toMatch(/cycle/);
    // Accepted, the engine holds it and the draft goes.
    expect(afterSave(edited, { ok: true })).toEqual(noEdit);

    const html = render(data, createElement(PlanScreen, { initialEdit: refused }));
    expect(html).toContain('data-testid="plan-edit-refusal"');
    const problems = [...html.matchAll(/<li data-testid="plan-problem">([^<]+)<\/li>/g)].map((match) => match[1]!);
    expect(problems.length).toBe(planProblems(error).problems.length);
    expect(problems.join('\n')).toMatch(/cycle/);
    // The draft is what is shown and edited: T1's box for T4 stays ticked, its card and edge marked.
    const t1 = html.slice(html.indexOf('data-id="T1"'), html.indexOf('data-id="T2"'));
    expect(t1).toMatch(/data-dep="T4" checked=""/);
    expect(html).toContain('data-testid="plan-node-T1" data-edited="true"');
    expect(html).toContain('data-testid="plan-edge-T4-T1"');
    expect(html).toContain('data-testid="plan-proposal" data-author="pm" data-dirty="true"');
    expect(html).toMatch(/data-testid="plan-approve" data-answer="edit"[^>]*>Save changes and approve</);
    expect(html).toContain('data-testid="plan-discard"');
  });

  it('edits a draft: renames carry into dependencies, removals leave none dangling, new tickets get a free id', () => {
    const plan = planOf(data);
    const renamed = applyPlanChange(plan, { kind: 'id', index: 0, value: 'MONEY' });
    expect(renamed.tickets.map((ticket) => ticket.id)).toEqual(['MONEY', 'T2', 'T3', 'T4']);
    expect(renamed.tickets[1]!.dependencies).toEqual(['MONEY']);
    const removed = applyPlanChange(plan, { kind: 'remove', index: 1 });
    expect(removed.tickets.map((ticket) => ticket.id)).toEqual(['T1', 'T3', 'T4']);
    expect(removed.tickets[2]!.dependencies).toEqual(['T3']);
    const added = applyPlanChange(plan, { kind: 'add', archetype: 'codegen' });
    expect(added.tickets.at(-1)).toEqual({ id: 'T5', target_file: '', prompt: '', worker_archetype: 'codegen', dependencies: [] });
    expect(samePlan(applyPlanChange(plan, { kind: 'field', index: 2, field: 'prompt', value: plan.tickets[2]!.prompt }), plan)).toBe(true);
  });
});

describe('code review from fixtures', () => {
  it('shows T2 in review, its reviewer paused at the verdict "request changes", in the panel and in the inbox', () => {
    const data = load('review-paused');
    const html = render(data, createElement(App));
    // The board's card: in review, round 1, waiting at the reviewer's pause.
    expect(html).toMatch(/data-testid="ticket-review-T2" data-round="1" data-stage="paused" data-pause="approval"[^>]*>in review · round 1/);
    // The panel (T2 needs the human first): its review section, with the reviewer's approval card.
    expect(html).toContain('data-testid="worker-panel" data-ticket="T2"');
    expect(html).toMatch(/data-testid="review-section" data-ticket="T2" data-state="reviewing" data-round="1"/);
    expect(html).toMatch(/data-testid="pause-approval" data-pause-card="" data-ticket="T2@review" data-tool="request_changes"/);
    expect(html).toMatch(/data-testid="preview-text">Verdict: request changes\n1\. The ticket says a quantity must be a whole number/);
    expect(html).toContain('data-testid="panel-tab-review"');
    // The inbox lists the reviewer's pause as the review of T2, answerable there.
    expect(html).toMatch(/data-testid="inbox-item-T2@review" data-agent="reviewer" data-ticket="T2" data-pause="approval"/);
    expect(html).toContain('data-testid="inbox-label-T2@review">review of T2</span>');
    expect(html).toContain('data-testid="inbox-approve-T2@review"');
    expect(html).toContain('data-testid="approval-inbox" data-waiting="1"');
  });

  it("lists every round's verdict with its comments, from the journal and the ticket's view", () => {
    const data = load('review-qa');
    const html = render(data, createElement(App));
    expect(html).toMatch(/data-testid="review-section" data-ticket="T2" data-state="reviewing" data-round="2"/);
    expect(html).toMatch(/data-testid="review-round" data-round="1" data-verdict="request_changes"><strong>Review 1: changes requested<\/strong><p class="review-comments" data-testid="review-comments">1\. The ticket says/);
    expect(html).toMatch(/data-ticket="T2@review" data-tool="approve_change"/);
    expect(html).toContain('Verdict: approve\nThe fractional quantity is tested now');

    // The rounds: the journal's entries; the view's last verdict when the journal tail lacks it.
    const rows = createStaticClient(data).journal.rows.getSnapshot();
    const last = { verdict: 'request_changes' as const, comments: 'from the view', round: 1 };
    expect(reviewRounds('T2', rows, null).map((round) => [round.round, round.verdict])).toEqual([[1, 'request_changes']]);
    expect(reviewRounds('T2', [], last)).toEqual([{ round: 1, verdict: 'request_changes', comments: 'from the view' }]);
    expect(reviewRounds('T1', rows, { verdict: 'approve', comments: 'Matches the ticket; the tests it touches pass.', round: 1 })).toHaveLength(1);
  });

  it('names the agents: a ticket, its reviewer, the planner’s', () => {
    expect(agentsOf([{ id: 'T1' }, { id: 'T2' }], true)).toEqual(['@plan', '@plan-review', 'T1', 'T1@review', 'T2', 'T2@review']);
    expect(agentsOf([{ id: 'T1' }], false)).toEqual(['T1', 'T1@review']);
    expect(['T2', 'T2@review', '@plan', '@plan-review'].map(ticketOfAgent)).toEqual(['T2', 'T2', null, null]);
    expect(['T2', 'T2@review', '@plan', '@plan-review'].map(agentLabel)).toEqual(['T2', 'review of T2', 'pm (plan)', 'tech lead (plan)']);
  });
});

describe('QA hints and usage', () => {
  const data = load('review-qa');

  it('reads a QA hint off a tool result, and nothing off a plain one', () => {
    const qa = qaResultOf('exit code 1\nQA hint (qa): assert RangeError, not TypeError.\n\nOutput (3 lines):\nnot ok 1\n# pass 0\n# fail 1');
    expect(qa).toEqual({ status: 'exit code 1', archetype: 'qa', hint: 'assert RangeError, not TypeError.', rest: 'Output (3 lines):\nnot ok 1\n# pass 0\n# fail 1' });
    expect(qaResultOf('exit code 1\nnot ok 1')).toBeNull();
    expect(qaResultOf('exit code 0\nok 1')).toBeNull();
  });

  it("highlights T2's QA hint in its transcript, with the tokens it saved (from the journal)", () => {
    const html = render(data, createElement(App));
    const result = /data-testid="block-tool-result" data-call="(toolu_T2_\d+)" data-qa="true"/.exec(html);
    expect(result).not.toBeNull();
    const saved = (data.journal as { kind: string; tool_use_id?: string; saved_tokens?: number }[]).find((entry) => entry.kind === 'qa.hint')!;
    expect(result![1]).toBe(saved.tool_use_id);
    expect(html).toContain(`data-testid="qa-hint" data-call="${saved.tool_use_id}" data-saved="${saved.saved_tokens}"`);
    expect(html).toContain('<span class="qa-badge">QA hint</span>');
    expect(html).toMatch(/data-testid="qa-hint-text">&#x27;addItem refuses a fractional quantity&#x27; expects TypeError, but addItem throws RangeError/);
    expect(html).toContain(`saved ${saved.saved_tokens} tokens</span>`);
    // Exactly one result carries a hint.
    expect(count(html, 'data-qa="true"')).toBe(1);

    const block = renderToStaticMarkup(
      createElement(TranscriptBlock, { block: { type: 'tool_result', tool_use_id: 'x1', content: 'exit code 2\nQA hint (qa): fix it.\n\nOutput (1 line):\nboom', is_error: true }, toolNames: new Map([['x1', 'run_command']]) }),
    );
    expect(block).toContain('data-testid="qa-hint" data-call="x1" data-saved=""');
    expect(block).not.toContain('data-testid="qa-saved"');
  });

  it('counts tokens per tier (1 to 4) and the QA hints with what they saved, in the tooltip and the summary', () => {
    const conductor = data.actors.find((view) => view.key === 'conductor') as ActorView<ConductorView>;
    const usage = conductor.context.usage!;
    const title = usageTitle(usage);
    expect(title.split('\n').map((line) => line.split(':')[0])).toEqual(['tier 1 (product (pm))', 'tier 2 (planning and review (tech lead))', 'tier 3 (implementation)', 'tier 4 (QA)', '1 QA hint, saved 191 tokens']);
    const bar = render(data, createElement(GlobalBar));
    expect(bar).toContain(`title="${title}"`);
    const summary = render(
      data,
      createElement(RunSummary, {
        tickets: data.hello.track.tickets,
        conductor: { ...conductor, value: { mode: 'async', trustOverride: 'step', run: 'done' } },
        onNewRun: () => {},
        onNewRequest: () => {},
        onHide: () => {},
      }),
    );
    expect([...summary.matchAll(/data-testid="usage-tier" data-tier="(\d)"/g)].map((match) => match[1])).toEqual(['1', '2', '3', '4']);
    expect(summary).toContain('data-testid="usage-qa" data-hints="1" data-saved="191"');
    expect(summary).toContain('data-testid="run-summary-helper-T2@review"');
    expect(summary).toContain('data-testid="run-summary-helper-T2@qa"');
    expect(summary).toContain('data-testid="run-summary-new-request"');
  });
});
