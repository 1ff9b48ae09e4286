import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../../src/server/build-ui.js';
import type { RunSummary } from '../../src/store/index.js';
import { launchChromium } from '../support/browser.js';
import { crashServe, spawnClutch, type ClutchProcess } from '../support/server-harness.js';

/**
 * Durable runs in the browser, against real `clutch serve` processes: three demo runs are killed
 * (CLUTCH_TEST_CRASH_AT) right after T1's run_command intent is committed; `clutch serve --resume`
 * brings the oldest back with T1 at the interrupted pause; the human answers it in the page, and
 * switches to the other runs from the Runs tab. The tests run in order on one page.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const WAIT = { timeout: 20_000 };
const INTERRUPTED = 'interrupted: this command may have run in part';

let cwd: string;
let serve: ClutchProcess | undefined;
let browser: Browser;
let page: Page;
/** Newest first, as `clutch runs --json` lists them. */
let runs: RunSummary[];
let first = '';
let second = '';
let broken = '';

const byTest = (id: string, attributes: Record<string, string> = {}) =>
  `[data-testid="${id}"]${Object.entries(attributes).map(([name, value]) => `[data-${name}="${value}"]`).join('')}`;

async function shows(id: string, attributes: Record<string, string> = {}) {
  const locator = page.locator(byTest(id, attributes)).first();
  await locator.waitFor({ state: 'visible', ...WAIT });
  return locator;
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, name), fullPage: true });
}

async function clutchRuns(): Promise<RunSummary[]> {
  const list = spawnClutch(cwd, ['runs', '--json']);
  expect((await list.exited).code).toBe(0);
  return list.output.stdout.trim().split('\n').map((line) => JSON.parse(line) as RunSummary);
}

beforeAll(async () => {
  // Built once here, so that no subprocess builds it while another serves it.
  await ensureUiBuilt();
  cwd = mkdtempSync(join(tmpdir(), 'clutch-e2e-durable-'));
  for (let crash = 0; crash < 3; crash += 1) {
    const ended = await crashServe(cwd);
    expect(ended.signal, ended.output.stderr).toBe('SIGKILL');
  }
  runs = await clutchRuns();
  expect(runs.map((run) => run.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
  [broken, second, first] = runs.map((run) => run.id) as [string, string, string];
  // The newest loses its workspace copy: resuming it is refused, and the page says why.
  rmSync(join(runs[0]!.run_dir, 'workspace'), { recursive: true, force: true });

  serve = spawnClutch(cwd, ['serve', '--port', '0', '--resume', first]);
  const [, url] = await serve.line(/^Clutch is running: (\S+)$/m);
  await serve.line(new RegExp(`^resumed run id: ${first}$`, 'm'));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(url!);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (serve) {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  }
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('durable runs in the web app', () => {
  it('shows T1 of the resumed run at the interrupted pause: board, inbox and worker panel', async () => {
    await shows('ticket-node-T1', { status: 'step_paused' });
    expect(await page.getByTestId('ticket-status-T1').textContent()).toBe('interrupted');
    await shows('ticket-pause-T1', { pause: 'interrupted' });
    const item = await shows('inbox-item-T1', { pause: 'interrupted', call: 'toolu_T1_04' });
    expect(await item.textContent()).toContain(INTERRUPTED);
    expect(await item.textContent()).toContain('$ node --test test/money.test.js');
    // Only what the worker accepts at this pause is drawn: no Approve anywhere.
    for (const id of ['inbox-rerun-T1', 'inbox-use-output-T1', 'inbox-abort-T1']) await shows(id);
    expect(await page.getByTestId('inbox-approve-T1').count()).toBe(0);

    await page.getByTestId('ticket-node-T1').click();
    const card = await shows('pause-interrupted', { call: 'toolu_T1_04', tool: 'run_command' });
    expect(await card.getByTestId('interrupted-text').textContent()).toBe(INTERRUPTED);
    expect(await card.getByTestId('interrupted-command').textContent()).toBe('$ node --test test/money.test.js');
    expect(await card.getByTestId('interrupted-cwd').textContent()).toBe('.');
    expect(await card.getByTestId('rerun').textContent()).toBe('Re-run');
    expect(await card.getByTestId('use-output').textContent()).toBe('Use this output (empty)');
    expect(await card.getByTestId('abort').textContent()).toBe('Abort');
    expect(await card.getByTestId('approve').count()).toBe(0);
    expect(await page.getByTestId('panel-status').textContent()).toBe('interrupted');
    expect(await page.getByTestId('worker-state').textContent()).toContain('interrupted');
    await screenshot('durable-interrupted-pause.png');
  });

  it('"Use this output (empty)" goes on, and the run (trust auto) finishes', async () => {
    await page.getByTestId('pause-interrupted').getByTestId('use-output').click();
    await shows('run-status', { run: 'done' });
    await shows('count-completed', { count: '4' });
    await shows('approval-inbox', { waiting: '0' });
    // The model saw an empty output for the command it was cut short in.
    await page.getByTestId('ticket-node-T1').click();
    await shows('panel-summary');
  });

  it('lists the runs in the Runs tab, the current one marked, with Resume for the interrupted ones', async () => {
    await page.getByTestId('tab-runs').click();
    await shows('runs-view', { state: 'ok' });
    // The current run as its engine has it now (the store's row may lag by a commit).
    await shows(`run-row-${first}`, { current: 'true', status: 'done' });
    expect(await page.getByTestId(`run-progress-${first}`).textContent()).toBe('4/4');
    await shows('run-current');
    await shows(`run-row-${second}`, { current: 'false', status: 'interrupted' });
    await shows(`run-resume-${second}`);
    await shows(`run-resume-${broken}`);
    expect(await page.getByTestId(`run-open-${first}`).count()).toBe(0);
    expect(await page.getByTestId(`run-status-${broken}`).textContent()).toBe('interrupted');
    await screenshot('durable-runs-tab.png');
  });

  it('shows a refusal inline and stays on the run it has', async () => {
    await page.getByTestId(`run-resume-${broken}`).click();
    const error = await shows(`run-row-${broken}`).then((row) => row.getByTestId('command-error'));
    await error.waitFor(WAIT);
    expect(await error.textContent()).toMatch(new RegExp(`^run ${broken} cannot go on: its workspace copy .+ is gone$`));
    await shows(`run-row-${first}`, { current: 'true' });
    expect(await page.getByTestId('connection').textContent()).toBe('live');
  });

  it('resumes another run from the Runs tab: the page reloads into it, and Re-run goes on', async () => {
    await page.getByTestId(`run-resume-${second}`).click();
    // The server switched: the page reconnected into the other run and lists it as current.
    await shows(`run-row-${second}`, { current: 'true' });
    await shows(`run-row-${first}`, { current: 'false', status: 'done' });
    await shows(`run-open-${first}`);
    expect(await page.getByTestId('connection').textContent()).toBe('live');

    await page.getByTestId('tab-run').click();
    await shows('inbox-item-T1', { pause: 'interrupted', call: 'toolu_T1_04' });
    await page.getByTestId('inbox-rerun-T1').click();
    await shows('run-status', { run: 'done' });
    await shows('count-completed', { count: '4' });
    await screenshot('durable-resumed-from-runs-tab.png');
    // The store has it too, once the run's last commit is in.
    await expect
      .poll(async () => Object.fromEntries((await clutchRuns()).map((run) => [run.id, run.status])), WAIT)
      .toEqual({ [first]: 'done', [second]: 'done', [broken]: 'interrupted' });
  });
});
