import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/actors/engine.js';
import type { ProposedTrack } from '../../src/protocol/index.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { byTest, shows, WAIT } from './workbench-helpers.js';

/**
 * From a request to a reviewed change, in the browser against the real server and engine with the
 * scripted model (issue 12): the New request box with the demo's request, the pm's and the tech
 * lead's pauses answered from the approval inbox, plan approval (an invalid edit refused with its
 * problem named and nothing changed, then a good edit of T3's prompt), the run on auto: T2's review
 * asks for changes once, T2's worker gets a QA hint for its failing test, the second review
 * approves, and every ticket completes. The tests run in order on one page.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const demoRequest = readFileSync(resolve(import.meta.dirname, '../../demo/request.txt'), 'utf8').trim();
const LONG = { timeout: 60_000 };
const T3_EXTRA = ' Keep the discount codes table exported as it is.';

let demo: DemoServer;
let browser: Browser;
let page: Page;

/** The engine of the run served now (the request starts a new one). */
const engine = (): Engine => demo.server.hub.engine;
const proposal = (): ProposedTrack | null => (engine().planner()?.getSnapshot().context.proposal ?? null) as ProposedTrack | null;

async function screenshot(name: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, name), fullPage: true });
}

const planStep = () => page.getByTestId('plan-step').getAttribute('data-step');

