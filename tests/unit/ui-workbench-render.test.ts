import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActorView } from '../../src/protocol/wire.js';
import { App } from '../../src/ui/components/App.js';
import { RetryDialog } from '../../src/ui/components/RetryDialog.js';
import { RunSummary } from '../../src/ui/components/RunSummary.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { ConductorView, TicketView } from '../../src/ui/views.js';

/**
 * The workbench parts drawn from the fixture (T1 done, T2 at pause 1, T3 aborted, T4 waiting) with
 * no engine behind it: Retry's choice about changed files, the activity feed, the run's end summary.
 */
const fixturePath = resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json');
const fixture = (): Fixture => JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

function within(data: Fixture, element: ReturnType<typeof createElement>): string {
  return renderToStaticMarkup(createElement(ClientContext.Provider, { value: createStaticClient(data) }, element));
}

function withView<Context>(data: Fixture, key: string, change: (view: ActorView<Context>) => ActorView<Context>): Fixture {
  return { ...data, actors: data.actors.map((view) => (view.key === key ? (change(view as ActorView<Context>) as ActorView) : view)) };
}

const T3changed = (data: Fixture) =>
  withView<TicketView>(data, 'ticket:T3', (view) => ({ ...view, context: { ...view.context, changed_files: ['src/discount.js', 'src/extra.js'] } }));

describe('the workbench from a fixture', () => {
  it('retries at once when the attempts changed no file, and asks first when they did', () => {
    const plain = within(fixture(), createElement(App));
    // No changed files: Retry is the command itself.
    expect(plain).toMatch(/<button type="button" class="button primary" data-testid="ticket-retry-T3">Retry<\/button>/);
    const changed = within(T3changed(fixture()), createElement(App));
    expect(changed).toContain('data-testid="ticket-retry-T3" data-changed="2"');
    expect(changed).toContain('Retry…');
    const dialog = within(T3changed(fixture()), createElement(RetryDialog, { ticket: 'T3', onClose: () => {} }));
    expect([...dialog.matchAll(/<li data-testid="retry-file"><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1])).toEqual(['src/discount.js', 'src/extra.js']);
    for (const id of ['retry-restore', 'retry-keep', 'retry-cancel', 'retry-commands-note']) expect(dialog).toContain(`data-testid="${id}"`);
    expect(dialog).toContain('may have changed other files too');
  });

  it('refuses the retry in the fixture as any command: nothing to send it to', async () => {
    const client = createStaticClient(T3changed(fixture()));
    const reply = await client.call('command', { target: { kind: 'ticket', id: 'T3' }, command: { type: 'ticket.retry', files: 'restore' } });
    expect(reply).toMatchObject({ ok: false });
    expect(client.sent).toEqual([{ target: { kind: 'ticket', id: 'T3' }, command: { type: 'ticket.retry', files: 'restore' } }]);
  });

  it('shows the activity feed from the journal and each ticket’s running time on the board', () => {
    const html = within(fixture(), createElement(App));
    // Twelve entries; each tool's start and end are one line.
    expect(html).toContain('data-testid="activity-feed" data-items="10" data-running="0"');
    expect(html).toContain('done in 624 ms');
    expect(html).toContain('aborted at pause 2 (review) of toolu_T3_01');
    // T1 took from its start to its end; T3 from its start to when it was blocked.
    expect(html).toMatch(/data-testid="ticket-time-T1"[^>]*>4\.0 s</);
    expect(html).toMatch(/data-testid="ticket-time-T3"[^>]*>1\.2 s</);
    expect(html).not.toContain('run-summary');
  });

  it('says the run ended with the summary table: skipped counted apart, reasons, tokens and cost', () => {
    const data = withView<ConductorView>(fixture(), 'conductor', (view) => ({
      ...view,
      value: { mode: 'async', trustOverride: 'step', run: 'stalled' },
      context: {
        ...view.context,
        tickets: view.context.tickets.map((info, index) => (index === 3 ? { ...info, status: 'completed', skipped: true, summary: 'skipped by the human' } : info)),
        usage: {
          tickets: { T1: { tier: 3, input_tokens: 12_000, output_tokens: 640, cost_usd: 0 } },
          tiers: { '3': { input_tokens: 12_000, output_tokens: 640, cost_usd: 0 } },
          total: { input_tokens: 12_000, output_tokens: 640, cost_usd: 0 },
          qa: { hints: 0, saved_tokens: 0 },
        },
      },
    }));
    const app = within(data, createElement(App));
    expect(app).toContain('data-testid="run-summary" data-run="stalled"');
    const conductor = data.actors.find((view) => view.key === 'conductor') as ActorView<ConductorView>;
    const html = within(data, createElement(RunSummary, { tickets: data.hello.track.tickets, conductor, onNewRun: () => {}, onHide: () => {} }));
    expect(html).toContain('The run stalled');
    expect(html).toContain('data-testid="run-summary-row-T4" data-status="skipped"');
    expect(html).toContain('data-testid="run-summary-row-T1" data-status="completed"');
    expect(html).toContain('aborted by the human');
    expect(html).toContain('tier 3 · 12k in · 640 out · $0.0000');
    expect(html).toContain('data-testid="run-summary-total"');
    expect(html).toContain('data-testid="run-summary-new-run"');
  });
});
