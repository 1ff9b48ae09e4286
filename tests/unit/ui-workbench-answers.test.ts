import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActorView } from '../../src/protocol/wire.js';
import { effectiveTrust } from '../../src/protocol/index.js';
import { App } from '../../src/ui/components/App.js';
import { GlobalBar } from '../../src/ui/components/GlobalBar.js';
import { ClientContext, offlineReason } from '../../src/ui/hooks.js';
import { armingOf, aimOf, pauseKey, type ShownPause } from '../../src/ui/keyboard/arming.js';
import { isTyping, keyAction, nextPending, step } from '../../src/ui/keyboard/keys.js';
import { bulkApprovable, describeWaiting, pauseOf, releasedBy, type Pause, type Waiting } from '../../src/ui/pause.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import type { ConductorView, WorkerView } from '../../src/ui/views.js';

/**
 * How the page answers pauses, without a browser: which pause an answer names (arming), the keys,
 * the bulk and auto-switch selections, the skipped count, and buttons with no server behind them.
 */
const fixture = (): Fixture => JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json'), 'utf8')) as Fixture;
const render = (data: Fixture, element = createElement(App), change?: (client: ReturnType<typeof createStaticClient>) => void) => {
  const client = createStaticClient(data);
  change?.(client);
  return renderToStaticMarkup(createElement(ClientContext.Provider, { value: client }, element));
};

