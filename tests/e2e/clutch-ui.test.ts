import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';
import { editorText, fillEditor } from './workbench-helpers.js';

/**
 * The web app against the real server and engine on the demo track, in step mode, driven through
 * Chromium. The tests run in order on one run: each picks up where the previous one left it.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const WAIT = { timeout: 15_000 };

let demo: DemoServer;
let browser: Browser;
let page: Page;

const byTest = (id: string, attributes: Record<string, string> = {}) =>
  `[data-testid="${id}"]${Object.entries(attributes).map(([name, value]) => `[data-${name}="${value}"]`).join('')}`;

/** Waits until an element matching the test id (and data-* attributes) is visible. */
async function shows(id: string, attributes: Record<string, string> = {}) {
  const locator = page.locator(byTest(id, attributes));
  await locator.first().waitFor({ state: 'visible', ...WAIT });
  return locator.first();
}

/** A test artefact: the whole page, from the top. */
async function screenshot(name: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, name), fullPage: true });
}

async function openTicket(id: string): Promise<void> {
  await page.getByTestId(`ticket-node-${id}`).click();
  await shows('worker-panel', { ticket: id });
}

/**
 * A pause card once it takes answers: a pause that has just appeared holds answers back for a
 * moment (a double click must not answer what replaced the first pause).
 */
const armedCard = (kind: 'approval' | 'review', attributes: Record<string, string>) =>
  shows(kind === 'approval' ? 'pause-approval' : 'pause-review', { ...attributes, armed: 'true' });

async function approveInPanel(kind: 'approval' | 'review', call: string): Promise<void> {
  const card = await armedCard(kind, { call });
  await card.getByTestId('approve').click();
}

/** Approve in the inbox, once its row for the ticket shows this pause and takes answers. */
async function approveInInbox(ticket: string, pause: 'approval' | 'review', call: string): Promise<void> {
  await shows(`inbox-item-${ticket}`, { pause, call, armed: 'true' });
  await page.getByTestId(`inbox-approve-${ticket}`).click();
}

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