beforeAll(async () => {
  demo = await startDemoServer();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('a request planned, approved, reviewed and run in the browser', () => {
  it("offers New request prefilled with the demo's request, and starts a run that plans it", async () => {
    await shows(page, 'track-board');
    await page.getByTestId('new-request-open').click();
    const dialog = await shows(page, 'new-request-dialog');
    const text = dialog.getByTestId('new-request-text');
    expect(await text.inputValue()).toBe(demoRequest);
    // A request of nothing is not sent.
    await text.fill('   ');
    expect(await dialog.getByTestId('new-request-start').isDisabled()).toBe(true);
    await text.fill(demoRequest);
    await dialog.getByTestId('new-request-mode-async').check();
    await dialog.getByTestId('new-request-trust-none').check();
    await dialog.getByTestId('new-request-start').click();

    // The server switched to the new run: the plan screen, with the request, while the pm works.
    await page.getByTestId('new-request-dialog').waitFor({ state: 'detached', ...WAIT });
    const screen = await shows(page, 'plan-screen');
    expect(await screen.getByTestId('plan-request').textContent()).toBe(demoRequest);
    expect(await page.getByTestId('track-board').count()).toBe(0);
    await shows(page, 'plan-step', { step: 'proposing' });
  });

  it("lists the pm's and the tech lead's pauses in the inbox and answers them there, up to plan approval", async () => {
    // The pm reads the workspace: its first pause is in the inbox, named as the pm's.
    const first = await shows(page, 'inbox-item-@plan', { pause: 'approval', call: 'toolu_plan_01', armed: 'true' });
    expect(await first.getByTestId('inbox-label-@plan').textContent()).toBe('pm (plan)');
    await shows(page, 'plan-agent', { agent: '@plan', paused: 'approval' });
    const answered: string[] = [];
    const leadSeen: string[] = [];
    for (let turn = 0; turn < 12 && (await planStep()) !== 'awaitingApproval'; turn += 1) {
      const item = page.locator('[data-testid="inbox-item-@plan"][data-armed="true"], [data-testid="inbox-item-@plan-review"][data-armed="true"], [data-testid="plan-step"][data-step="awaitingApproval"]').first();
      await item.waitFor({ state: 'visible', ...WAIT });
      const testId = await item.getAttribute('data-testid');
      if (testId === 'plan-step') break;
      const agent = testId!.slice('inbox-item-'.length);
      const call = (await item.getAttribute('data-call'))!;
      const kind = (await item.getAttribute('data-pause'))!;
      if (agent === '@plan-review') leadSeen.push(`${kind}:${call}`);
      await item.getByTestId(`inbox-approve-${agent}`).click();
      await page.locator(byTest(`inbox-item-${agent}`, { pause: kind, call })).waitFor({ state: 'detached', ...WAIT });
      answered.push(`${agent} ${kind}:${call}`);
    }
    expect(answered.slice(0, 3)).toEqual(['@plan approval:toolu_plan_01', '@plan review:toolu_plan_01', '@plan approval:toolu_plan_02']);
    // The tech lead checked the plan at its own pause before it came to the human.
    expect(leadSeen[0]).toBe('approval:toolu_plan_review_01');
    await shows(page, 'plan-step', { step: 'awaitingApproval' });
  });

  it('shows the proposed tickets, their graph, the tech lead’s note and who wrote the plan', async () => {
    const screen = await shows(page, 'plan-proposal', { author: 'pm' });
    await shows(page, 'plan-graph', { layout: 'elk' });
    for (const id of ['T1', 'T2', 'T3', 'T4']) await shows(page, `plan-node-${id}`);
    for (const edge of ['T1-T2', 'T1-T3', 'T2-T4', 'T3-T4']) await page.getByTestId(`plan-edge-${edge}`).waitFor({ state: 'attached', ...WAIT });
    expect(await page.locator('[data-testid^="plan-edge-"]').count()).toBe(4);
    expect(await screen.getByTestId('plan-author').textContent()).toContain('proposed by the pm');
    expect(await screen.getByTestId('plan-note').textContent()).toContain('The order is right');
    expect(await page.getByTestId('plan-ticket').count()).toBe(4);
    // The archetype is a choice of the implementation (tier 3) archetypes.
    const archetypes = await page.locator(`${byTest('plan-ticket', { id: 'T3' })} ${byTest('plan-ticket-archetype')} option`).allTextContents();
    expect(archetypes.sort()).toEqual(['codegen', 'contract_stubber', 'refactor']);
    expect(await page.getByTestId('plan-approve').textContent()).toBe('Approve plan');
    expect(await page.getByTestId('plan-save').isDisabled()).toBe(true);
    await shows(page, 'plan-send-back');
    await screenshot('request-plan-approval.png');
  });

  it('refuses an edit that makes a dependency cycle, names the problem, keeps the draft, and changes nothing', async () => {
    const before = structuredClone(proposal());
    expect(before?.tickets.map((ticket) => ticket.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    // T1 after T4, which is after T1 (through T2 and T3): a cycle.
    const t1 = page.locator(byTest('plan-ticket', { id: 'T1' }));
    await t1.locator(byTest('plan-ticket-dep', { dep: 'T4' })).check();
    await shows(page, 'plan-node-T1', { edited: 'true' });
    await shows(page, 'plan-edge-T4-T1');
    expect(await page.getByTestId('plan-approve').textContent()).toBe('Save changes and approve');
    await page.getByTestId('plan-save').click();

    const refusal = await shows(page, 'plan-edit-refusal');
    const problems = await refusal.getByTestId('plan-problem').allTextContents();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(/cycle/i);
    expect(problems.join('\n')).toContain('T1');
    // The draft is as the human left it; the engine's plan did not change.
    expect(await t1.locator(byTest('plan-ticket-dep', { dep: 'T4' })).isChecked()).toBe(true);
    await shows(page, 'plan-proposal', { author: 'pm', dirty: 'true' });
    expect(proposal()).toEqual(before);
  });

  it("saves a good edit of T3's prompt: the engine holds it, written by the human", async () => {
    const t1 = page.locator(byTest('plan-ticket', { id: 'T1' }));
    await t1.locator(byTest('plan-ticket-dep', { dep: 'T4' })).uncheck();
    const prompt = page.locator(`${byTest('plan-ticket', { id: 'T3' })} ${byTest('plan-ticket-prompt')}`);
    const original = await prompt.inputValue();
    await prompt.fill(original + T3_EXTRA);
    await shows(page, 'plan-node-T3', { edited: 'true' });
    expect(await page.getByTestId('plan-node-T1').getAttribute('data-edited')).toBe('false');
    await page.getByTestId('plan-save').click();

    await shows(page, 'plan-proposal', { author: 'human', dirty: 'false' });
    expect(await page.getByTestId('plan-edit-refusal').count()).toBe(0);
    expect(await page.getByTestId('plan-author').textContent()).toContain('edited by you');
    await expect.poll(() => proposal()?.tickets.find((ticket) => ticket.id === 'T3')?.prompt, WAIT).toBe(original + T3_EXTRA);
    expect(proposal()?.tickets.find((ticket) => ticket.id === 'T1')?.dependencies ?? []).toEqual([]);
    expect(await prompt.inputValue()).toBe(original + T3_EXTRA);
  });

  it('approves the plan: the board shows the planned track, which runs (on auto)', async () => {
    // The run goes on by itself: the override to auto first (no pause waits now, so nothing to confirm).
    await page.getByTestId('override-auto').click();
    await shows(page, 'override', { current: 'auto' });
    await page.getByTestId('plan-approve').click();
    await page.getByTestId('plan-screen').waitFor({ state: 'detached', ...WAIT });
    await shows(page, 'track-board', { layout: 'elk' });
    for (const id of ['T1', 'T2', 'T3', 'T4']) await shows(page, `ticket-node-${id}`);
    expect(await page.locator('[data-testid^="edge-"]').count()).toBe(4);
    expect(await page.getByTestId('track-title').textContent()).toBe("Finish the demo shop's pricing library");
    // The approved plan is the run's track: the human's edit of T3 went into it.
    expect(engine().track().tickets.find((ticket) => ticket.id === 'T3')?.prompt).toContain(T3_EXTRA.trim());
  });

  it("shows T2's review asking for changes once, with its comments, then approving", async () => {
    await page.getByTestId('ticket-node-T2').click();
    await shows(page, 'worker-panel', { ticket: 'T2' });
    const section = await shows(page, 'review-section', { ticket: 'T2' });
    const first = section.locator(byTest('review-round', { round: '1', verdict: 'request_changes' }));
    await first.waitFor({ state: 'visible', ...LONG });
    expect(await first.getByTestId('review-comments').textContent()).toContain('fractional quantity');
    const second = section.locator(byTest('review-round', { round: '2', verdict: 'approve' }));
    await second.waitFor({ state: 'visible', ...LONG });
    expect(await section.getByTestId('review-round').count()).toBe(2);
    await shows(page, 'review-section', { ticket: 'T2', state: 'approve' });
    // The reviewer's own transcript: its verdict calls.
    await page.getByTestId('panel-tab-review').click();
    await page.locator(`${byTest('transcript')} ${byTest('block-tool-use')}`, { hasText: 'approve_change' }).first().waitFor(WAIT);
    await page.getByTestId('panel-tab-transcript').click();
    await screenshot('request-review.png');
  });

  it("shows T2's QA hint on the failing test's result, with the tokens it saved", async () => {
    const result = page.locator(byTest('block-tool-result', { qa: 'true' })).first();
    await result.waitFor({ state: 'visible', ...LONG });
    const hint = result.getByTestId('qa-hint');
    expect(await hint.textContent()).toContain('QA hint');
    expect(await hint.getByTestId('qa-hint-text').textContent()).toContain('expects TypeError, but addItem throws RangeError');
    await expect.poll(() => hint.getAttribute('data-saved'), WAIT).toMatch(/^\d+$/);
    expect(await hint.getByTestId('qa-saved').textContent()).toMatch(/^saved \d+ tokens?$/);
    await result.screenshot({ path: join(artefacts, 'request-qa-hint.png') });
  });

  it('watches the run finish: every ticket completed, tokens per tier and the QA hint counted', async () => {
    await shows(page, 'run-status', { run: 'done' });
    await shows(page, 'count-completed', { count: '4' });
    for (const id of ['T1', 'T2', 'T3', 'T4']) await shows(page, `ticket-node-${id}`, { status: 'completed' });
    await shows(page, 'run-summary', { run: 'done' });
    await page.getByTestId('usage-total').click();
    const table = await shows(page, 'usage-table');
    const tiers = await table.getByTestId('usage-tier').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-tier')));
    expect(tiers).toEqual(['1', '2', '3', '4']);
    const qa = table.getByTestId('usage-qa');
    expect(await qa.getAttribute('data-hints')).toBe('1');
    expect(Number(await qa.getAttribute('data-saved'))).toBeGreaterThan(0);
    expect(await page.getByTestId('usage-total').getAttribute('title')).toMatch(/tier 4 \(QA\): .*\n1 QA hint, saved \d+ tokens/);
    await shows(page, 'run-summary-helper-T2@review');
    expect(readFileSync(join(demo.server.hub.session.workspace, 'src/checkout.js'), 'utf8')).not.toContain("throw new Error('not implemented')");
  });
});
