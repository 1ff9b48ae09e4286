import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { machines } from '../../src/ui/inspector/machines.js';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';

/**
 * The Inspector against the real server and engine on the demo track (step mode), in Chromium with
 * every request that would leave 127.0.0.1 refused and recorded. The tests run in order on one run.
 */
const artefacts = resolve(import.meta.dirname, '../../test-results');
const WAIT = { timeout: 15_000 };

let demo: DemoServer;
let browser: Browser;
let page: Page;
/** Every URL the page asked for (HTTP and WebSocket), and those refused for leaving the machine. */
const requested: string[] = [];
const refused: string[] = [];

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || url === 'about:blank') return true;
  return hostname === '127.0.0.1';
}

const state = (id: string) => page.locator(`[data-testid="statechart"] [data-testid="state-node"][data-state-id="${id}"]`);

/** Waits until the diagram of `actor` shows each state with the given data-active value. */
async function highlights(actor: string, expected: Record<string, boolean>, mode: 'live' | 'past' = 'live'): Promise<void> {
  await page.locator(`[data-testid="statechart"][data-actor="${actor}"][data-mode="${mode}"]`).waitFor({ state: 'visible', ...WAIT });
  for (const [id, active] of Object.entries(expected)) {
    await page.locator(`[data-testid="statechart"] [data-state-id="${id}"][data-active="${active}"]`).waitFor({ state: 'attached', ...WAIT });
  }
}

async function activeStates(): Promise<string[]> {
  return page.locator('[data-testid="statechart"] [data-testid="state-node"][data-active="true"]').evaluateAll((nodes) =>
    nodes.map((node) => node.getAttribute('data-state-id')!),
  );
}

async function openInspector(actor: string): Promise<void> {
  await page.getByTestId('tab-inspector').click();
  await page.locator(`[data-testid="actor-row"][data-actor="${actor}"]`).click(WAIT);
  await page.locator(`[data-testid="statechart"][data-actor="${actor}"]`).waitFor({ state: 'visible', ...WAIT });
}