describe('the Clutch web app on the demo track', () => {
  it('shows the run: model label, board, the first pause in the inbox', async () => {
    expect(await (await shows('model-label')).textContent()).toBe('scripted model');
    await shows('run-status', { run: 'running' });
    await shows('ticket-node-T1', { status: 'step_paused' });
    await shows('ticket-node-T4', { status: 'pending' });
    expect(await page.locator('[data-testid^="edge-"]').count()).toBe(4);
    await shows('inbox-item-T1', { pause: 'approval', call: 'toolu_T1_01' });
    // The override is step for this run: its other values are offered, the current one is not.
    await shows('override', { current: 'step' });
    expect(await page.getByTestId('override-step').isDisabled()).toBe(true);
    expect(await page.getByTestId('override-auto').isDisabled()).toBe(false);
  });

  it("switches a worker's own clutch; the run's step override still holds it", async () => {
    await openTicket('T1');
    await shows('trust', { current: 'step' });
    await page.getByTestId('trust-auto').click();
    await shows('trust', { current: 'auto' });
    await page.getByTestId('trust-step').click();
    await shows('trust', { current: 'step' });
    await shows('pause-approval', { call: 'toolu_T1_01' });
  });

  it('approves a call at pause 1, then its result at pause 2', async () => {
    const card = await armedCard('approval', { call: 'toolu_T1_01' });
    expect(await card.getByTestId('pause-tool').textContent()).toBe('read_file');
    await card.getByTestId('approve').click();
    const review = await armedCard('review', { call: 'toolu_T1_01' });
    expect(await editorText(review.getByTestId('result-editor'))).toContain('toCents');
    await review.getByTestId('approve').click();
    await shows('pause-approval', { call: 'toolu_T1_02' });
    // The approved result is in the transcript the model will see.
    expect(await page.getByTestId('transcript').textContent()).toContain('export function toCents');
  });

  it('mutates the last message: bad JSON is caught inline, a bad message is refused, a good one is applied', async () => {
    await page.getByTestId('edit-message-open').click();
    const editor = await shows('message-editor');
    const json = editor.getByTestId('message-json');
    const original = JSON.parse(await editorText(json)) as { role: string; content: unknown[] };
    expect(original.role).toBe('assistant');

    await fillEditor(page, json, '{ "role": "assistant", ');
    await shows('message-json-error');
    expect(await editor.getByTestId('message-apply').isDisabled()).toBe(true);
    // CodeMirror marks the parse error in place.
    await json.locator('.cm-lintRange-error').first().waitFor(WAIT);

    await fillEditor(page, json, JSON.stringify({ role: 'user', content: 'not a model message' }));
    await editor.getByTestId('message-apply').click();
    const refusal = await editor.getByTestId('refusal');
    await refusal.waitFor(WAIT);
    expect((await refusal.textContent())!.length).toBeGreaterThan(10);

    const edited = { ...original, content: [{ type: 'text', text: 'Edited by the human: read the tests next.' }, ...original.content] };
    await fillEditor(page, json, JSON.stringify(edited, null, 2));
    await editor.getByTestId('message-apply').click();
    await page.getByTestId('message-editor').waitFor({ state: 'detached', ...WAIT });
    const last = page.locator('[data-testid="transcript"] [data-role="assistant"]').last();
    await last.getByText('Edited by the human: read the tests next.').waitFor(WAIT);
    // The call it still makes waits for approval, as before.
    await approveInPanel('approval', 'toolu_T1_02');
    await approveInPanel('review', 'toolu_T1_02');
  });

  it('edits a payload at pause 1 and the edited content lands in the workspace file', async () => {
    const card = await armedCard('approval', { call: 'toolu_T1_03', tool: 'write_file' });
    // A file write opens in the diff editor; the payload is one tab away, as JSON.
    await card.getByTestId('file-diff').waitFor(WAIT);
    await card.getByTestId('payload-mode-json').click();
    await card.getByTestId('preview-diff').waitFor(WAIT);
    expect(await card.locator('.diff-add').count()).toBeGreaterThan(5);
    const payload = card.getByTestId('payload-editor');
    const input = JSON.parse(await editorText(payload)) as { path: string; content: string };

    // A payload the tool's schema refuses changes nothing, and says why.
    await fillEditor(page, payload, JSON.stringify({ path: 'src/money.js' }));
    await card.getByTestId('edit-payload').click();
    await card.getByTestId('refusal').waitFor(WAIT);

    const marker = '// Edited in the Clutch web app before it was written.';
    await fillEditor(page, payload, JSON.stringify({ ...input, content: `${marker}\n${input.content}` }, null, 2));
    await card.getByTestId('edit-payload').click();
    // The worker re-previews the edited call: the proposed file now starts with the marker line.
    await page.locator(`${byTest('pause-approval', { call: 'toolu_T1_03' })} ${byTest('file-diff')}`).waitFor(WAIT);
    const edited = await armedCard('approval', { call: 'toolu_T1_03' });
    await expect.poll(() => editorText(edited.getByTestId('file-diff-editor'))).toMatch(new RegExp(`^${marker}\n`));
    await edited.getByTestId('payload-mode-json').click();
    await edited.locator('.diff-add', { hasText: marker }).waitFor(WAIT);
    expect(await edited.getByTestId('refusal').count()).toBe(0);
    await screenshot('clutch-pause1-diff.png');
    await edited.getByTestId('approve').click();
    await approveInPanel('review', 'toolu_T1_03');
    await shows('pause-approval', { call: 'toolu_T1_04' });
    expect(demo.fileOf('T1', 'src/money.js').startsWith(`${marker}\n`)).toBe(true);
  });

  it('shows a command preview, and answers pauses from the inbox', async () => {
    const card = await shows('pause-approval', { call: 'toolu_T1_04', tool: 'run_command' });
    expect(await card.getByTestId('preview-command').textContent()).toContain('node --test test/money.test.js');
    await approveInInbox('T1', 'approval', 'toolu_T1_04');
    await approveInInbox('T1', 'review', 'toolu_T1_04');
    await approveInInbox('T1', 'approval', 'toolu_T1_05');
    // The tech lead reviews T1's change (step trust): its verdict waits in the inbox, as the review of T1.
    await shows('ticket-review-T1', { round: '1', pause: 'approval' });
    const review = await shows('inbox-item-T1@review', { pause: 'approval', call: 'toolu_review_01', armed: 'true' });
    expect(await review.getByTestId('inbox-label-T1@review').textContent()).toBe('review of T1');
    await shows('review-section', { ticket: 'T1', state: 'reviewing' });
    await page.locator(`${byTest('review-section', { ticket: 'T1' })} ${byTest('preview-text')}`, { hasText: 'Verdict: approve' }).waitFor(WAIT);
    await screenshot('clutch-review-pause.png');
    await approveInInbox('T1@review', 'approval', 'toolu_review_01');
    await shows('ticket-node-T1', { status: 'completed' });
    // T1 needs nothing more: the panel follows the work to the next pause (T2's), and T1 shows its summary when opened.
    await shows('worker-panel', { ticket: 'T2' });
    await openTicket('T1');
    await shows('panel-summary');
  });

  it('holds two workers paused at once; answering one leaves the other waiting', async () => {
    await shows('inbox-item-T2', { pause: 'approval', call: 'toolu_T2_01' });
    await shows('inbox-item-T3', { pause: 'approval', call: 'toolu_T3_01' });
    await shows('approval-inbox', { waiting: '2' });
    await screenshot('clutch-two-pauses.png');

    await approveInInbox('T3', 'approval', 'toolu_T3_01');
    await shows('inbox-item-T3', { pause: 'review', call: 'toolu_T3_01' });
    // T2 was not touched and still waits where it was.
    await shows('inbox-item-T2', { pause: 'approval', call: 'toolu_T2_01' });
    await approveInInbox('T2', 'approval', 'toolu_T2_01');
    await shows('inbox-item-T2', { pause: 'review', call: 'toolu_T2_01' });
  });

  it('aborts a ticket: it is blocked with its reason, and offers Retry and Skip', async () => {
    await openTicket('T3');
    const review = await armedCard('review', { call: 'toolu_T3_01' });
    await review.getByTestId('abort').click();
    await shows('ticket-node-T3', { status: 'blocked' });
    // Focus went on to the pause still waiting (T2's); T3 shows why it is blocked when opened.
    await shows('worker-panel', { ticket: 'T2' });
    await openTicket('T3');
    expect(await (await shows('ticket-reason-T3')).textContent()).toContain('aborted');
    expect(await (await shows('panel-blocked-reason')).textContent()).toContain('aborted');
    await shows('ticket-retry-T3');
    await shows('ticket-skip-T3');
    await shows('count-blocked', { count: '1' });
  });

  it('switches linear and async mid-run: linear holds a retried ticket back while another runs', async () => {
    await page.getByTestId('mode-linear').click();
    await shows('mode', { current: 'linear' });
    await page.getByTestId('ticket-retry-T3').click();
    // T2 is still active (paused), so linear mode does not start T3 beside it.
    await shows('ticket-node-T3', { status: 'pending' });
    await page.getByTestId('ticket-retry-T3').waitFor({ state: 'detached', ...WAIT });

    await page.getByTestId('mode-async').click();
    await shows('mode', { current: 'async' });
    // Async dispatches at once: T3's second attempt starts and stops at its first pause.
    await shows('ticket-node-T3', { status: 'step_paused' });
    await shows('inbox-item-T3', { pause: 'approval', call: 'toolu_T3_01' });
    await openTicket('T3');
    expect(await page.getByTestId('worker-panel').textContent()).toContain('attempt 2');
  });

  it('sets the trust override to auto, after saying it approves the two waiting calls, and the run finishes', async () => {
    await shows('inbox-item-T2', { pause: 'review', call: 'toolu_T2_01' });
    await shows('inbox-item-T3', { pause: 'approval', call: 'toolu_T3_01' });
    await page.getByTestId('override-auto').click();
    const confirm = await shows('override-confirm', { count: '2' });
    expect(await confirm.getByTestId('override-confirm-body').textContent()).toContain('T2 read_file (pause 2), T3 read_file (pause 1)');
    await confirm.getByTestId('override-confirm-yes').click();
    await shows('override', { current: 'auto' });
    // The switch approved both waiting pauses: nothing more to answer, the run ends on its own.
    await shows('run-status', { run: 'done' });
    await shows('count-completed', { count: '4' });
    await shows('approval-inbox', { waiting: '0' });
    await openTicket('T4');
    await shows('panel-summary');
    // Token usage and the cost estimate (the scripted model is free) per ticket and in total.
    await expect.poll(() => page.getByTestId('usage-total').textContent()).toMatch(/^[\d.]+k? in · [\d.]+k? out · \$0\.0000$/);
    await expect.poll(() => page.getByTestId('ticket-usage').textContent()).toMatch(/^tier 3 · [\d.]+k? in · [\d.]+k? out · \$0\.0000$/);
    await screenshot('clutch-run-done.png');
    expect(readFileSync(join(demo.workspace, 'src/checkout.js'), 'utf8')).not.toContain("throw new Error('not implemented')");
  });
});
