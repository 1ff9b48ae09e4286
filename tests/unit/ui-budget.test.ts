import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BudgetStop, UsageSummary } from '../../src/protocol/index.js';
import type { ActorView } from '../../src/protocol/wire.js';
import {
  budgetReached,
  budgetText,
  budgetTitle,
  costText,
  limitText,
  parseRaise,
  raiseCommand,
  raiseField,
  raiseHint,
  runBudgetText,
  runSpend,
  spentText,
  stopText,
  suggestedRaise,
  ticketBudgetText,
  ticketSpend,
} from '../../src/ui/budget.js';
import { App } from '../../src/ui/components/App.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { bulkApprovable, describeWaiting, pauseOf, pauseRef, releasedBy, workerStateLabel, type Waiting } from '../../src/ui/pause.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { ConductorView, WorkerView } from '../../src/ui/views.js';

/**
 * The page's budget helpers (src/ui/budget.ts) and the budget pause as src/ui/pause.ts reads it:
 * a ticket's spend with its helpers' lines, the raise offered first and what a typed one becomes,
 * the words shown; then the app drawn from a fixture with T2 at a budget pause.
 */
const line = (input: number, output: number, cost: number | null, tier = 3) => ({ input_tokens: input, output_tokens: output, cost_usd: cost, tier });

function usageOf(tickets: UsageSummary['tickets']): UsageSummary {
  const total = Object.values(tickets).reduce(
    (sum, next) => ({
      input_tokens: sum.input_tokens + next.input_tokens,
      output_tokens: sum.output_tokens + next.output_tokens,
      cost_usd: sum.cost_usd === null || next.cost_usd === null ? null : sum.cost_usd + next.cost_usd,
    }),
    { input_tokens: 0, output_tokens: 0, cost_usd: 0 as number | null },
  );
  return { tickets, tiers: { '3': total }, total, qa: { hints: 0, saved_tokens: 0 } };
}

const tokenStop = (overrides: Partial<BudgetStop> = {}): BudgetStop => ({
  scope: 'ticket',
  ticket: 'T2',
  spent: { tokens: 1523, cost_usd: 0 },
  limits: { max_tokens: 1000 },
  reached: 'tokens',
  reason: 'T2 spent 1,523 tokens ($0.0000) of its budget of 1,000 tokens (max_tokens_per_ticket of [agents.codegen])',
  ...overrides,
});

const costStop = (overrides: Partial<BudgetStop> = {}): BudgetStop => ({
  scope: 'ticket',
  ticket: 'T2',
  spent: { tokens: 41_000, cost_usd: 0.0412 },
  limits: { max_cost: 0.04, max_tokens: 100_000 },
  reached: 'cost',
  reason: 'T2 spent $0.0412 (41,000 tokens) of its budget of $0.0400 (max_cost_per_ticket of [agents.codegen])',
  ...overrides,
});

