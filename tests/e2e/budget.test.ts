import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { BudgetStop } from '../../src/protocol/index.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { byTest, WAIT } from './workbench-helpers.js';

/**
 * The budget pause in the browser, against the real server and engine: two tickets on the scripted
 * model, an auto archetype whose max_tokens_per_ticket (10) the first model turn already spends, and
 * a run budget (max_cost_per_run) the free scripted model never reaches. Both tickets stop at their
 * budget pause after their first turn. T1's card shows the spend; a raise below it is refused with
 * the engine's message, shown inline; the prefilled raise (twice the spend) lets T1 finish. T2 is
 * aborted from the inbox and blocks with the spend in its reason. The tests run in order on one page.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const LIMIT = 10;

let fixture: string;
let demo: DemoServer;
let browser: Browser;
let page: Page;
const journal: JournalEntry[] = [];
/** Every message the page sent on its socket. */
const sent: { type?: string; target?: unknown; command?: { type: string; pause?: unknown; max_tokens?: number } }[] = [];

async function shows(id: string, attributes: Record<string, string> = {}): Promise<Locator> {
  const locator = page.locator(byTest(id, attributes)).first();
  await locator.waitFor({ state: 'visible', ...WAIT });
  return locator;
}

const count = (tokens: number) => tokens.toLocaleString('en-US');
const stopOf = (ticket: string): BudgetStop => demo.engine.worker(ticket)!.getSnapshot().context.budget.stop!;
const budgetCommands = (ticket: string) => sent.filter((message) => message.type === 'command' && JSON.stringify(message.target) === JSON.stringify({ kind: 'worker', id: ticket }));

/** Writes the track, its agents.toml, its script and its workspace in a folder of their own. */
function writeFixture(dir: string): void {
  mkdirSync(join(dir, 'workspace'), { recursive: true });
  writeFileSync(join(dir, 'workspace', 'README.md'), 'A workspace for the budget test.\n');
  writeFileSync(
    join(dir, 'agents.toml'),
    [
      '[execution]',
      'mode = "async"',
      'max_concurrency = 2',
      'trust_override = "none"',
      'debug_state_path = "debug_state.json"',
      'max_cost_per_run = 5',
      '',
      '[models.scripted]',
      'provider = "scripted"',
      'script = "script.json"',
      '',
      '[agents.codegen]',
      'tier = 3',
      'model = "scripted"',
      'trust_level = "auto"',
      'tools = ["read_file", "write_file", "task_complete"]',
      'max_turns = 6',
      `max_tokens_per_ticket = ${LIMIT}`,
      'system_prompt = "You write the file the ticket names."',
      '',
    ].join('\n'),
  );
  const ticketToml = (id: string, file: string) =>
    ['[[tickets]]', `id = "${id}"`, `target_file = "${file}"`, `prompt = "Write ${file}."`, 'worker_archetype = "codegen"', 'dependencies = []', ''].join('\n');
  writeFileSync(
    join(dir, 'track.toml'),
    ['[track]', 'id = "budget"', 'title = "Two tickets on a tiny budget"', 'description = "Each ticket spends its token budget on its first turn."', 'workspace = "workspace"', '', ticketToml('T1', 'one.txt'), ticketToml('T2', 'two.txt')].join('\n'),
  );
  const replies = (id: string, file: string) => [
    { role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${id}_01`, name: 'write_file', input: { path: file, content: `${file} by ${id}\n` } }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${id}_02`, name: 'task_complete', input: { summary: `${id} wrote ${file}` } }] },
  ];
  writeFileSync(join(dir, 'script.json'), JSON.stringify({ version: 1, tickets: { T1: replies('T1', 'one.txt'), T2: replies('T2', 'two.txt') } }, null, 2));
}

beforeAll(async () => {
  fixture = mkdtempSync(join(tmpdir(), 'clutch-e2e-budget-fixture-'));
  writeFixture(fixture);
  demo = await startDemoServer({ config: join(fixture, 'agents.toml'), track: join(fixture, 'track.toml') });
  demo.engine.journal.subscribe((entry) => journal.push(entry));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      try {
        sent.push(JSON.parse(String(payload)) as (typeof sent)[number]);
      } catch {
        // not JSON: nothing the app sends
      }
    }),
  );
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  if (fixture) rmSync(fixture, { recursive: true, force: true });
});