beforeAll(async () => {
  demo = await startDemoServer({ trust: 'step' });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    refused.push(url);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('request', (request) => requested.push(request.url()));
  page.on('websocket', (socket) => requested.push(socket.url()));
  await page.goto(demo.server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('the Inspector on the demo track', () => {
  it('draws the worker machine from its definition, and nothing leaves 127.0.0.1', async () => {
    await page.getByTestId('inbox-item-T1').waitFor({ state: 'visible', ...WAIT });
    await openInspector('worker:T1');
    // The worker's diagram is compact by default (workbench.test.ts covers that); these tests read the whole machine.
    await page.locator('[data-testid="statechart"][data-actor="worker:T1"][data-compact="true"]').waitFor({ state: 'visible', ...WAIT });
    await page.getByTestId('compact-toggle').uncheck();
    await page.locator('[data-testid="statechart"][data-actor="worker:T1"][data-compact="false"]').waitFor({ state: 'visible', ...WAIT });
    const graph = statechartGraph(machines.worker);
    expect(await page.locator('[data-testid="statechart"] [data-testid="state-node"]').count()).toBe(graph.nodes.length);
    // Targeted transitions are edges; the others are listed inside their state.
    expect(await page.locator('[data-testid="statechart"] [data-testid="transition"]').count()).toBe(graph.edges.filter((edge) => edge.target).length);
    await page.locator('[data-testid="transition"][data-label="clutch.approve [callIsTaskComplete]"]').waitFor({ state: 'attached', ...WAIT });
    // A tool's result goes to the interrupted pause or on to the review gate; the pause has its three answers.
    await page.locator('[data-testid="transition"][data-label="done: runTool [toolInterrupted]"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('[data-testid="transition"][data-label="done: runTool [else]"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('[data-testid="transition"][data-label="clutch.use_output"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('[data-testid="transition"][data-label="always [hasCall]"]').first().waitFor({ state: 'attached', ...WAIT });

    expect(requested.length).toBeGreaterThan(2);
    expect(requested.some((url) => url.startsWith('ws://127.0.0.1:'))).toBe(true);
    expect(refused).toEqual([]);
    expect(requested.filter((url) => !isLoopback(url))).toEqual([]);
  });

  it('lists the actors as a tree: the conductor, its tickets, their workers', async () => {
    const rows = await page.locator('[data-testid="actor-row"]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-actor')));
    expect(rows.slice(0, 2)).toEqual(['conductor', 'ticket:T1']);
    expect(rows).toContain('worker:T1');
    expect(rows.indexOf('worker:T1')).toBe(rows.indexOf('ticket:T1') + 1);
    // T4 waits on the others: no actor yet, so nothing to inspect.
    expect(await page.locator('[data-testid="actor-row"][data-actor="ticket:T4"]').getAttribute('data-phase')).toBe('absent');
  });

  it('highlights awaitingApproval while the worker waits at pause 1', async () => {
    await highlights('worker:T1', {
      worker: true,
      'worker.toolCycle': true,
      'worker.toolCycle.awaitingApproval': true,
      'worker.toolCycle.awaitingApproval.ready': true,
      'worker.toolCycle.reviewingResult': false,
      'worker.prompting': false,
    });
    expect((await activeStates()).sort()).toEqual(['worker', 'worker.toolCycle', 'worker.toolCycle.awaitingApproval', 'worker.toolCycle.awaitingApproval.ready']);
    // The worker's events are in its timeline, newest first.
    await page.locator('[data-testid="timeline-entry"][data-actor="worker:T1"][data-event="model.reply"]').first().waitFor({ state: 'visible', ...WAIT });
  });

  it('follows the worker to reviewingResult at pause 2, and the selection survives the Run view', async () => {
    await page.getByTestId('tab-run').click();
    await page.getByTestId('inbox-approve-T1').click(WAIT);
    await page.locator('[data-testid="inbox-item-T1"][data-pause="review"]').waitFor({ state: 'visible', ...WAIT });
    await page.getByTestId('tab-inspector').click();
    await highlights('worker:T1', {
      'worker.toolCycle.reviewingResult': true,
      'worker.toolCycle.awaitingApproval': false,
      'worker.toolCycle.awaitingApproval.ready': false,
    });
    expect((await activeStates()).sort()).toEqual(['worker', 'worker.toolCycle', 'worker.toolCycle.reviewingResult']);
  });

  it('shows a past snapshot read-only when an event is picked, then goes back to live', async () => {
    // The preview finishing left the worker at pause 1: awaitingApproval.ready.
    const previewDone = page.locator('[data-testid="timeline-entry"][data-actor="worker:T1"][data-event^="xstate.done.actor."]').filter({ hasText: 'awaitingApproval.ready' });
    await previewDone.first().click(WAIT);
    await page.getByTestId('past-banner').waitFor({ state: 'visible', ...WAIT });
    await highlights('worker:T1', { 'worker.toolCycle.awaitingApproval.ready': true, 'worker.toolCycle.reviewingResult': false }, 'past');
    const snapshot = page.locator('[data-testid="snapshot-panel"][data-mode="past"] [data-testid="snapshot-json"]');
    await snapshot.waitFor({ state: 'visible', ...WAIT });
    const shown = JSON.parse((await snapshot.textContent()) ?? '{}') as { value: unknown; context: { ticketId: string; review: unknown } };
    expect(shown.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(shown.context.ticketId).toBe('T1');
    // At pause 1 there was no result to review yet; there is one now.
    expect(shown.context.review).toBeNull();
    expect(await page.locator('[data-testid="snapshot-panel"] textarea, [data-testid="snapshot-panel"] input').count()).toBe(0);

    mkdirSync(artefacts, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artefacts, 'inspector.png'), fullPage: true });

    await page.getByTestId('back-to-live').click();
    await highlights('worker:T1', { 'worker.toolCycle.reviewingResult': true, 'worker.toolCycle.awaitingApproval.ready': false });
    expect(await page.getByTestId('past-banner').count()).toBe(0);
  });

  it('highlights each region of the parallel conductor on its own', async () => {
    await page.locator('[data-testid="actor-row"][data-actor="conductor"]').click();
    await highlights('conductor', {
      'conductor.mode.async': true,
      'conductor.mode.linear': false,
      'conductor.trustOverride.step': true,
      'conductor.trustOverride.none': false,
      'conductor.run.running': true,
      'conductor.run.idle': false,
    });
    expect(await state('conductor.mode').getAttribute('data-kind')).toBe('compound');
    expect(await state('conductor').getAttribute('data-kind')).toBe('parallel');
    expect(refused).toEqual([]);
  });

  it('greys the actors that finished, and shows the run done', async () => {
    // Auto from now on: the switch (confirmed) also approves the pause T1 waits at.
    await page.getByTestId('override-auto').click();
    await page.getByTestId('override-confirm-yes').click(WAIT);
    await page.getByTestId('tab-run').click();
    await page.locator('[data-testid="run-status"][data-run="done"]').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('tab-inspector').click();
    for (const actor of ['worker:T1', 'ticket:T1', 'worker:T4', 'ticket:T4']) {
      await page.locator(`[data-testid="actor-row"][data-actor="${actor}"][data-phase="finished"]`).waitFor({ state: 'visible', ...WAIT });
      expect(await page.locator(`[data-testid="actor-row"][data-actor="${actor}"]`).getAttribute('class')).toContain('finished');
    }
    await highlights('conductor', { 'conductor.run.done': true, 'conductor.run.running': false, 'conductor.trustOverride.auto': true });
    // A finished worker keeps its diagram, in its final state.
    await page.locator('[data-testid="actor-row"][data-actor="worker:T1"]').click();
    await highlights('worker:T1', { 'worker.completed': true, 'worker.toolCycle': false });
    expect(refused).toEqual([]);
    expect(requested.filter((url) => !isLoopback(url))).toEqual([]);
  });
});
