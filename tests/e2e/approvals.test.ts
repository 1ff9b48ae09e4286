import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { byTest, editorText, fillEditor, shows, WAIT } from './workbench-helpers.js';

/**
 * The approval workbench against the real server and engine on the demo track (step mode):
 * answers that never drop an edit, stale and double clicks refused, the diff editor with a rejected
 * hunk, bulk answers, trust switches that say what they approve, buttons disabled without a server.
 * The tests run in order on one run. The page's clock is Playwright's, so the moment a new pause
 * starts taking answers (keyboard/arming.ts) is set by the test, not by the machine's speed.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');

let demo: DemoServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const journal: JournalEntry[] = [];
const requests: string[] = [];

const armed = (kind: 'approval' | 'review', call: string, on: Page = page) => shows(on, kind === 'approval' ? 'pause-approval' : 'pause-review', { call, armed: 'true' });
const commandsTo = (target: string) => journal.filter((entry): entry is Extract<JournalEntry, { kind: 'command' }> => entry.kind === 'command' && entry.target === target);
const edits = () => journal.filter((entry): entry is Extract<JournalEntry, { kind: 'edit' }> => entry.kind === 'edit').map((entry) => entry.edit as { kind: string; accepted: boolean; original: unknown; replacement: unknown });

/** Stops the page's timers where they are: a pause shown now stays unarmed until the test moves time on. */
async function freezeTime(): Promise<void> {
  // The page's clock runs on between reading it and pausing it: on a loaded machine that can be
  // more than the margin, and pausing in the past is refused, so read it again and retry.
  for (let attempt = 0; ; attempt += 1) {
    const now = await page.evaluate(() => Date.now());
    try {
      await context.clock.pauseAt(now + 20);
      return;
    } catch (error) {
      if (attempt >= 10 || !String(error).includes('to the past')) throw error;
    }
  }
}

