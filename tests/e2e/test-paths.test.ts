import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import type { TestPathInfo } from '../../src/protocol/wire.js';
import { describePath } from '../../src/testing/test-paths-thread.js';
import type { PlannedPath } from '../../src/testing/paths.js';
import { planFor } from '../../src/testing/plans.js';
import { machines } from '../../src/ui/inspector/machines.js';
import { activeStateIds } from '../../src/ui/inspector/statechart-graph.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';

/**
 * The Inspector's "Test paths" tab against the real server on the demo track: the worker's
 * generated paths, one stepped through on the statechart, then run on a fresh engine in the server.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const WAIT = { timeout: 20_000 };

let demo: DemoServer;
let browser: Browser;
let page: Page;
/** The worker's paths as the model-based suite plans them, to know what each step should show. */
let planned: TestPathInfo[];

async function highlighted(): Promise<string[]> {
  const nodes = page.locator('[data-testid="statechart"][data-mode="path"] [data-testid="state-node"][data-active="true"]');
  return (await nodes.evaluateAll((found) => found.map((node) => node.getAttribute('data-state-id')!))).sort();
}

const expectedIds = (value: unknown) => [...activeStateIds(machines.worker.id, value)].sort();

beforeAll(async () => {
  planned = planFor('worker').generated.paths.map((path, index) => describePath('worker', path as PlannedPath<unknown, EventObject>, index));
  demo = await startDemoServer({ trust: 'step' });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  page = await context.newPage();
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('the Test paths tab', () => {
  let path: TestPathInfo;

  it('lists the generated paths of the selected actor’s machine, filterable', async () => {
    await page.getByTestId('inbox-item-T1').waitFor({ state: 'visible', ...WAIT });
    await page.getByTestId('tab-inspector').click();
    await page.locator('[data-testid="actor-row"][data-actor="worker:T1"]').click(WAIT);
    await page.getByTestId('inspector-tab-paths').click();
    await page.locator('[data-testid="path-list"][data-machine="worker"][data-state="ready"]').waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('path-row').count()).toBe(planned.length);

    await page.getByTestId('path-filter').fill('approve completed');
    const rows = await page.getByTestId('path-row').evaluateAll((found) => found.map((node) => node.getAttribute('data-path')!));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(planned.length);
    // The first path through both pauses to completion with at least six steps.
    path = planned.find((candidate) => rows.includes(candidate.id) && candidate.steps.length >= 6 && candidate.steps.filter((step) => step.event === 'clutch.approve').length >= 2)!;
    expect(path).toBeDefined();
    await page.locator(`[data-testid="path-row"][data-path="${path.id}"]`).click();
    await page.locator(`[data-testid="path-steps"][data-path="${path.id}"]`).waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('path-step').count()).toBe(path.steps.length);
  });

  it('highlights each step’s state on the diagram, with Next, Prev and a click on a step', async () => {
    const banner = page.getByTestId('path-banner');
    const last = path.steps.length - 1;
    const seen = new Set<string>();
    for (const step of path.steps) {
      if (step.index > 0) await page.getByTestId('path-next').click();
      await page.locator(`[data-testid="path-banner"][data-step="${step.index}"]`).waitFor({ state: 'visible', ...WAIT });
      expect(await banner.textContent()).toContain(`Path step ${step.index}/${last}`);
      expect(await highlighted()).toEqual(expectedIds(step.after));
      seen.add(JSON.stringify(await highlighted()));
    }
    // The highlight moved: the path visits several states.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('path-next').isDisabled()).toBe(true);

    await page.getByTestId('path-prev').click();
    await page.locator(`[data-testid="path-banner"][data-step="${last - 1}"]`).waitFor({ state: 'visible', ...WAIT });
    expect(await highlighted()).toEqual(expectedIds(path.steps[last - 1]!.after));

    await page.locator('[data-testid="path-step"][data-step="1"]').click();
    await page.locator('[data-testid="path-banner"][data-step="1"]').waitFor({ state: 'visible', ...WAIT });
    expect(await highlighted()).toEqual(expectedIds(path.steps[1]!.after));
    // The live diagram's highlight is not the path's: the session's worker waits at pause 1.
    expect(await page.locator('[data-testid="statechart"]').getAttribute('data-mode')).toBe('path');
  });

  it('runs the path against a fresh engine and shows every step passing', async () => {
    await page.getByTestId('path-run').click();
    await page.locator('[data-testid="run-summary"][data-outcome="pass"]').waitFor({ state: 'visible', timeout: 30_000 });
    const verdicts = await page.getByTestId('path-step').evaluateAll((found) => found.map((node) => node.getAttribute('data-result')));
    expect(verdicts).toEqual(path.steps.map(() => 'pass'));
    expect(await page.getByTestId('run-summary').textContent()).toContain(`Passed: all ${path.steps.length} steps`);
    expect(await page.locator(`[data-testid="path-row"][data-path="${path.id}"]`).getAttribute('data-result')).toBe('pass');
    expect(await page.getByTestId('path-step-failure').count()).toBe(0);
    // The session's own worker is still where it was: at pause 1.
    expect(demo.engine.worker('T1')?.getSnapshot().value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });

    // For the picture: the step that reaches pause 2, deep in the tool cycle.
    const shown = path.steps.find((step) => JSON.stringify(step.after).includes('reviewingResult'))?.index ?? 3;
    await page.locator(`[data-testid="path-step"][data-step="${shown}"]`).click();
    await page.locator(`[data-testid="path-banner"][data-step="${shown}"][data-result="pass"]`).waitFor({ state: 'visible', ...WAIT });
    expect(await highlighted()).toEqual(expectedIds(path.steps[shown]!.after));
    mkdirSync(artefacts, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artefacts, 'test-paths.png'), fullPage: true });
  }, 45_000);

  it('follows the actor tree to the conductor’s paths', async () => {
    await page.locator('[data-testid="actor-row"][data-actor="conductor"]').click();
    await page.locator('[data-testid="path-list"][data-machine="conductor"][data-state="ready"]').waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('path-row').count()).toBeGreaterThan(10);
    await page.locator('[data-testid="statechart"][data-machine="conductor"][data-mode="path"]').waitFor({ state: 'visible', ...WAIT });
  });
});
