import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { byTest, WAIT } from './workbench-helpers.js';

/**
 * A merge conflict in the browser, against the real server and engine: tickets A and B run side
 * by side (auto trust, async, max_concurrency 2), each in its own git worktree, and both rewrite
 * line 2 of shared.txt. A has fewer turns and merges first; B's merge conflicts and blocks it. The
 * page shows B's reason naming the file, B's own diff, the run's diff with A's change, and after
 * Retry, B completed on top of A. The tests run in order on one page.
 */
const fixture = resolve(import.meta.dirname, '../fixtures/worktree-conflict');
const artefacts = resolve(import.meta.dirname, '../../test-results');

let demo: DemoServer;
let browser: Browser;
let page: Page;

async function shows(id: string, attributes: Record<string, string> = {}): Promise<Locator> {
  const locator = page.locator(byTest(id, attributes)).first();
  await locator.waitFor({ state: 'visible', ...WAIT });
  return locator;
}

/** The text of a patch's blocks of one kind ("add", "del", "hunk"…), in order. */
function runs(patch: Locator, kind: string): Promise<string[]> {
  return patch.locator(`.patch-run[data-kind="${kind}"]`).allTextContents();
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, name), fullPage: true });
}

beforeAll(async () => {
  demo = await startDemoServer({ config: join(fixture, 'agents.toml'), track: join(fixture, 'track.toml') });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('a merge conflict between two parallel tickets, in the web app', () => {
  it('says the run uses worktrees, with no unsandboxed warning', async () => {
    expect(await (await shows('isolation')).textContent()).toBe('worktrees');
    expect(await page.getByTestId('sandbox-warning').count()).toBe(0);
  });

  it('shows B blocked by the conflict, its reason naming the file on the card and in the panel', async () => {
    await shows('ticket-node-A', { status: 'completed' });
    await shows('ticket-node-B', { status: 'blocked' });
    const card = await shows('ticket-reason-B', { conflict: 'true' });
    expect(await card.textContent()).toBe('merge conflict in shared.txt');
    expect(await card.getAttribute('title')).toBe(
      `merge conflict with clutch/${demo.session.run_id}/integration in shared.txt; retry runs the ticket again on a fresh worktree from the current integration branch`,
    );

    await page.getByTestId('ticket-node-B').click();
    await shows('worker-panel', { ticket: 'B' });
    const reason = await shows('panel-blocked-reason');
    expect(await reason.textContent()).toBe(`Blocked: merge conflict with clutch/${demo.session.run_id}/integration in shared.txt; retry runs the ticket again on a fresh worktree from the current integration branch`);
    expect(await page.getByTestId('panel-conflict-file').allTextContents()).toEqual(['shared.txt']);
    // The run's workspace (the integration branch) has A's line only.
    expect(readFileSync(join(demo.session.workspace, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 by A\nline 3\n');
    await screenshot('worktree-conflict-blocked.png');
  });

  it("opens B's diff: its worktree's change against the commit it started from", async () => {
    await page.getByTestId('panel-conflict-show-diff').click();
    expect(await page.getByTestId('panel-tab-diff').getAttribute('aria-selected')).toBe('true');
    const panel = await shows('ticket-diff', { state: 'ok', ticket: 'B' });
    const patch = panel.getByTestId('patch-view');
    await shows('patch-file', { path: 'shared.txt', status: 'M' });
    expect(await runs(patch, 'add')).toEqual(['+line 2 by B']);
    expect(await runs(patch, 'del')).toEqual(['-line 2']);
    expect(await runs(patch, 'hunk')).toEqual(['@@ -1,3 +1,3 @@']);
    // The colours come from the stylesheet: an added line is green, a removed one red.
    const colour = (kind: string) => patch.locator(`.patch-run[data-kind="${kind}"]`).first().evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(await colour('add')).toBe('rgb(230, 255, 236)');
    expect(await colour('del')).toBe('rgb(255, 235, 233)');
    // Refresh asks again and shows the same diff.
    await page.getByTestId('ticket-diff-refresh').click();
    await shows('ticket-diff', { state: 'ok', ticket: 'B', refreshing: 'false' });
    expect(await runs(patch, 'add')).toEqual(['+line 2 by B']);
    await screenshot('worktree-conflict-ticket-diff.png');
  });

  it("opens the run diff from the board: everything merged so far, A's change and not B's", async () => {
    await page.getByTestId('board-run-diff').click();
    expect(await page.getByTestId('tab-diff').getAttribute('aria-selected')).toBe('true');
    const panel = await shows('run-diff', { state: 'ok' });
    const patch = panel.getByTestId('patch-view');
    expect(await patch.getByTestId('patch-file').evaluateAll((items) => items.map((item) => `${item.getAttribute('data-status')} ${item.getAttribute('data-path')}`))).toEqual([
      'M shared.txt',
    ]);
    expect(await runs(patch, 'add')).toEqual(['+line 2 by A']);
    expect(await patch.textContent()).not.toContain('by B');
    await screenshot('worktree-conflict-run-diff.png');
  });

  it('retries B: it completes on top of A, and both diffs follow without a Refresh', async () => {
    await page.getByTestId('tab-run').click();
    await shows('worker-panel', { ticket: 'B' });
    // The Diff tab stayed chosen; B's first attempt is still shown until the retry changes it.
    await shows('ticket-diff', { state: 'ok', ticket: 'B' });
    await (await shows('ticket-retry-B')).click();
    await shows('ticket-node-B', { status: 'completed' });
    await shows('run-status', { run: 'done' });
    await shows('count-completed', { count: '2' });
    expect(readFileSync(join(demo.session.workspace, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 by A and B\nline 3\n');

    // The status change asked for the diff again: B's second attempt, from the integration branch.
    const patch = page.getByTestId('ticket-diff').getByTestId('patch-view');
    await expect.poll(() => runs(patch, 'add'), WAIT).toEqual(['+line 2 by A and B']);
    expect(await runs(patch, 'del')).toEqual(['-line 2 by A']);
    expect(await page.getByTestId('panel-blocked-reason').count()).toBe(0);

    await page.getByTestId('tab-diff').click();
    const run = page.getByTestId('run-diff').getByTestId('patch-view');
    await expect.poll(() => runs(run, 'add'), WAIT).toEqual(['+line 2 by A and B']);
    expect(await runs(run, 'del')).toEqual(['-line 2']);
    await screenshot('worktree-conflict-retried.png');
  });
});
