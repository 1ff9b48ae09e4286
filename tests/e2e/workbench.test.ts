import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseNow } from '../../src/actors/pause-check.js';
import type { Command, PauseRef } from '../../src/protocol/index.js';
import { machines } from '../../src/ui/inspector/machines.js';
import { statechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';

/**
 * The app as a workbench, on a 1366×768 laptop screen, against the real server and engine on the
 * demo track (step mode): the Inspector opened straight from its address, the compact statechart,
 * the activity feed, edits marked in the transcript, Retry's choice about the files, the run's end
 * summary, and a second run started from the app. Some answers come from the engine directly (as
 * another tab or the CLI would send them), so the page is seen catching up with them. The tests
 * run in order on one page.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const demoWorkspace = resolve(import.meta.dirname, '../../demo/workspace');
const WAIT = { timeout: 20_000 };

let demo: DemoServer;
let browser: Browser;
let page: Page;

const byTest = (id: string, attributes: Record<string, string> = {}) =>
  `[data-testid="${id}"]${Object.entries(attributes).map(([name, value]) => `[data-${name}="${value}"]`).join('')}`;

async function shows(id: string, attributes: Record<string, string> = {}) {
  const locator = page.locator(byTest(id, attributes)).first();
  await locator.waitFor({ state: 'visible', ...WAIT });
  return locator;
}

async function screenshot(name: string, element?: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  if (element) {
    await page.locator(element).first().screenshot({ path: join(artefacts, name) });
    return;
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, name) });
}

/** Where T1's worker waits now, as the engine has it. */
function pauseOfT1(): PauseRef | null {
  const worker = demo.engine.worker('T1');
  return worker ? pauseNow(worker.getSnapshot()) : null;
}

/**
 * Answers T1's pause `kind` of `call` from the engine side. Polled: at pause 1 the preview may
 * still be under way, and a command the worker does not accept yet is refused, changing nothing.
 */
async function answer(kind: PauseRef['kind'], call: string, command: Record<string, unknown> & { type: string }): Promise<void> {
  await expect.poll(() => pauseOfT1(), WAIT).toEqual({ kind, tool_use_id: call });
  await expect.poll(() => demo.engine.send({ kind: 'worker', id: 'T1' }, { ...command, pause: { kind, tool_use_id: call } } as Command).ok, WAIT).toBe(true);
}

beforeAll(async () => {
  // Shared isolation: the retry dialog's restore/keep choice is about files in the one shared workspace.
  demo = await startDemoServer({ trust: 'step', isolation: 'shared' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('the workbench on a laptop screen', () => {
  it('opens #inspector straight from the address on the paused worker, not the conductor', async () => {
    await page.goto(`${demo.server.url}#inspector`);
    await shows('inspector');
    await shows('diagram-panel', { actor: 'worker:T1' });
    await shows('statechart', { actor: 'worker:T1' });
    expect(await page.locator(byTest('actor-row', { actor: 'worker:T1' })).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('tab-inspector').getAttribute('aria-selected')).toBe('true');
  });

  it("draws the worker's statechart compact by default, readable at Fit; the toggle shows the whole machine", async () => {
    const compact = await shows('statechart', { actor: 'worker:T1', compact: 'true', stale: 'false' });
    // At pause 1: the tool cycle and its awaitingApproval are open, prompting and the other top states are single boxes.
    await page.locator(`${byTest('statechart')} [data-state-id="worker.toolCycle.awaitingApproval.ready"][data-active="true"]`).waitFor({ state: 'attached', ...WAIT });
    const scale = await compact.evaluate((svg) => Number(svg.getAttribute('width')) / Number(svg.getAttribute('viewBox')!.split(' ')[2]));
    expect(scale).toBeGreaterThanOrEqual(0.8);
    const full = statechartGraph(machines.worker);
    const quiet = await page.locator(`${byTest('statechart')} .sc-edge.quiet`).count();
    expect(quiet).toBeGreaterThan(0);
    await screenshot('workbench-inspector-compact.png');

    await page.getByTestId('compact-toggle').uncheck();
    await shows('statechart', { actor: 'worker:T1', compact: 'false' });
    await expect.poll(() => page.locator(`${byTest('statechart')} ${byTest('state-node')}`).count(), WAIT).toBe(full.nodes.length);
    expect(await page.locator(`${byTest('statechart')} .sc-edge.quiet`).count()).toBe(0);
    await page.getByTestId('compact-toggle').check();
    await shows('statechart', { actor: 'worker:T1', compact: 'true' });
  });

  it('feeds the activity of every agent: tools with their duration, the human answers, the running time of the ticket', async () => {
    await page.getByTestId('tab-run').click();
    // The board is ELK's (edges routed around the cards), not the first paint's columns.
    await shows('track-board', { layout: 'elk' });
    expect(await page.locator('[data-testid^="edge-"]').count()).toBe(4);
    await shows('inbox-item-T1', { pause: 'approval', call: 'toolu_T1_01' });
    await page.getByTestId('inbox-approve-T1').click();
    const tool = await shows('activity-item', { kind: 'tool', call: 'toolu_T1_01', state: 'done' });
    expect(await tool.textContent()).toMatch(/read_file src\/money\.js · done in [\d.]+ (ms|s)/);
    await page.locator(byTest('activity-item', { kind: 'human', ticket: 'T1' }), { hasText: 'approved at pause 1 (approval) of toolu_T1_01' }).first().waitFor(WAIT);
    await page.locator(byTest('activity-item', { kind: 'status', ticket: 'T1' }), { hasText: 'paused' }).first().waitFor(WAIT);
    expect(await (await shows('ticket-time-T1')).textContent()).toMatch(/^[\d.]+ (ms|s|min)/);
  });

  it('marks every human edit in the transcript; the mark opens the original beside the edit, from the journal', async () => {
    // Pause 2 of the first read: the result is edited, then approved (the engine side: another tab).
    await answer('review', 'toolu_T1_01', { type: 'clutch.edit_result', output: 'export function toCents() {} // edited by the workbench test' });
    await answer('review', 'toolu_T1_01', { type: 'clutch.approve' });
    // Pause 1 of the second read: it reads the module again instead of the test.
    await answer('approval', 'toolu_T1_02', { type: 'clutch.edit_payload', input: { path: 'src/money.js' } });
    await answer('approval', 'toolu_T1_02', { type: 'clutch.approve' });
    await shows('inbox-item-T1', { pause: 'review', call: 'toolu_T1_02' });

    await page.getByTestId('ticket-node-T1').click();
    const call = await shows('block-tool-use', { call: 'toolu_T1_02' });
    await call.getByTestId('edited-mark').click();
    const compare = call.getByTestId('edit-compare');
    await compare.waitFor(WAIT);
    await call.locator(byTest('edit-compare', { source: 'journal' })).waitFor(WAIT);
    expect(JSON.parse((await compare.getByTestId('edit-original').textContent())!)).toEqual({ path: 'test/money.test.js' });
    expect(JSON.parse((await compare.getByTestId('edit-replacement').textContent())!)).toEqual({ path: 'src/money.js' });

    const result = page.locator(byTest('block-tool-result', { call: 'toolu_T1_01' })).first();
    await result.getByTestId('edited-mark').click();
    await result.locator(byTest('edit-compare', { source: 'journal' })).waitFor(WAIT);
    expect(await result.getByTestId('edit-original').textContent()).toContain('toCents');
    expect(await result.getByTestId('edit-replacement').textContent()).toBe('export function toCents() {} // edited by the workbench test');
    // A block nobody edited has no mark.
    expect(await page.locator(byTest('block-tool-use', { call: 'toolu_T1_01' })).getByTestId('edited-mark').count()).toBe(0);
    await page.locator(byTest('activity-item', { kind: 'human' }), { hasText: 'edited the payload at pause 1 (approval) of toolu_T1_02' }).first().waitFor(WAIT);
    await screenshot('workbench-activity-feed.png', byTest('activity-feed'));
    await screenshot('workbench-edited-marks.png', byTest('worker-panel'));
  });

  it("asks on Retry what to do with the files the aborted attempt changed, and restores them", async () => {
    await answer('review', 'toolu_T1_02', { type: 'clutch.approve' });
    await answer('approval', 'toolu_T1_03', { type: 'clutch.approve' });
    await answer('review', 'toolu_T1_03', { type: 'clutch.approve' });
    expect(readFileSync(join(demo.workspace, 'src/money.js'), 'utf8')).not.toBe(readFileSync(join(demoWorkspace, 'src/money.js'), 'utf8'));
    await answer('approval', 'toolu_T1_04', { type: 'clutch.abort', reason: 'stopped by the workbench test' });
    await shows('ticket-node-T1', { status: 'blocked' });

    const retry = await shows('ticket-retry-T1', { changed: '1' });
    await retry.click();
    const dialog = await shows('retry-dialog', { ticket: 'T1' });
    expect(await dialog.getByTestId('retry-file').allTextContents()).toEqual(['src/money.js']);
    expect(await dialog.getByTestId('retry-commands-note').textContent()).toContain('Commands the ticket ran (run_command) may have changed other files too');
    await screenshot('workbench-retry-dialog.png');
    await dialog.getByTestId('retry-restore').click();
    await page.getByTestId('retry-dialog').waitFor({ state: 'detached', ...WAIT });
    await shows('inbox-item-T1', { pause: 'approval', call: 'toolu_T1_01' });
    expect(await page.getByTestId('worker-panel').textContent()).toContain('attempt 2');
    expect(readFileSync(join(demo.workspace, 'src/money.js'), 'utf8')).toBe(readFileSync(join(demoWorkspace, 'src/money.js'), 'utf8'));
    await page.locator(byTest('activity-item', { kind: 'files', ticket: 'T1' }), { hasText: 'restored src/money.js before the retry' }).first().waitFor(WAIT);
  });

  it('says when the run has ended, with the summary table, and offers another run', async () => {
    expect(demo.engine.send({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' })).toEqual({ ok: true });
    // A pause already waiting is released by the switch; should one still wait, it is approved here.
    await expect
      .poll(() => {
        const pause = pauseOfT1();
        if (pause) demo.engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve', pause });
        return page.locator(byTest('run-summary', { run: 'done' })).count();
      }, { timeout: 60_000 })
      .toBe(1);
    const summary = await shows('run-summary', { run: 'done' });
    expect(await summary.getByTestId('run-summary-title').textContent()).toContain('The run is done');
    for (const id of ['T1', 'T2', 'T3', 'T4']) await shows(`run-summary-row-${id}`, { status: 'completed' });
    expect(await page.getByTestId('run-summary-row-T1').locator('td').nth(2).textContent()).toBe('2');
    expect(await page.getByTestId('run-summary-row-T4').textContent()).toMatch(/tier \d · [\d.]+k? in · [\d.]+k? out · \$0\.0000/);
    await shows('run-summary-total');
    await screenshot('workbench-run-summary.png');
  });

  it('starts a second run from the app: the page reconnects into it and sees it run', async () => {
    const first = demo.session.run_id;
    await page.getByTestId('run-summary-new-run').click();
    const dialog = await shows('new-run-dialog', { state: 'ok' });
    const demoTrack = dialog.locator(byTest('new-run-track')).filter({ hasText: 'track.toml' }).filter({ hasText: '(demo)' }).first();
    await demoTrack.locator('input').check();
    await dialog.getByTestId('new-run-mode-linear').check();
    await dialog.getByTestId('new-run-trust-step').check();
    await screenshot('workbench-new-run-dialog.png');
    await dialog.getByTestId('new-run-start').click();

    // The server switched runs: the page is in the new one, fresh, in linear mode and step trust.
    await page.getByTestId('new-run-dialog').waitFor({ state: 'detached', ...WAIT });
    await shows('mode', { current: 'linear' });
    await shows('override', { current: 'step' });
    await shows('inbox-item-T1', { pause: 'approval', call: 'toolu_T1_01' });
    expect(await page.getByTestId('run-summary').count()).toBe(0);
    await shows('run-status', { run: 'running' });
    await page.getByTestId('inbox-approve-T1').click();
    await shows('inbox-item-T1', { pause: 'review', call: 'toolu_T1_01' });
    await shows('activity-item', { kind: 'tool', call: 'toolu_T1_01', state: 'done' });

    await page.getByTestId('tab-runs').click();
    await shows('runs-view', { state: 'ok' });
    const current = page.locator(byTest('run-current')).locator('xpath=ancestor::tr');
    const id = await current.getAttribute('data-testid');
    expect(id).not.toBe(`run-row-${first}`);
    await shows(`run-row-${first}`, { current: 'false', status: 'done' });
    expect(await page.locator('[data-testid^="run-row-"]').count()).toBe(2);
    await screenshot('workbench-second-run.png');
  });
});