describe('what an answer names: a pause just shown is not answered by a click meant for the one before (defect 2)', () => {
  const p1 = { kind: 'approval' as const, tool_use_id: 'toolu_1' };
  const p2 = { kind: 'review' as const, tool_use_id: 'toolu_1' };
  const shown = (ticket: string, ref: typeof p1 | typeof p2): ShownPause => ({ ticket, ref, key: pauseKey(ticket, ref) });

  it('once armed, names the pause shown', () => {
    const arming = armingOf(new Map([['panel', shown('T1', p2)]]), 'panel', 'T1', p2);
    expect(aimOf(arming, p2)).toEqual({ at: p2, notSent: null });
  });

  it("just replaced by the same worker's next pause: names the earlier one, which the engine refuses", () => {
    const arming = armingOf(new Map([['panel', shown('T1', p1)]]), 'panel', 'T1', p2);
    expect(arming.armed).toBe(false);
    expect(aimOf(arming, p2)).toEqual({ at: p1, notSent: null });
  });

  it('just shown where another worker was: sends nothing and says why', () => {
    const aim = aimOf(armingOf(new Map([['panel', shown('T2', p1)]]), 'panel', 'T1', p1), p1);
    expect(aim.notSent).toMatch(/^Not sent: T1's pause appeared here just now/);
  });

  it('the first pause a spot shows on the page replaced nothing: it takes answers at once', () => {
    expect(aimOf(armingOf(new Map<string, ShownPause>(), 'panel', 'T1', p1), p1)).toEqual({ at: p1, notSent: null });
  });
});

describe('the keys', () => {
  const element = (tag: string, extra: Record<string, unknown> = {}) => ({ tagName: tag, isContentEditable: false, closest: () => null, ...extra }) as unknown as EventTarget;
  const press = (key: string, target: EventTarget = element('BODY'), modifiers: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) =>
    keyAction({ key, ctrlKey: false, metaKey: false, altKey: false, ...modifiers, target });

  it('map a, e, x, j, k, ? and Escape, and nothing with a modifier', () => {
    expect(['a', 'e', 'x', 'j', 'k', '?', 'Escape'].map((key) => press(key))).toEqual(['approve', 'edit', 'abort', 'next', 'previous', 'help', 'leave']);
    expect(press('a', undefined, { ctrlKey: true })).toBeNull();
    expect(press('q')).toBeNull();
  });

  it('never fire while typing: an editor, a text field, a textarea; a checkbox is not typing', () => {
    expect(isTyping(element('DIV', { isContentEditable: true }))).toBe(true);
    expect(isTyping(element('SPAN', { closest: (selector: string) => (selector.includes('.cm-editor') ? {} : null) }))).toBe(true);
    expect(isTyping(element('TEXTAREA'))).toBe(true);
    expect(isTyping(element('INPUT', { type: 'text' }))).toBe(true);
    expect(isTyping(element('INPUT', { type: 'checkbox' }))).toBe(false);
    expect(press('a', element('TEXTAREA'))).toBeNull();
  });

  it('j and k step through the inbox and stop at either end; after a ticket ends, focus goes to the next pause', () => {
    expect(step(['T2', 'T3'], 'T2', 1)).toBe('T3');
    expect(step(['T2', 'T3'], 'T3', 1)).toBe('T3');
    expect(step(['T2', 'T3'], 'T2', -1)).toBe('T2');
    expect(step(['T2', 'T3'], 'T1', -1)).toBe('T3');
    expect(step([], null, 1)).toBeNull();
    expect(nextPending(['T1', 'T3'], ['T1', 'T2', 'T3', 'T4'], 'T2')).toBe('T3');
    expect(nextPending(['T1'], ['T1', 'T2', 'T3', 'T4'], 'T2')).toBe('T1');
  });
});

describe('which waiting pauses a bulk answer or a switch to auto takes', () => {
  const worker = (trust: 'step' | 'auto', trustOverride: 'none' | 'step' | 'auto') => ({ context: { trust, trustOverride } }) as unknown as ActorView<WorkerView>;
  const call = (name: string) => ({ type: 'tool_use' as const, id: `toolu_${name}`, name, input: {} });
  const approval = (name: string, previewing = false): Pause => ({ kind: 'approval', call: call(name), preview: null, previewing });
  const review = (name: string): Pause => ({ kind: 'review', call: call(name), result: { type: 'tool_result', tool_use_id: `toolu_${name}`, content: '' } });

  it('bulk: read-only calls at pause 1 (preview shown) and their results at pause 2; nothing else', () => {
    const accepts = ['clutch.approve'];
    expect(['read_file', 'list_files', 'search_files', 'read_skeleton'].every((name) => bulkApprovable(approval(name), accepts) && bulkApprovable(review(name), accepts))).toBe(true);
    expect(bulkApprovable(approval('read_file', true), accepts)).toBe(false);
    for (const name of ['write_file', 'edit_file', 'run_command', 'task_complete']) expect(bulkApprovable(approval(name), accepts), name).toBe(false);
    expect(bulkApprovable({ kind: 'interrupted', call: call('read_file') }, accepts)).toBe(false);
    expect(bulkApprovable(approval('read_file'), [])).toBe(false);
  });

  it('a switch approves pause 1 and 2 of the workers it makes auto, never an interrupted pause', () => {
    const waiting: Waiting[] = [
      { ticket: 'T1', view: worker('step', 'step'), pause: approval('read_file') },
      { ticket: 'T2', view: worker('step', 'step'), pause: review('write_file') },
      { ticket: 'T3', view: worker('step', 'step'), pause: { kind: 'interrupted', call: call('run_command') } },
    ];
    const toAuto = releasedBy(waiting, (context) => effectiveTrust(context.trust, 'auto'));
    expect(describeWaiting(toAuto)).toBe('T1 read_file (pause 1), T2 write_file (pause 2)');
    // Back to each worker's own clutch: these are all step, so nothing is approved.
    expect(releasedBy(waiting, (context) => effectiveTrust(context.trust, 'none'))).toEqual([]);
  });
});

describe('the global bar and the buttons', () => {
  it('counts a skipped ticket as skipped, not completed (defect 10)', () => {
    const data = fixture();
    const conductor = data.actors.find((view) => view.key === 'conductor') as ActorView<ConductorView>;
    conductor.context.tickets[2] = { ...conductor.context.tickets[2]!, status: 'completed', skipped: true, blocked_reason: null };
    const html = render(data, createElement(GlobalBar));
    expect(html).toMatch(/data-testid="count-completed" data-count="1"/);
    expect(html).toMatch(/data-testid="count-skipped" data-count="1"/);
  });

  it('disables every command button while the server is gone, and says why', () => {
    const reason = offlineReason({ state: 'reconnecting', attempt: 2 });
    expect(reason).toBe('The server is gone: reconnecting (attempt 2)…');
    expect(offlineReason({ state: 'open' })).toBeNull();
    const html = render(fixture(), createElement(App), (client) => client.connection.set({ state: 'reconnecting', attempt: 2 }));
    const button = (id: string) => new RegExp(`<button[^>]*data-testid="${id}"[^>]*>`).exec(html)?.[0] ?? `no button ${id}`;
    for (const id of ['approve', 'abort', 'inbox-approve-T2', 'ticket-retry-T3', 'mode-linear']) {
      expect(button(id), id).toContain('disabled=""');
      expect(button(id), id).toContain(`title="${reason}"`);
    }
    const live = render(fixture());
    expect(live).not.toMatch(/title="The server is gone/);
  });

  it('reads the pause of the fixture worker as the cards do', () => {
    const view = fixture().actors.find((candidate) => candidate.key === 'worker:T2') as ActorView<WorkerView>;
    expect(pauseOf(view)?.kind).toBe('approval');
  });
});