beforeAll(async () => {
  demo = await startDemoServer({ trust: 'step' });
  demo.engine.journal.subscribe((entry) => journal.push(entry));
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  await context.clock.install();
  // Every CSP violation the page meets (the server's policy allows no inline script).
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`));
  });
  page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('the approval workbench', () => {
  it('loads everything from the server itself: the editors need no network', async () => {
    await armed('approval', 'toolu_T1_01');
    const origin = new URL(demo.server.url).host;
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(new URL(url).host, url).toBe(origin);
  });

  it('never drops an edited payload: Approve becomes "Apply edit and approve", disabled with the reason while the JSON is invalid', async () => {
    const card = await armed('approval', 'toolu_T1_01');
    const approve = card.getByTestId('approve');
    expect(await approve.textContent()).toMatch(/^Approve/);
    const payload = card.getByTestId('payload-editor');

    await fillEditor(page, payload, '{ "path": ');
    await shows(page, 'approve-blocked');
    expect(await approve.isDisabled()).toBe(true);
    expect(await approve.getAttribute('title')).toContain('Invalid JSON');
    expect(await card.getByTestId('approve-blocked').textContent()).toContain('Invalid JSON');
    await payload.locator('.cm-lintRange-error').first().waitFor(WAIT);

    await fillEditor(page, payload, JSON.stringify({ path: 'test/money.test.js' }));
    await shows(page, 'pause-approval', { call: 'toolu_T1_01', answer: 'edit' });
    expect(await approve.textContent()).toMatch(/^Apply edit and approve/);
    // The inbox does not approve the call as if the edit were not there.
    await shows(page, 'inbox-edited-T1');
    expect(await page.getByTestId('inbox-approve-T1').isDisabled()).toBe(true);

    await approve.click();
    // One command applied the edit and approved it: the call read the file the human named.
    const review = await armed('review', 'toolu_T1_01');
    await expect.poll(() => editorText(review.getByTestId('result-editor'))).toContain("import { test } from 'node:test';");
    const sent = commandsTo('worker:T1').at(-1)!.event as { type: string; approve?: boolean; input?: unknown };
    expect(sent).toMatchObject({ type: 'clutch.edit_payload', approve: true, input: { path: 'test/money.test.js' } });
    expect(edits().at(-1)).toMatchObject({ kind: 'edit_payload', accepted: true, original: { path: 'src/money.js' }, replacement: { path: 'test/money.test.js' } });
  });

  it('never drops an edited result: "Apply edit and approve" gives the model the edited output', async () => {
    const review = await armed('review', 'toolu_T1_01');
    const output = 'EDITED OUTPUT: the human replaced what the tool read.';
    await fillEditor(page, review.getByTestId('result-editor'), output);
    await shows(page, 'pause-review', { call: 'toolu_T1_01', answer: 'edit' });
    expect(await review.getByTestId('approve').textContent()).toMatch(/^Apply edit and approve/);
    await review.getByTestId('approve').click();
    await armed('approval', 'toolu_T1_02');
    expect(await page.getByTestId('transcript').textContent()).toContain(output);
    expect(edits().at(-1)).toMatchObject({ kind: 'edit_result', accepted: true, replacement: output });
  });

  it('refuses a double click: two clicks 400 ms apart approve pause 1 only, pause 2 waits, the refusal shows', async () => {
    const card = await armed('approval', 'toolu_T1_02');
    await freezeTime();
    await card.getByTestId('approve').click();
    // Pause 2 appears in the same spot; the second click lands on it 400 ms after the first.
    const review = await shows(page, 'pause-review', { call: 'toolu_T1_02', armed: 'false' });
    await context.clock.runFor(400);
    await review.getByTestId('approve').click();
    const refusal = await shows(page, 'pause-refusal', { ticket: 'T1' });
    expect(await refusal.textContent()).toContain(
      'refuses clutch.approve: this answers pause 1 (approval) of call toolu_T1_02, but it is at pause 2 (review) of call toolu_T1_02: nothing was done',
    );
    await shows(page, 'inbox-item-T1', { pause: 'review', call: 'toolu_T1_02' });
    expect(commandsTo('worker:T1').filter((entry) => (entry.event as { type: string }).type === 'clutch.approve').at(-1)!.event).toMatchObject({
      pause: { kind: 'approval', tool_use_id: 'toolu_T1_02' },
    });
    // Once it has been on screen long enough, pause 2 takes answers as usual.
    await context.clock.runFor(1000);
    await shows(page, 'pause-review', { call: 'toolu_T1_02', armed: 'true' });
    await context.clock.resume();
  });

  it('refuses the answer of a second tab that saw the pause after the first tab answered it', async () => {
    // Tab B's socket goes through the test, which can hold back what the server tells it.
    let hold = false;
    const held: (string | Buffer)[] = [];
    const routes: WebSocketRoute[] = [];
    const other = await context.newPage();
    await other.routeWebSocket(/\/ws/, (route) => {
      routes.push(route);
      const server = route.connectToServer();
      server.onMessage((message) => (hold ? held.push(message) : route.send(message)));
    });
    await other.goto(demo.server.url);
    const stale = await armed('review', 'toolu_T1_02', other);

    hold = true;
    await (await armed('review', 'toolu_T1_02')).getByTestId('approve').click();
    await shows(page, 'pause-approval', { call: 'toolu_T1_03' });
    // Tab B still shows pause 2, which tab A has answered; it answers it too.
    await stale.getByTestId('approve').click();
    await expect.poll(() => commandsTo('worker:T1').length).toBeGreaterThan(0);
    hold = false;
    for (const message of held.splice(0)) routes.at(-1)!.send(message);
    const refusal = await shows(other, 'pause-refusal', { ticket: 'T1' });
    expect(await refusal.textContent()).toMatch(/refuses clutch\.approve: this answers pause 2 \(review\) of call toolu_T1_02, but it is (at pause 1 \(approval\) of call toolu_T1_03|not paused): nothing was done/);
    // Nothing was done: T1 waits at the write's approval in both tabs.
    await shows(page, 'inbox-item-T1', { pause: 'approval', call: 'toolu_T1_03' });
    await shows(other, 'inbox-item-T1', { pause: 'approval', call: 'toolu_T1_03' });

    // The socket closes (the server is gone): every command button is disabled, and says why.
    const approve = (await armed('approval', 'toolu_T1_03', other)).getByTestId('approve');
    await freezeTime();
    await routes.at(-1)!.close();
    await shows(other, 'connection').then((pill) => expect.poll(() => pill.textContent()).toMatch(/^reconnecting/));
    expect(await approve.isDisabled()).toBe(true);
    expect(await approve.getAttribute('title')).toMatch(/^The server is gone: reconnecting/);
    expect(await other.getByTestId('inbox-approve-T1').isDisabled()).toBe(true);
    expect(await other.getByTestId('mode-linear').isDisabled()).toBe(true);
    // Back: it reconnects and the buttons are live again.
    await context.clock.resume();
    await expect.poll(() => other.getByTestId('connection').textContent(), WAIT).toBe('live');
    await expect.poll(() => other.locator(`${byTest('pause-approval', { armed: 'true' })} ${byTest('approve')}`).isDisabled(), WAIT).toBe(false);
    await other.close();
  });

  it('edits the proposed file in a diff editor: a rejected hunk is left out of the write', async () => {
    const card = await armed('approval', 'toolu_T1_03');
    const diff = card.getByTestId('file-diff');
    await diff.waitFor(WAIT);
    await diff.evaluate((element) => element.scrollIntoView({ block: 'end' }));
    const reject = card.getByTestId('hunk-reject');
    await expect.poll(() => reject.count(), WAIT).toBe(3);
    // The third hunk implements percentOf: reject it, keep the other two.
    await reject.nth(2).click();
    await expect.poll(() => reject.count()).toBe(2);
    await shows(page, 'pause-approval', { call: 'toolu_T1_03', answer: 'edit' });
    expect(await card.getByTestId('approve').textContent()).toMatch(/^Apply edit and approve/);
    mkdirSync(artefacts, { recursive: true });
    await card.screenshot({ path: join(artefacts, 'diff-editor.png') });

    await card.getByTestId('approve').click();
    await armed('review', 'toolu_T1_03');
    const written = demo.fileOf('T1', 'src/money.js');
    expect(written).toContain('return Math.round(value * 100);');
    expect(written).toContain("return `${sign}$${Math.floor(whole / 100)}");
    expect(written).toMatch(/export function percentOf\(cents, percent\) \{\n {2}throw new Error\('not implemented'\);\n\}/);
    // A partial approve: journaled as an edit with the whole proposal as its original.
    const edit = edits().at(-1)!;
    expect(edit).toMatchObject({ kind: 'edit_payload', accepted: true });
    expect((edit.original as { content: string }).content).toContain('Math.round((cents * percent) / 100)');
    expect((edit.replacement as { content: string }).content).toBe(written);
  });

  it('answers the rest of T1; focus then goes on to the next pause that waits', async () => {
    await (await armed('review', 'toolu_T1_03')).getByTestId('approve').click();
    await (await armed('approval', 'toolu_T1_04')).getByTestId('approve').click();
    await (await armed('review', 'toolu_T1_04')).getByTestId('approve').click();
    await (await armed('approval', 'toolu_T1_05')).getByTestId('approve').click();
    // The code review's verdict (the tech lead on step trust) waits in the inbox as the review of T1.
    await shows(page, 'inbox-item-T1@review', { pause: 'approval', call: 'toolu_review_01', armed: 'true' });
    await page.getByTestId('inbox-approve-T1@review').click();
    await shows(page, 'ticket-node-T1', { status: 'completed' });
    await shows(page, 'worker-panel', { ticket: 'T2' });
  });

  it('approves all read-only calls, each with its own command, and never another kind of call', async () => {
    await shows(page, 'inbox-item-T2', { pause: 'approval', call: 'toolu_T2_01', armed: 'true' });
    await shows(page, 'inbox-item-T3', { pause: 'approval', call: 'toolu_T3_01', armed: 'true' });
    const bulk = await shows(page, 'approve-read-only', { count: '2' });
    const before = { T2: commandsTo('worker:T2').length, T3: commandsTo('worker:T3').length };
    await bulk.click();
    await shows(page, 'inbox-item-T2', { pause: 'review', call: 'toolu_T2_01' });
    await shows(page, 'inbox-item-T3', { pause: 'review', call: 'toolu_T3_01' });
    expect(commandsTo('worker:T2').slice(before.T2).map((entry) => entry.event)).toEqual([{ type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T2_01' } }]);
    expect(commandsTo('worker:T3').slice(before.T3).map((entry) => entry.event)).toEqual([{ type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T3_01' } }]);

    // Their results (what they read) are read-only answers too.
    await shows(page, 'inbox-item-T2', { armed: 'true', pause: 'review' });
    await shows(page, 'inbox-item-T3', { armed: 'true', pause: 'review' });
    await (await shows(page, 'approve-read-only', { count: '2' })).click();
    // T2 reads again; T3 edits a file, which no bulk answer takes.
    await shows(page, 'inbox-item-T2', { pause: 'approval', call: 'toolu_T2_02', armed: 'true' });
    await shows(page, 'inbox-item-T3', { pause: 'approval', call: 'toolu_T3_02', armed: 'true' });
    const left = await shows(page, 'approve-read-only', { count: '1' });
    expect(await left.getAttribute('title')).toBe('Approves T2 read_file (pause 1), one command each');
  });

  it('counts a skipped ticket as skipped, not completed', async () => {
    await page.getByTestId('ticket-node-T2').click();
    await (await armed('approval', 'toolu_T2_02')).getByTestId('abort').click();
    await shows(page, 'ticket-node-T2', { status: 'blocked' });
    await (await shows(page, 'ticket-skip-T2')).click();
    await shows(page, 'count-skipped', { count: '1' });
    await shows(page, 'count-completed', { count: '1' });
  });

  it("asks before a worker's switch to auto approves its waiting call, then the worker runs on", async () => {
    // Without the run's step override, each worker's own clutch decides.
    await page.getByTestId('override-none').click();
    await shows(page, 'override', { current: 'none' });
    await page.getByTestId('ticket-node-T3').click();
    await armed('approval', 'toolu_T3_02');
    await page.getByTestId('trust-auto').click();
    const confirm = await shows(page, 'trust-confirm', { count: '1' });
    expect(await confirm.getByTestId('trust-confirm-body').textContent()).toBe('This approves 1 pending call now: T3 edit_file (pause 1).');
    await confirm.getByTestId('trust-confirm-yes').click();
    // T3's worker runs on. Its test fails (T1's percentOf hunk was rejected above), and the QA hint
    // stops at pause 2 (the qa archetype is on step trust), where the inbox answers it.
    await shows(page, 'inbox-item-T3', { pause: 'review', call: 'toolu_T3_04', armed: 'true' });
    await shows(page, 'qa-hint', { call: 'toolu_T3_04' });
    await page.getByTestId('inbox-approve-T3').click();
    // Then its review (the tech lead keeps its own step trust) waits in the inbox.
    await shows(page, 'inbox-item-T3@review', { pause: 'approval', call: 'toolu_review_01', armed: 'true' });
    await page.getByTestId('inbox-approve-T3@review').click();
    await shows(page, 'ticket-node-T3', { status: 'completed' });
    expect(journal.some((entry) => entry.kind === 'auto_approve' && entry.ticket === 'T3' && entry.tool_use_id === 'toolu_T3_02')).toBe(true);
  });

  it('asks before the global override to auto approves the waiting calls; Cancel changes nothing', async () => {
    await shows(page, 'inbox-item-T4', { pause: 'approval', call: 'toolu_T4_01' });
    await page.getByTestId('override-auto').click();
    let confirm = await shows(page, 'override-confirm', { count: '1' });
    expect(await confirm.getByTestId('override-confirm-body').textContent()).toContain('This approves 1 pending call now: T4 list_files (pause 1).');
    await confirm.getByTestId('override-confirm-no').click();
    await page.getByTestId('override-confirm').waitFor({ state: 'detached', ...WAIT });
    await shows(page, 'override', { current: 'none' });
    await shows(page, 'inbox-item-T4', { pause: 'approval', call: 'toolu_T4_01' });

    await page.getByTestId('override-auto').click();
    confirm = await shows(page, 'override-confirm', { count: '1' });
    await confirm.getByTestId('override-confirm-yes').click();
    await shows(page, 'run-status', { run: 'done' });
    await shows(page, 'count-completed', { count: '3' });
    await shows(page, 'count-skipped', { count: '1' });
  });

  it('met no Content Security Policy violation on the way (no inline script, the editors included)', async () => {
    const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    // zod probes once whether it may compile validators (`Function('')` in a try): a refused eval it
    // catches and does without. Anything else (an inline script or style, a blocked load) is a defect.
    expect(violations.filter((violation) => !violation.startsWith('script-src eval '))).toEqual([]);
  });
});