describe("a ticket's spend", () => {
  const usage = usageOf({
    T2: line(1000, 200, 0.01),
    'T2@review': line(300, 50, 0.002, 2),
    'T2@qa': line(100, 20, 0.001, 4),
    T20: line(9000, 9000, 5),
    T3: line(7, 3, 0.5),
    '@plan': line(400, 40, 0.004, 1),
  });

  it('adds its worker, its review and its QA lines (input and output), and no other ticket whose id starts the same', () => {
    const spend = ticketSpend(usage, 'T2');
    expect(spend.tokens).toBe(1000 + 200 + 300 + 50 + 100 + 20);
    expect(spend.cost_usd).toBeCloseTo(0.013, 10);
    expect(ticketSpend(usage, 'T3')).toEqual({ tokens: 10, cost_usd: 0.5 });
    expect(ticketSpend(usage, 'T9')).toEqual({ tokens: 0, cost_usd: 0 });
    expect(ticketSpend(undefined, 'T2')).toEqual({ tokens: 0, cost_usd: 0 });
  });

  it('has no cost when a line of it has none (a profile without prices), and the run spend is the total', () => {
    const unpriced = usageOf({ T2: line(10, 5, 0.01), 'T2@review': line(3, 2, null, 2) });
    expect(ticketSpend(unpriced, 'T2')).toEqual({ tokens: 20, cost_usd: null });
    expect(runSpend(usage).tokens).toBe(usage.total.input_tokens + usage.total.output_tokens);
    expect(runSpend(unpriced).cost_usd).toBeNull();
  });

  it('is shown beside each limit set, and tells which limit it reached', () => {
    expect(budgetText({ tokens: 12_345, cost_usd: 0.04 }, { max_tokens: 20_000 })).toBe('12,345 of 20,000 tokens');
    expect(budgetText({ tokens: 12_345, cost_usd: 0.04 }, { max_cost: 0.1 })).toBe('$0.0400 of $0.1000');
    expect(budgetText({ tokens: 12_345, cost_usd: null }, { max_tokens: 20_000, max_cost: 2 })).toBe('12,345 of 20,000 tokens · cost unknown of $2.00');
    expect(budgetText({ tokens: 1, cost_usd: 0 }, {})).toBeNull();
    expect(budgetText({ tokens: 1, cost_usd: 0 }, undefined)).toBeNull();
    expect(budgetReached({ tokens: 20_000, cost_usd: 0 }, { max_tokens: 20_000 })).toBe('tokens');
    expect(budgetReached({ tokens: 19_999, cost_usd: 0.2 }, { max_tokens: 20_000, max_cost: 0.1 })).toBe('cost');
    expect(budgetReached({ tokens: 19_999, cost_usd: null }, { max_tokens: 20_000, max_cost: 0.1 })).toBeNull();
    expect(costText(null)).toBe('cost unknown');
    expect(costText(12.5)).toBe('$12.50');
  });

  it("says the ticket's budget with its helpers counted, and the run's cost against max_cost_per_run only when set", () => {
    const budgets = { run: { max_cost: 5 }, tickets: { T2: { max_tokens: 2000 } } };
    expect(ticketBudgetText(usage, budgets, 'T2')).toBe('budget 1,670 of 2,000 tokens');
    expect(ticketBudgetText(usage, budgets, 'T3')).toBeNull();
    expect(runBudgetText(usage, budgets)).toBe(`run budget ${costText(usage.total.cost_usd)} of $5.00`);
    expect(runBudgetText(usage, { run: {}, tickets: {} })).toBeNull();
    expect(runBudgetText(usage, undefined)).toBeNull();
  });
});

describe('the raise a budget pause offers', () => {
  it('starts at twice the limit that was reached, or twice the spend if more: whole tokens, or dollars rounded up to the cent', () => {
    expect(suggestedRaise(tokenStop())).toBe(3046);
    expect(suggestedRaise(tokenStop({ spent: { tokens: 10, cost_usd: 0 }, limits: { max_tokens: 10 } }))).toBe(20);
    expect(suggestedRaise(costStop())).toBe(0.09);
    // 2 × 0.07 is 0.14 exactly, not 0.15 (floating point would round 14.000000000000002 up).
    expect(suggestedRaise(costStop({ spent: { tokens: 1, cost_usd: 0.07 }, limits: { max_cost: 0.07 } }))).toBe(0.14);
    expect(suggestedRaise(costStop({ spent: { tokens: 1, cost_usd: 0.0041 }, limits: { max_cost: 0.002 } }))).toBe(0.01);
    expect(raiseField(tokenStop())).toEqual({ name: 'max_tokens', unit: 'tokens', step: '1', initial: '3046' });
    expect(raiseField(costStop())).toEqual({ name: 'max_cost', unit: 'US dollars', step: '0.01', initial: '0.09' });
    expect(raiseField(costStop({ scope: 'run', spent: { tokens: 1, cost_usd: 5.01 }, limits: { max_cost: 5 } })).initial).toBe('10.02');
  });

  it('takes a whole number of tokens, or a positive amount of dollars, and says what is wrong with anything else', () => {
    expect(parseRaise('20000', 'tokens')).toEqual({ ok: true, value: 20_000 });
    expect(parseRaise(' 20,000 ', 'tokens')).toEqual({ ok: true, value: 20_000 });
    for (const bad of ['1.5', '-3', '0', 'abc', '1e5']) expect(parseRaise(bad, 'tokens'), bad).toMatchObject({ ok: false, error: expect.stringContaining('whole number of tokens') });
    expect(parseRaise('', 'tokens')).toEqual({ ok: false, error: 'Type the new token limit' });
    expect(parseRaise('2000000000000', 'tokens')).toMatchObject({ ok: false, error: expect.stringContaining('at most 1,000,000,000,000') });
    expect(parseRaise('$0.50', 'cost')).toEqual({ ok: true, value: 0.5 });
    expect(parseRaise('.25', 'cost')).toEqual({ ok: true, value: 0.25 });
    expect(parseRaise('3', 'cost')).toEqual({ ok: true, value: 3 });
    for (const bad of ['0', '-1', 'ten', '0x10']) expect(parseRaise(bad, 'cost'), bad).toMatchObject({ ok: false, error: expect.stringContaining('US dollars above 0') });
    expect(parseRaise('', 'cost')).toEqual({ ok: false, error: 'Type the new limit in US dollars' });
    expect(parseRaise('2000000', 'cost')).toMatchObject({ ok: false });
  });

  it('sends the new value of the limit that was reached, naming the pause it answers', () => {
    const pause = { kind: 'budget' as const, tool_use_id: 'budget-2' };
    expect(raiseCommand(pause, tokenStop(), 4000)).toEqual({ type: 'clutch.raise_budget', pause, max_tokens: 4000 });
    expect(raiseCommand(pause, costStop(), 0.5)).toEqual({ type: 'clutch.raise_budget', pause, max_cost: 0.5 });
    expect(raiseCommand(pause, costStop({ scope: 'run' }), 9)).toEqual({ type: 'clutch.raise_budget', pause, max_cost: 9 });
  });
});

