import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActorView } from '../../src/protocol/wire.js';
import { App } from '../../src/ui/components/App.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { WorkerView } from '../../src/ui/views.js';

/**
 * The UI rendered from a fixture (T1 done, T2 at pause 1 of an edit, T3 aborted, T4 waiting),
 * with no engine behind it: it draws exactly the controls each actor accepts.
 */
const fixturePath = resolve(import.meta.dirname, '../../src/ui/fixtures/demo-paused.json');
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

  it('records and refuses commands: there is no engine behind a fixture', async () => {
    const client = createStaticClient(fixture());
    const reply = await client.send({ kind: 'worker', id: 'T2' }, { type: 'clutch.approve' });
    expect(reply.ok).toBe(false);
    expect(client.sent).toEqual([{ target: { kind: 'worker', id: 'T2' }, command: { type: 'clutch.approve' } }]);
  });
});
