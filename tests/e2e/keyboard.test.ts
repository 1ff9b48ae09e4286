import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { editorText, shows, WAIT } from './workbench-helpers.js';

/**
 * The demo run (step mode) answered with the keyboard alone: no click from the first pause to the
 * end of the run. Focus follows the work, `a` approves, `e` and Escape enter and leave an editor,
 * `j`/`k` move through the inbox, `?` lists the keys.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');

let demo: DemoServer;
let browser: Browser;
let page: Page;

interface Shown {
  kind: string;
  call: string;
  ticket: string;
}

/** The pause card in focus once it takes answers: its kind, call and ticket, or null when the run is done. */
async function nextArmedPause(): Promise<Shown | null> {
  const handle = await page.waitForFunction(
    () => {
      const card = document.querySelector('[data-testid="worker-panel"] [data-pause-card][data-armed="true"]');
      if (card) return { kind: card.getAttribute('data-testid')!, call: card.getAttribute('data-call')!, ticket: card.getAttribute('data-ticket')! };
      return document.querySelector('[data-testid="run-status"][data-run="done"]') ? 'done' : false;
    },
    undefined,
    WAIT,
  );
  const value = (await handle.jsonValue()) as Shown | 'done';
  return value === 'done' ? null : value;
}

/** Presses `a` on the pause in focus and waits until that pause has gone. */
async function approveWithKey(pause: Pick<Shown, 'kind' | 'call'>): Promise<void> {
  await page.keyboard.press('a');
  await page
    .locator(`[data-testid="worker-panel"] [data-testid="${pause.kind}"][data-call="${pause.call}"]`)
    .waitFor({ state: 'detached', ...WAIT });
}

/**
 * Answers every pause in focus with `a` (only this ticket's, if given: its worker's and its
 * reviewer's, `T1@review`, whose verdict stops in the same panel) until the run ends; returns the
 * calls answered.
 */
async function approveAll(ticket?: string): Promise<string[]> {
  const answered: string[] = [];
  for (;;) {
    const pause = await nextArmedPause();
    if (!pause || (ticket !== undefined && pause.ticket !== ticket && pause.ticket !== `${ticket}@review`)) break;
    await approveWithKey(pause);
    answered.push(`${pause.kind}:${pause.call}`);
  }
  return answered;
}

const focusedTestId = () => page.evaluate(() => document.activeElement?.closest('[data-testid]')?.getAttribute('data-testid') ?? null);
const statusOf = (ticket: string) => page.getByTestId(`ticket-node-${ticket}`).getAttribute('data-status');

beforeAll(async () => {
  demo = await startDemoServer({ trust: 'step' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('the keyboard', () => {
  it('lists the keys with ?, and Escape closes the list', async () => {
    await shows(page, 'pause-approval', { call: 'toolu_T1_01', armed: 'true' });
    // The pause that needs an answer has the focus.
    expect(await focusedTestId()).toBe('pause-approval');
    await page.keyboard.press('?');
    const help = await shows(page, 'keyboard-help');
    for (const key of ['a', 'e', 'x', 'j', 'k', '?', 'Esc']) expect(await help.locator('kbd', { hasText: new RegExp(`^${key.replace('?', '\\?')}$`) }).count(), key).toBe(1);
    mkdirSync(artefacts, { recursive: true });
    await page.screenshot({ path: join(artefacts, 'keyboard-help.png') });
    // While the list is open, the answer keys do nothing.
    await page.keyboard.press('a');
    await shows(page, 'pause-approval', { call: 'toolu_T1_01' });
    await page.keyboard.press('Escape');
    await page.getByTestId('keyboard-help').waitFor({ state: 'detached', ...WAIT });
  });

  it('answers T1 with `a` alone, pause after pause, to its end', async () => {
    const answered = await approveAll('T1');
    expect(await statusOf('T1')).toBe('completed');
    expect(answered).toEqual([
      'pause-approval:toolu_T1_01',
      'pause-review:toolu_T1_01',
      'pause-approval:toolu_T1_02',
      'pause-review:toolu_T1_02',
      'pause-approval:toolu_T1_03',
      'pause-review:toolu_T1_03',
      'pause-approval:toolu_T1_04',
      'pause-review:toolu_T1_04',
      'pause-approval:toolu_T1_05',
      // The code review's verdict (the tech lead on step trust), in T1's panel.
      'pause-approval:toolu_review_01',
    ]);
  });

  it('moves focus to the next pause once T1 is done; j and k move through the inbox', async () => {
    await shows(page, 'inbox-item-T2', { pause: 'approval' });
    await shows(page, 'inbox-item-T3', { pause: 'approval' });
    await shows(page, 'worker-panel', { ticket: 'T2' });
    await page.keyboard.press('j');
    await shows(page, 'worker-panel', { ticket: 'T3' });
    await page.keyboard.press('j');
    // The last one stays in focus.
    await shows(page, 'worker-panel', { ticket: 'T3' });
    await page.keyboard.press('k');
    await shows(page, 'worker-panel', { ticket: 'T2' });
    await shows(page, 'pause-approval', { call: 'toolu_T2_01', armed: 'true' });
  });

  it('`e` puts the cursor in the editor, where keys type instead of answering; Escape leaves it', async () => {
    await page.keyboard.press('e');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(true);
    const editor = page.locator('[data-testid="pause-approval"] [data-testid="payload-editor"]');
    const before = await editorText(editor);
    await page.keyboard.press('a');
    // Typed into the payload, not approved.
    await shows(page, 'pause-approval', { call: 'toolu_T2_01', answer: 'invalid' });
    expect(await editorText(editor)).toBe(`a${before}`);
    await page.keyboard.press('Control+z');
    await shows(page, 'pause-approval', { call: 'toolu_T2_01', answer: 'approve' });
    await page.keyboard.press('Escape');
    expect(await focusedTestId()).toBe('pause-approval');
    // A key now answers again; with the JSON broken it would say why instead.
    await approveWithKey({ kind: 'pause-approval', call: 'toolu_T2_01' });
  });

  it('answers the rest of the demo with the keyboard alone, to the end of the run', async () => {
    const answered = await approveAll();
    expect(answered.length).toBeGreaterThan(20);
    await shows(page, 'run-status', { run: 'done' });
    await shows(page, 'count-completed', { count: '4' });
    expect(readFileSync(join(demo.workspace, 'src/checkout.js'), 'utf8')).not.toContain("throw new Error('not implemented')");
  }, 240_000);
});