describe("the budget pause's words", () => {
  it("names whose budget it is, what was spent and of which limit, the reached one first", () => {
    expect(budgetTitle(tokenStop())).toBe("T2's budget is spent");
    expect(budgetTitle(costStop({ scope: 'run' }))).toBe("The run's budget is spent");
    expect(spentText(tokenStop())).toBe('1,523 tokens · $0.0000');
    expect(spentText(costStop())).toBe('$0.0412 · 41,000 tokens');
    expect(limitText(tokenStop())).toBe('1,000 tokens (reached)');
    expect(limitText(costStop())).toBe('$0.0400 (reached) · 100,000 tokens');
    expect(stopText(tokenStop())).toBe('1,523 of 1,000 tokens');
    expect(stopText(costStop({ scope: 'run', spent: { tokens: 9, cost_usd: 5.01 }, limits: { max_cost: 5 } }))).toBe('run: $5.01 of $5.00');
    expect(raiseHint(tokenStop())).toBe('The new limit must be above the 1,523 tokens spent.');
    expect(raiseHint(costStop({ scope: 'run' }))).toBe("The new limit must be above the $0.0412 spent. One raise lets every ticket waiting on the run's budget go on.");
  });
});

// ---------------------------------------------------------------------------------------------
// The budget pause as the page reads a worker's view, and the app drawn with T2 waiting at it.

const fixturePath = resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json');
const fixture = (): Fixture => JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;
const budgetAccepts = ['clutch.raise_budget', 'clutch.abort', 'clutch.set_trust:step', 'clutch.set_trust:auto'];

function atBudget(view: ActorView<WorkerView>, stop: BudgetStop = tokenStop(), pauses = 2): ActorView<WorkerView> {
  return { ...view, value: 'budgetPaused', context: { ...view.context, budget: stop, budgetPauses: pauses, preview: null, review: null }, accepts: budgetAccepts };
}

function budgetFixture(): Fixture {
  const data = fixture();
  const usage = usageOf({ T1: line(500, 100, 0), T2: line(1200, 200, 0), 'T2@review': line(100, 23, 0, 2) });
  return {
    ...data,
    actors: data.actors.map((view) => {
      if (view.key === 'worker:T2') return atBudget(view as ActorView<WorkerView>) as ActorView;
      if (view.key === 'conductor') {
        const conductor = view as ActorView<ConductorView>;
        return { ...conductor, context: { ...conductor.context, usage, budgets: { run: { max_cost: 5 }, tickets: { T2: { max_tokens: 1000 } } } } } as ActorView;
      }
      return view;
    }),
  };
}

/** The attributes of the first element with this test id. */
function attributes(html: string, testId: string): Record<string, string> {
  const tag = html.match(new RegExp(`<[a-z]+ [^>]*data-testid="${testId}"[^>]*>`))?.[0] ?? '';
  return Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
}

function render(data: Fixture): string {
  return renderToStaticMarkup(createElement(ClientContext.Provider, { value: createStaticClient(data) }, createElement(App)));
}

