import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlannerViewContext, TicketViewContext } from '../../src/machines/view-types.js';
import { RUN_SWITCH_CLOSE, type ProposedTrack } from '../../src/protocol/index.js';
import { demoDir } from '../../src/server/run-sessions.js';
import { connectSynced, startTestServer, type ServerHarness, type TestClient } from '../support/server-harness.js';

/** The web app's New request, plan approval and review, over the real socket against `clutch serve`'s server. */
let harness: ServerHarness | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await harness?.cleanup();
  harness = undefined;
});

async function client(): Promise<TestClient> {
  const connected = await connectSynced(harness!);
  clients.push(connected);
  return connected;
}

const request = readFileSync(join(demoDir, 'request.txt'), 'utf8').trim();
/** The journal entries the client got (a new hello sends the tail again: each once). */
function journal(ui: TestClient): { kind: string; ticket?: string; verdict?: string }[] {
  const seen = new Set<string>();
  return ui.batches.flatMap((batch) => batch.journal as { kind: string }[]).filter((entry) => {
    const key = JSON.stringify(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
const planner = (ui: TestClient) => ui.view('planner')?.context as PlannerViewContext | undefined;

describe('startRequest, plan approval and the planned run', () => {
  it('plans the demo request in a new run, refuses a bad edit, takes a good one, and runs the approved plan with its review', async () => {
    harness = await startTestServer({ runs: true });
    const first = await client();
    expect(first.messages[0]).toMatchObject({ type: 'hello', session: { planning: true, request: null, request_example: request } });
    // The workspace is the served run's: the client cannot name one.
    expect(await first.call('startRequest', { request, mode: 'async', trust: 'auto', workspace: '/etc' } as never)).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid message: /) });
    const reply = await first.call('startRequest', { request, mode: 'async', trust: 'auto' }, 30_000);
    if (!reply.ok) throw new Error(reply.error);
    await first.closed();
    expect(first.closeCode).toBe(RUN_SWITCH_CLOSE);

    const ui = await client();
    expect(ui.messages[0]).toMatchObject({ type: 'hello', session: { run_id: reply.value.run, request, track: { tickets: [] } } });
    await ui.untilView('planner', (view) => view.value === 'awaitingApproval', 'plan approval', );
    const proposed = planner(ui)!;
    expect(proposed).toMatchObject({ request, author: 'pm', agents: { pm: 'worker:@plan', lead: 'worker:@plan-review' } });
    expect(proposed.note).toMatch(/^The order is right/);
    expect(proposed.proposal!.tickets.map((ticket) => ticket.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(ui.view('planner')!.accepts.sort()).toEqual(['plan.approve', 'plan.edit', 'plan.send_back']);
    expect(ui.view('worker:@plan')).toMatchObject({ status: 'done' });

    // A cycle is refused with the problem named; the plan is as it was.
    const cyclic: ProposedTrack = { ...proposed.proposal!, tickets: proposed.proposal!.tickets.map((ticket) => (ticket.id === 'T1' ? { ...ticket, dependencies: ['T4'] } : ticket)) };
    const bad = await ui.command({ kind: 'planner' }, { type: 'plan.edit', track: cyclic as never });
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('dependency cycle: T1 -> T4 -> T2 -> T1') });
    expect(planner(ui)!.author).toBe('pm');
    // A good edit is the plan now.
    const edited: ProposedTrack = { ...proposed.proposal!, tickets: proposed.proposal!.tickets.map((ticket) => (ticket.id === 'T3' ? { ...ticket, prompt: `${ticket.prompt} Keep applyDiscount working.` } : ticket)) };
    expect(await ui.command({ kind: 'planner' }, { type: 'plan.edit', track: edited as never })).toMatchObject({ ok: true });
    await ui.until(() => planner(ui)?.author === 'human', 'the edit');
    expect(await ui.command({ kind: 'planner' }, { type: 'plan.approve' })).toMatchObject({ ok: true });

    // A new hello carries the planned track; the run goes on to its end.
    await ui.until(() => ui.messages.filter((message) => message.type === 'hello').length === 2, 'the second hello');
    const hello = ui.messages.filter((message) => message.type === 'hello')[1]!;
    expect(hello).toMatchObject({ session: { track: { title: "Finish the demo shop's pricing library" } } });
    const tickets = hello.type === 'hello' ? hello.session.track.tickets : [];
    expect(tickets.map((ticket) => ticket.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(tickets.find((ticket) => ticket.id === 'T3')!.prompt).toContain('Keep applyDiscount working.');
    await ui.untilView('conductor', (view) => (view.value as { run: string }).run === 'done', 'the run to end', );
    const T2 = ui.view('ticket:T2')!.context as TicketViewContext;
    expect(T2.verdict).toEqual({ verdict: 'approve', comments: 'The fractional quantity is tested now, and the cart suite passes.', round: 2 });
    expect(T2.reviewer).toBe('worker:T2@review');
    expect(ui.view('worker:T2@review')).toMatchObject({ status: 'done' });
    const verdicts = journal(ui).filter((entry) => entry.kind === 'review.verdict' && entry.ticket === 'T2');
    expect(verdicts.map((entry) => entry.verdict)).toEqual(['request_changes', 'approve']);
    expect(journal(ui).some((entry) => entry.kind === 'qa.hint' && entry.ticket === 'T2')).toBe(true);
    expect((ui.view('conductor')!.context as { usage: { qa: { hints: number } } }).usage.qa.hints).toBe(1);
  }, 120_000);
});