describe('the budget pause in the web app', () => {
  it('stops both tickets at their budget pause; the inbox lists them as budget pauses, with nothing to approve in bulk', async () => {
    for (const id of ['T1', 'T2']) {
      await shows(`inbox-item-${id}`, { pause: 'budget', call: 'budget-1' });
      await shows(`ticket-node-${id}`, { status: 'step_paused' });
      expect(await page.getByTestId(`inbox-item-${id}`).locator('.pause-badge').textContent()).toBe('Budget pause');
      expect(await page.getByTestId(`inbox-budget-scope-${id}`).textContent()).toBe('ticket budget');
      expect(await page.getByTestId(`inbox-item-${id}`).locator('.inbox-gist').textContent()).toBe(stopOf(id).reason);
      expect(await page.getByTestId(`inbox-approve-${id}`).count()).toBe(0);
      expect(await (await shows(`ticket-pause-${id}`, { pause: 'budget' })).textContent()).toBe(`Budget pause · ${count(stopOf(id).spent.tokens)} of ${LIMIT} tokens`);
    }
    expect(await page.getByTestId('approve-read-only').count()).toBe(0);
    expect(journal.filter((entry) => entry.kind === 'budget.pause').map((entry) => entry.kind === 'budget.pause' && entry.ticket).sort()).toEqual(['T1', 'T2']);
    // The run's cost against max_cost_per_run, in the global bar: the scripted model is free.
    expect(await (await shows('run-budget', { reached: 'false' })).textContent()).toBe('run budget $0.0000 of $5.00');
  });

  it("shows T1's card: the reason, the spend against the limit, the ticket's budget, a raise prefilled with twice the spend", async () => {
    await page.getByTestId('ticket-node-T1').click();
    const card = await shows('pause-budget', { ticket: 'T1', armed: 'true' });
    const stop = stopOf('T1');
    expect(stop).toMatchObject({ scope: 'ticket', ticket: 'T1', reached: 'tokens', limits: { max_tokens: LIMIT } });
    expect(await card.getAttribute('data-call')).toBe('budget-1');
    expect(await card.getAttribute('data-scope')).toBe('ticket');
    expect(await card.getByTestId('budget-title').textContent()).toBe("T1's budget is spent");
    expect(await card.getByTestId('budget-scope').textContent()).toBe('ticket budget');
    expect(await card.getByTestId('budget-reason').textContent()).toBe(stop.reason);
    expect(stop.reason).toContain(`T1 spent ${count(stop.spent.tokens)} tokens`);
    expect(await card.getByTestId('budget-spent').textContent()).toBe(`${count(stop.spent.tokens)} tokens · $0.0000`);
    expect(await card.getByTestId('budget-limit').textContent()).toBe(`${LIMIT} tokens (reached)`);
    expect(await card.getByTestId('raise-input').inputValue()).toBe(String(2 * stop.spent.tokens));
    expect(await card.getByTestId('raise-budget').isEnabled()).toBe(true);
    expect(await card.getByTestId('abort').isEnabled()).toBe(true);
    // The panel: its status, and the ticket's spend against its budget on its usage line.
    expect(await page.getByTestId('panel-status').getAttribute('data-label')).toBe('budget pause');
    expect(await page.getByTestId('worker-state').textContent()).toBe('Budget pause: raise the budget or abort');
    const budget = await shows('ticket-budget', { reached: 'tokens' });
    expect(await budget.textContent()).toBe(` · budget ${count(stop.spent.tokens)} of ${LIMIT} tokens`);
    expect(await page.getByTestId('ticket-usage').textContent()).toMatch(/^tier 3 · \S+ in · \S+ out · \$0\.0000 · budget /);
  });

  it('keeps the budget pauses waiting through a switch of the trust override to auto', async () => {
    await page.getByTestId('override-auto').click();
    // Nothing to approve: no question is asked, and the override is auto.
    await page.locator('[data-testid="override"][data-current="auto"]').waitFor(WAIT);
    expect(await page.getByTestId('override-confirm').count()).toBe(0);
    await shows('pause-budget', { ticket: 'T1', call: 'budget-1' });
    for (const id of ['T1', 'T2']) expect(demo.engine.worker(id)!.getSnapshot().value).toBe('budgetPaused');
    expect(journal.filter((entry) => entry.kind === 'auto_approve')).toEqual([]);
    await page.getByTestId('override-none').click();
    await page.locator('[data-testid="override"][data-current="none"]').waitFor(WAIT);
  });

  it("refuses a raise that is not above the spend, and shows the engine's refusal inline; nothing changes", async () => {
    const card = await shows('pause-budget', { ticket: 'T1', armed: 'true' });
    const stop = stopOf('T1');
    const input = card.getByTestId('raise-input');
    // `e` puts the cursor in the new limit (the keys then type); Escape leaves it for the card.
    await page.keyboard.press('e');
    await expect.poll(() => input.evaluate((element) => element === document.activeElement), WAIT).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => card.evaluate((element) => element === document.activeElement), WAIT).toBe(true);
    // `a` has nothing to approve here.
    await page.keyboard.press('a');
    expect(await (await shows('key-note')).textContent()).toBe('This pause has nothing to approve');
    // Not a number: the button says why it cannot send, and sends nothing.
    await input.fill('');
    expect(await card.getByTestId('raise-budget').isDisabled()).toBe(true);
    expect(await card.getByTestId('raise-invalid').textContent()).toBe('Type the new token limit');

    await input.fill(String(LIMIT + 1));
    await card.getByTestId('raise-budget').click();
    const refusal = await shows('pause-refusal', { ticket: 'T1' });
    expect(await refusal.textContent()).toContain(
      `worker:T1 refuses clutch.raise_budget: max_tokens ${LIMIT + 1} is not above the ${count(stop.spent.tokens)} tokens spent; nothing changed`,
    );
    // Inline: inside the card, under its field.
    expect(await card.getByTestId('pause-refusal').count()).toBe(1);
    expect(budgetCommands('T1').at(-1)?.command).toEqual({ type: 'clutch.raise_budget', pause: { kind: 'budget', tool_use_id: 'budget-1' }, max_tokens: LIMIT + 1 });
    expect(journal.filter((entry) => entry.kind === 'budget.raised')).toEqual([]);
    expect(demo.engine.worker('T1')!.getSnapshot().value).toBe('budgetPaused');
    expect(await input.inputValue()).toBe(String(LIMIT + 1));

    mkdirSync(artefacts, { recursive: true });
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: join(artefacts, 'budget-pause-card.png') });
    await page.screenshot({ path: join(artefacts, 'budget-pause.png'), fullPage: true });
  });

  it('lets T1 finish once the raise is above the spend (twice it, typed and sent with Enter)', async () => {
    const card = await shows('pause-budget', { ticket: 'T1', armed: 'true' });
    const raised = 2 * stopOf('T1').spent.tokens;
    await card.getByTestId('raise-input').fill(String(raised));
    await card.getByTestId('raise-input').press('Enter');
    await shows('ticket-node-T1', { status: 'completed' });
    // Focus moves on to the pause that waits next (T2's); T1's panel shows it done, with no pause left.
    await shows('worker-panel', { ticket: 'T2' });
    await page.getByTestId('ticket-node-T1').click();
    await shows('worker-panel', { ticket: 'T1' });
    expect(await (await shows('panel-summary')).textContent()).toBe('Done: T1 wrote one.txt');
    expect(await page.getByTestId('pause-budget').count()).toBe(0);
    expect(await page.getByTestId('pause-refusal').count()).toBe(0);
    expect(journal.filter((entry) => entry.kind === 'budget.raised')).toEqual([expect.objectContaining({ ticket: 'T1', scope: 'ticket', limits: { max_tokens: raised } })]);
    expect(budgetCommands('T1').at(-1)?.command).toEqual({ type: 'clutch.raise_budget', pause: { kind: 'budget', tool_use_id: 'budget-1' }, max_tokens: raised });
    expect(demo.fileOf('T1', 'one.txt')).toBe('one.txt by T1\n');
    // The usage line now measures the spend (its last turn included) against the raised budget.
    const spent = demo.engine.budgetOf('T1').spent.tokens;
    expect(spent).toBeGreaterThan(stopOf('T2').spent.tokens);
    await expect.poll(() => page.getByTestId('ticket-budget').textContent(), WAIT).toBe(` · budget ${count(spent)} of ${count(raised)} tokens`);
    expect(await page.getByTestId('ticket-budget').getAttribute('data-reached')).toBe(spent >= raised ? 'tokens' : '');
  });

  it('aborts T2 at its budget pause from the inbox: T2 blocks, its reason carrying the spend', async () => {
    const item = await shows('inbox-item-T2', { pause: 'budget', armed: 'true' });
    const stop = stopOf('T2');
    expect(await item.getByTestId('inbox-budget-spent-T2').textContent()).toBe(`spent ${count(stop.spent.tokens)} tokens · $0.0000`);
    expect(await item.getByTestId('inbox-raise-input-T2').inputValue()).toBe(String(2 * stop.spent.tokens));
    await item.getByTestId('inbox-abort-T2').click();
    await shows('ticket-node-T2', { status: 'blocked' });
    const reason = `aborted by the human at the budget pause: ${stop.reason}`;
    expect(await (await shows('ticket-reason-T2')).textContent()).toBe(reason);
    expect(budgetCommands('T2').at(-1)?.command).toEqual({ type: 'clutch.abort', pause: { kind: 'budget', tool_use_id: 'budget-1' } });
    await page.getByTestId('ticket-node-T2').click();
    expect(await (await shows('panel-blocked-reason')).textContent()).toBe(`Blocked: ${reason}`);
    expect(reason).toContain(`T2 spent ${count(stop.spent.tokens)} tokens`);
  });

  it("ends the run stalled, with each ticket's budget beside its spend in the summary", async () => {
    await shows('run-summary', { run: 'stalled' });
    const t1 = demo.engine.budgetOf('T1');
    const t2 = demo.engine.budgetOf('T2');
    const t1Reached = t1.spent.tokens >= t1.limits.max_tokens! ? 'tokens' : '';
    expect(await (await shows('run-summary-budget-T1', { reached: t1Reached })).textContent()).toBe(`budget ${count(t1.spent.tokens)} of ${count(t1.limits.max_tokens!)} tokens`);
    expect(await (await shows('run-summary-budget-T2', { reached: 'tokens' })).textContent()).toBe(`budget ${count(t2.spent.tokens)} of ${LIMIT} tokens`);
    expect(await (await shows('run-summary-run-budget')).textContent()).toBe('run budget $0.0000 of $5.00');
  });
});