describe('the budget pause in the page', () => {
  const worker = () => atBudget(fixture().actors.find((view) => view.key === 'worker:T2') as ActorView<WorkerView>);

  it('is read from the budgetPaused state and named budget-N, as the engine names it', () => {
    const pause = pauseOf(worker());
    expect(pause).toMatchObject({ kind: 'budget', stop: tokenStop(), id: 'budget-2' });
    expect(pauseRef(pause!)).toEqual({ kind: 'budget', tool_use_id: 'budget-2' });
    expect(workerStateLabel(worker())).toBe('Budget pause: raise the budget or abort');
    // Without the stop in its context the state is not read as a pause (nothing to answer).
    expect(pauseOf({ ...worker(), context: { ...worker().context, budget: null } })).toBeNull();
  });

  it('is never approved in bulk, and no switch to auto releases it', () => {
    const view = worker();
    const pause = pauseOf(view)!;
    // Even if the view said approve were accepted, the bulk answer leaves a budget pause alone.
    expect(bulkApprovable(pause, ['clutch.approve', ...view.accepts])).toBe(false);
    const waiting: Waiting[] = [{ ticket: 'T2', view, pause }];
    expect(releasedBy(waiting, () => 'auto')).toEqual([]);
    expect(describeWaiting(waiting)).toBe('T2 budget (budget pause)');
  });

  it('draws the card (reason, spend, limit, a field prefilled with the raise, Raise budget and Abort), the inbox item and the budgets beside the spend', () => {
    const html = render(budgetFixture());
    expect(html).toContain('data-testid="pause-budget" data-pause-card="" data-ticket="T2" data-call="budget-2" data-scope="ticket" data-reached="tokens"');
    expect(html).toContain(`data-testid="budget-reason" role="status">${tokenStop().reason.replace(/'/g, '&#x27;')}</p>`);
    expect(html).toContain('data-testid="budget-spent" data-tokens="1523" data-cost="0">1,523 tokens · $0.0000</dd>');
    expect(html).toContain('data-testid="budget-limit">1,000 tokens (reached)</dd>');
    expect(attributes(html, 'raise-input')).toMatchObject({ type: 'number', name: 'max_tokens', min: '1', step: '1', inputMode: 'numeric', 'aria-invalid': 'false', value: '3046' });
    expect(html).toMatch(/data-testid="raise-budget"[^>]*>Raise budget</);
    expect(html).toMatch(/data-testid="abort" data-key="x"/);
    expect(html).not.toContain('data-testid="approve"');
    // The inbox lists it as a budget pause, with its own field, and never for bulk approval.
    expect(html).toMatch(/data-testid="inbox-item-T2"[^>]*data-pause="budget" data-call="budget-2"/);
    expect(html).toContain('<span class="pause-badge">Budget pause</span><span class="budget-scope" data-testid="inbox-budget-scope-T2">ticket budget</span>');
    expect(attributes(html, 'inbox-raise-input-T2')).toMatchObject({ name: 'max_tokens', value: '3046' });
    expect(html).not.toContain('data-testid="inbox-approve-T2"');
    expect(html).not.toContain('data-testid="approve-read-only"');
    // The panel's usage line and the board, and the run's cost in the global bar.
    expect(html).toContain('data-label="budget pause"');
    expect(html).toMatch(/data-testid="ticket-usage">tier 3 · 1\.2k in · 200 out · \$0\.0000<span class="budget-of reached" data-testid="ticket-budget" data-reached="tokens"[^>]*> · budget 1,523 of 1,000 tokens<\/span>/);
    expect(html).toMatch(/data-testid="ticket-pause-T2" data-pause="budget"[^>]*>Budget pause · 1,523 of 1,000 tokens</);
    expect(html).toMatch(/data-testid="run-budget" data-reached="false"[^>]*>run budget \$0\.0000 of \$5\.00</);
  });

  it('asks for the cost in dollars with cents at a cost budget, and shows no budget where none is set', () => {
    const data = budgetFixture();
    const stop = costStop({ scope: 'run', spent: { tokens: 9, cost_usd: 5.01 }, limits: { max_cost: 5 }, reason: 'the run spent $5.01 (9 tokens) of its budget of $5.00 (max_cost_per_run)' });
    const html = render({ ...data, actors: data.actors.map((view) => (view.key === 'worker:T2' ? (atBudget(view as ActorView<WorkerView>, stop) as ActorView) : view)) });
    expect(attributes(html, 'raise-input')).toMatchObject({ type: 'number', name: 'max_cost', min: '0.01', step: '0.01', inputMode: 'decimal', value: '10.02' });
    expect(html).toContain('data-scope="run"');
    expect(html).toContain('run budget (max_cost_per_run)');
    const plain = render(fixture());
    expect(plain).not.toContain('data-testid="ticket-budget"');
    expect(plain).not.toContain('data-testid="run-budget"');
  });
});
