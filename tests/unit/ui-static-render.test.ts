import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActorView, RunListEntry } from '../../src/protocol/wire.js';
import { App } from '../../src/ui/components/App.js';
import { RunRow } from '../../src/ui/components/RunRow.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { INTERRUPTED_TEXT, pauseLabel } from '../../src/ui/pause.js';
import { liveEntry, runAction } from '../../src/ui/runs.js';
import type { ConductorView } from '../../src/ui/views.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { WorkerView } from '../../src/ui/views.js';

/**
 * The UI rendered from a fixture (T1 done, T2 at pause 1 of an edit, T3 aborted, T4 waiting),
 * with no engine behind it: it draws exactly the controls each actor accepts.
 */
const fixturePath = resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json');
const fixture = (): Fixture => JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

function render(data: Fixture): string {
  const client = createStaticClient(data);
  return renderToStaticMarkup(createElement(ClientContext.Provider, { value: client }, createElement(App)));
}

const testIds = (html: string) => new Set([...html.matchAll(/data-testid="([^"]+)"/g)].map((match) => match[1]!));

function withWorker(data: Fixture, id: string, change: (view: ActorView<WorkerView>) => ActorView<WorkerView>): Fixture {
  return { ...data, actors: data.actors.map((view) => (view.key === `worker:${id}` ? change(view as ActorView<WorkerView>) : view)) };
}

describe('the UI from a static fixture', () => {
  it('shows the paused worker, with pause 1 controls and a coloured diff', () => {
    const html = render(fixture());
    const ids = testIds(html);
    expect(html).toContain('data-testid="worker-panel" data-ticket="T2"');
    for (const id of ['pause-approval', 'preview-diff', 'payload-editor', 'approve', 'edit-payload', 'abort', 'edit-message-open']) {
      expect(ids, id).toContain(id);
    }
    expect(ids).not.toContain('pause-review');
    expect(ids).not.toContain('edit-result');
    expect(html).toMatch(/class="diff-line diff-add"/);
    expect(html).toMatch(/class="diff-line diff-del"/);
    expect(html).toContain('scripted model');
  });

  it('offers Retry and Skip only on the blocked ticket, and lists only paused workers in the inbox', () => {
    const ids = testIds(render(fixture()));
    expect([...ids].filter((id) => id.startsWith('ticket-retry-') || id.startsWith('ticket-skip-')).sort()).toEqual([
      'ticket-retry-T3',
      'ticket-skip-T3',
    ]);
    expect(ids).toContain('ticket-reason-T3');
    expect([...ids].filter((id) => id.startsWith('inbox-item-'))).toEqual(['inbox-item-T2']);
  });

  it('draws no button for a command the actor does not accept', () => {
    const data = withWorker(fixture(), 'T2', (view) => ({ ...view, accepts: view.accepts.filter((key) => key !== 'clutch.abort' && key !== 'clutch.edit_message') }));
    const ids = testIds(render(data));
    expect(ids).toContain('approve');
    expect(ids).not.toContain('abort');
    expect(ids).not.toContain('inbox-abort-T2');
    expect(ids).not.toContain('edit-message-open');
  });

  it('shows pause 2 with the editable output and the refusal of the last edit', () => {
    const data = withWorker(fixture(), 'T2', (view) => {
      const last = view.context.messages.at(-1)!;
      const call = typeof last.content === 'string' ? undefined : last.content.find((block) => block.type === 'tool_use');
      return {
        ...view,
        value: { toolCycle: 'reviewingResult' },
        accepts: ['clutch.approve', 'clutch.edit_result', 'clutch.edit_message', 'clutch.abort'],
        context: {
          ...view.context,
          preview: null,
          refusal: 'output must be a string',
          review: { type: 'tool_result', tool_use_id: call && call.type === 'tool_use' ? call.id : 'x', content: 'edited "src/cart.js"' },
        },
      };
    });
    const html = render(data);
    const ids = testIds(html);
    for (const id of ['pause-review', 'result-editor', 'edit-result', 'approve', 'abort', 'refusal']) expect(ids, id).toContain(id);
    expect(ids).not.toContain('pause-approval');
    expect(html).toContain('output must be a string');
    expect(html).toContain('data-pause="review"');
  });

  /** T2 as a resumed run would show it: its run_command cut short by a crash. */
  const interrupted = (accepts: string[]) =>
    withWorker(fixture(), 'T2', (view) => {
      const messages = view.context.messages.slice(0, -1);
      const call = { type: 'tool_use' as const, id: 'toolu_T2_09', name: 'run_command', input: { argv: ['node', '--test', 'test/cart test.js'], cwd: 'pkg' } };
      return {
        ...view,
        value: { toolCycle: 'interrupted' },
        accepts,
        context: { ...view.context, preview: null, review: null, results: [], messages: [...messages, { role: 'assistant', content: [call] }] },
      };
    });

  it('shows the interrupted pause with its call and exactly the three answers the worker accepts', () => {
    const html = render(interrupted(['clutch.rerun', 'clutch.use_output', 'clutch.abort', 'clutch.set_trust:step', 'clutch.set_trust:auto']));
    const ids = testIds(html);
    for (const id of ['pause-interrupted', 'interrupted-text', 'interrupted-command', 'interrupted-cwd', 'rerun', 'use-output', 'abort', 'inbox-rerun-T2', 'inbox-use-output-T2', 'inbox-abort-T2']) {
      expect(ids, id).toContain(id);
    }
    for (const id of ['pause-approval', 'pause-review', 'approve', 'inbox-approve-T2', 'edit-payload']) expect(ids, id).not.toContain(id);
    expect(html).toContain(INTERRUPTED_TEXT);
    expect(html).toContain('node --test &#x27;test/cart test.js&#x27;');
    expect(html).toMatch(/data-testid="interrupted-cwd">pkg</);
    expect(html).toContain('data-pause="interrupted"');
    expect(html).toContain('>Use this output (empty)</button>');
    expect(html).toContain('>Re-run</button>');
    // The status says interrupted, not an approval or a review.
    expect(html).toMatch(/data-testid="panel-status" data-label="interrupted">interrupted</);
    expect(html).not.toContain(pauseLabel.approval);
    expect(html).not.toContain(pauseLabel.review);
  });

  it('draws only the interrupted answers the worker accepts', () => {
    const ids = testIds(render(interrupted(['clutch.use_output'])));
    expect(ids).toContain('use-output');
    expect(ids).toContain('inbox-use-output-T2');
    for (const id of ['rerun', 'inbox-rerun-T2', 'abort', 'inbox-abort-T2']) expect(ids, id).not.toContain(id);
  });

  it('lists runs with Open for finished ones, Resume for interrupted ones, and nothing for the current or a busy one', () => {
    const entry = (id: string, status: RunListEntry['status'], completed = 0): RunListEntry => ({ id, track: 'demo', title: 'Demo', status, completed, total: 4, created: 1000, updated: 61_000 });
    const runs = [entry('r5', 'running', 1), entry('r4', 'interrupted'), entry('r3', 'done', 4), entry('r2', 'stalled', 3), entry('r1', 'running')];
    const client = createStaticClient(fixture());
    const html = renderToStaticMarkup(
      createElement(
        ClientContext.Provider,
        { value: client },
        createElement('table', null, createElement('tbody', null, ...runs.map((run) => createElement(RunRow, { key: run.id, run, current: 'r5', now: 121_000 })))),
      ),
    );
    const ids = testIds(html);
    expect([...ids].filter((id) => /^run-(open|resume)-/.test(id)).sort()).toEqual(['run-open-r2', 'run-open-r3', 'run-resume-r4']);
    expect(html).toMatch(/data-testid="run-row-r5" data-status="running" data-current="true"/);
    expect(html.match(/data-testid="run-current"/g)).toHaveLength(1);
    expect(html).toContain('open in another Clutch process');
    expect(html).toMatch(/data-testid="run-progress-r3"[^>]*>.*4\/4</);
    expect(html).toContain('1 min ago');
    expect(runAction(runs[0]!, 'r5')).toBeNull();
    expect(runAction(runs[1]!, null)).toBe('resume');
  });

  it("shows the current run's live status and progress, not the store's last commit", () => {
    const row: RunListEntry = { id: 'r1', track: 'demo', title: 'Demo', status: 'running', completed: 3, total: 4, created: 0, updated: 0 };
    const conductor = { key: 'conductor', kind: 'conductor', status: 'active', value: { mode: 'async', trustOverride: 'none', run: 'done' }, context: { completed: 4 } as ConductorView, accepts: [] } as ActorView<ConductorView>;
    expect(liveEntry(row, conductor)).toEqual({ ...row, status: 'done', completed: 4 });
    expect(liveEntry(row, null)).toBe(row);
  });

  it('records and refuses commands: there is no engine behind a fixture', async () => {
    const client = createStaticClient(fixture());
    const reply = await client.call('command', { target: { kind: 'worker', id: 'T2' }, command: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T2_01' } } });
    expect(reply.ok).toBe(false);
    expect(client.sent).toEqual([{ target: { kind: 'worker', id: 'T2' }, command: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T2_01' } } }]);
  });
});
