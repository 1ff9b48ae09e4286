import { describe, expect, it } from 'vitest';
import type { DoneActorEvent, SnapshotFrom } from 'xstate';
import { ticketMachine, workerPrompt, type TicketInput, type TicketSpec, type WorkerProfile } from '../../src/machines/ticket.js';
import type { WorkerOutput } from '../../src/machines/worker-types.js';
import { sentToChild, sentToParent, spawned, start, step, steps, stopped, type EventFor } from '../support/pure.js';

type Snapshot = SnapshotFrom<typeof ticketMachine>;

const spec: TicketSpec = {
  id: 'T1',
  target_file: 'src/hello.ts',
  prompt: 'Make the greeting friendlier',
  worker_archetype: 'codegen',
  dependencies: [],
};

const profile: WorkerProfile = {
  archetype: 'codegen',
  profile: 'scripted',
  system: 'You are a careful engineer.',
  tools: ['read_file', 'edit_file', 'task_complete'],
  trust: 'step',
  maxTurns: 8,
};

function ticket(overrides: Partial<TicketInput> = {}) {
  return start(ticketMachine, { ticket: spec, worker: profile, trustOverride: 'none', ...overrides });
}

function send(snapshot: Snapshot, event: EventFor<typeof ticketMachine>) {
  return step(ticketMachine, snapshot, event);
}

function workerDone(output: WorkerOutput): DoneActorEvent<WorkerOutput, 'worker'> {
  return { type: 'xstate.done.actor.worker', output, actorId: 'worker' };
}

function changed(status: string, fields: Partial<{ attempts: number; blocked_reason: string | null; summary: string | null; skipped: boolean }> = {}) {
  return { type: 'ticket.changed', id: 'T1', status, attempts: 1, blocked_reason: null, summary: null, skipped: false, ...fields };
}

/** Every start prepares first (the briefing; under worktree isolation the worktree too). */
const preparedShared = { type: 'xstate.done.actor.prepare', output: {}, actorId: 'prepare' } as const;

function started(snapshot: Snapshot) {
  return send(send(snapshot, { type: 'ticket.start' }).snapshot, preparedShared as never);
}

function running(overrides: Partial<TicketInput> = {}) {
  return started(ticket(overrides).snapshot);
}

describe('ticket: its context', () => {
  // As the conductor's (machine-conductor.test.ts): past 19 fields, every assign copies a dictionary.
  it('keeps at most 19 fields, so that each assign copies a fast object', () => {
    const live = running();
    expect(Object.keys(live.snapshot.context).length).toBeLessThanOrEqual(19);
  });
});

describe('ticket: pending', () => {
  it('starts pending, attempts 0, and does not announce itself', () => {
    const { snapshot, actions } = ticket();
    expect(snapshot.value).toBe('pending');
    expect(snapshot.context).toMatchObject({ attempts: 0, blocked_reason: null, summary: null, skipped: false, trustOverride: 'none' });
    expect(sentToParent(actions)).toEqual([]);
    expect(spawned(actions)).toEqual([]);
    expect(Object.keys(snapshot.children)).toEqual([]);
  });

  it('accepts only ticket.start (and a trust override)', () => {
    const { snapshot } = ticket();
    expect(snapshot.can({ type: 'ticket.start' })).toBe(true);
    expect(snapshot.can({ type: 'ticket.retry' })).toBe(false);
    expect(snapshot.can({ type: 'ticket.skip' })).toBe(false);
    expect(snapshot.can({ type: 'worker.paused', pause: 'approval' })).toBe(false);
  });
});

describe('ticket: running', () => {
  it('ticket.start spawns the worker with the ticket\'s prompt and settings, and reports running', () => {
    const { snapshot, actions } = running();
    expect(snapshot.value).toBe('running');
    expect(snapshot.context.attempts).toBe(1);
    expect(spawned(actions)).toEqual([
      {
        id: 'worker',
        src: 'worker',
        systemId: 'worker:T1',
        input: {
          ticketId: 'T1',
          attempt: 1,
          profile: 'scripted',
          system: 'You are a careful engineer.',
          prompt: workerPrompt(spec),
          tools: ['read_file', 'edit_file', 'task_complete'],
          trust: 'step',
          trustOverride: 'none',
          maxTurns: 8,
          archetype: 'codegen',
        },
      },
    ]);
    expect(workerPrompt(spec)).toContain('Ticket T1: Make the greeting friendlier');
    expect(workerPrompt(spec)).toContain('Target file: src/hello.ts');
    expect(Object.keys(snapshot.children)).toEqual(['worker']);
    expect(sentToParent(actions)).toEqual([changed('running')]);
  });

  it('worker.paused → step_paused and worker.resumed → running, each reported, the worker kept', () => {
    const paused = send(running().snapshot, { type: 'worker.paused', pause: 'approval' });
    expect(paused.snapshot.value).toBe('step_paused');
    expect(sentToParent(paused.actions)).toEqual([changed('step_paused')]);
    expect(spawned(paused.actions)).toEqual([]);

    const resumed = send(paused.snapshot, { type: 'worker.resumed' });
    expect(resumed.snapshot.value).toBe('running');
    expect(sentToParent(resumed.actions)).toEqual([changed('running')]);
    // Re-entering running does not spawn a second worker.
    expect(spawned(resumed.actions)).toEqual([]);
    expect(Object.keys(resumed.snapshot.children)).toEqual(['worker']);
    expect(resumed.snapshot.context.attempts).toBe(1);
  });

  it('a completed worker completes the ticket with its summary; the worker is stopped', () => {
    const { snapshot, actions } = send(running().snapshot, workerDone({ outcome: 'completed', summary: 'Greeting now says hello' }));
    expect(snapshot.value).toBe('completed');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.summary).toBe('Greeting now says hello');
    expect(stopped(actions)).toEqual(['worker']);
    expect(Object.keys(snapshot.children)).toEqual([]);
    expect(sentToParent(actions)).toEqual([changed('completed', { summary: 'Greeting now says hello' })]);
  });

  it('a worker that completes while the ticket shows step_paused also completes it', () => {
    const paused = send(running().snapshot, { type: 'worker.paused', pause: 'review' }).snapshot;
    const { snapshot } = send(paused, workerDone({ outcome: 'completed', summary: 'ok' }));
    expect(snapshot.value).toBe('completed');
  });

  it.each([
    ['aborted', { outcome: 'aborted', reason: 'aborted: wrong approach' } as WorkerOutput, 'aborted: wrong approach'],
    ['failed', { outcome: 'failed', reason: 'max_turns (8) reached without task_complete' } as WorkerOutput, 'max_turns (8) reached without task_complete'],
  ])('a worker that %s blocks the ticket with the reason', (_name, output, reason) => {
    for (const from of [running().snapshot, send(running().snapshot, { type: 'worker.paused', pause: 'approval' }).snapshot]) {
      const { snapshot, actions } = send(from, workerDone(output));
      expect(snapshot.value).toBe('blocked');
      expect(snapshot.status).toBe('active');
      expect(snapshot.context.blocked_reason).toBe(reason);
      expect(snapshot.context.summary).toBeNull();
      expect(stopped(actions)).toEqual(['worker']);
      expect(sentToParent(actions)).toEqual([changed('blocked', { blocked_reason: reason })]);
    }
  });

  it('a worker actor that throws blocks the ticket with an internal error', () => {
    const { snapshot, actions } = send(running().snapshot, {
      type: 'xstate.error.actor.worker',
      error: new Error('cannot read properties of undefined'),
      actorId: 'worker',
    });
    expect(snapshot.value).toBe('blocked');
    expect(snapshot.context.blocked_reason).toBe('internal error: cannot read properties of undefined');
    expect(sentToParent(actions)).toEqual([changed('blocked', { blocked_reason: 'internal error: cannot read properties of undefined' })]);
  });
});

describe('ticket: blocked, retry and skip', () => {
  function blocked() {
    return send(running().snapshot, workerDone({ outcome: 'failed', reason: 'model error: 529 overloaded' })).snapshot;
  }

  it('accepts retry and skip, not start', () => {
    const snapshot = blocked();
    expect(snapshot.can({ type: 'ticket.retry' })).toBe(true);
    expect(snapshot.can({ type: 'ticket.skip' })).toBe(true);
    expect(snapshot.can({ type: 'ticket.start' })).toBe(false);
    expect(running().snapshot.can({ type: 'ticket.retry' })).toBe(false);
    expect(running().snapshot.can({ type: 'ticket.skip' })).toBe(false);
  });

  it('retry goes back to pending and says so; the next start is attempt 2 with a fresh worker', () => {
    const retried = send(blocked(), { type: 'ticket.retry' });
    expect(retried.snapshot.value).toBe('pending');
    expect(retried.snapshot.context.attempts).toBe(1);
    const [pending] = sentToParent(retried.actions);
    expect(pending).toMatchObject({ type: 'ticket.changed', id: 'T1', status: 'pending', attempts: 1, skipped: false, blocked_reason: null });
    expect(retried.snapshot.context.blocked_reason).toBeNull();
    expect(spawned(retried.actions)).toEqual([]);

    const restarted = started(retried.snapshot);
    expect(restarted.snapshot.value).toBe('running');
    expect(restarted.snapshot.context.attempts).toBe(2);
    expect(restarted.snapshot.context.blocked_reason).toBeNull();
    expect(spawned(restarted.actions)).toEqual([expect.objectContaining({ id: 'worker', input: expect.objectContaining({ attempt: 2 }) })]);
    expect(sentToParent(restarted.actions)).toEqual([changed('running', { attempts: 2 })]);
  });

  it('skip completes the ticket marked as skipped', () => {
    const { snapshot, actions } = send(blocked(), { type: 'ticket.skip' });
    expect(snapshot.value).toBe('completed');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.skipped).toBe(true);
    expect(sentToParent(actions)).toEqual([
      changed('completed', { skipped: true, blocked_reason: 'model error: 529 overloaded' }),
    ]);
  });

  it('a completed ticket accepts nothing', () => {
    const { snapshot } = send(running().snapshot, workerDone({ outcome: 'completed', summary: 'done' }));
    for (const event of [{ type: 'ticket.start' }, { type: 'ticket.retry' }, { type: 'ticket.skip' }] as const) {
      expect(snapshot.can(event)).toBe(false);
    }
  });
});

describe('ticket: trust override', () => {
  it('before the worker exists it is only recorded, and the worker starts with it', () => {
    const recorded = send(ticket().snapshot, { type: 'ticket.trust_override', override: 'auto' });
    expect(recorded.snapshot.value).toBe('pending');
    expect(recorded.snapshot.context.trustOverride).toBe('auto');
    expect(recorded.actions.filter((action) => action.type === 'xstate.sendTo')).toEqual([]);
    const first = started(recorded.snapshot);
    expect(spawned(first.actions)[0]?.input).toMatchObject({ trustOverride: 'auto', trust: 'step' });
  });

  it('the override from the input reaches the worker', () => {
    const { actions } = running({ trustOverride: 'step' });
    expect(spawned(actions)[0]?.input).toMatchObject({ trustOverride: 'step' });
  });

  it('while running or paused it is recorded and relayed to the worker', () => {
    for (const from of [running().snapshot, send(running().snapshot, { type: 'worker.paused', pause: 'approval' }).snapshot]) {
      const { snapshot, actions } = send(from, { type: 'ticket.trust_override', override: 'step' });
      expect(snapshot.value).toBe(from.value);
      expect(snapshot.context.trustOverride).toBe('step');
      expect(sentToChild(actions, 'worker')).toEqual([{ type: 'worker.trust_override', override: 'step' }]);
      expect(sentToParent(actions)).toEqual([]);
    }
  });

  it('a retried ticket\'s new worker gets the override recorded while blocked', () => {
    const { snapshot } = steps(ticketMachine, running().snapshot, [
      workerDone({ outcome: 'aborted', reason: 'aborted by the human' }),
      { type: 'ticket.trust_override', override: 'auto' },
      { type: 'ticket.retry' },
    ]);
    const again = started(snapshot);
    expect(spawned(again.actions)[0]?.input).toMatchObject({ attempt: 2, trustOverride: 'auto' });
  });
});

describe('ticket: worktree isolation', () => {
  const isolated = () => send(ticket({ isolation: 'worktree' }).snapshot, { type: 'ticket.start' });
  const prepared = { type: 'xstate.done.actor.prepare', output: { path: '/run/worktrees/T1', base: 'abc', created: true }, actorId: 'prepare' } as const;
  const merged = (output: { ok: true; commit: string } | { ok: false; conflicts: string[]; message: string }) =>
    ({ type: 'xstate.done.actor.merge', output, actorId: 'merge' }) as const;

  it('prepares its worktree before the worker starts, and tells the conductor only once it runs', () => {
    const { snapshot, actions } = isolated();
    expect(snapshot.value).toBe('preparing');
    expect(snapshot.context.attempts).toBe(1);
    // Only the invoked prepare step: no worker yet.
    expect(spawned(actions)).toEqual([expect.objectContaining({ id: 'prepare', src: 'prepareWorkspace', input: { ticketId: 'T1', attempt: 1, fresh: false, isolated: true } })]);
    expect(sentToParent(actions)).toEqual([]);
    const next = send(snapshot, prepared as never);
    expect(next.snapshot.value).toBe('running');
    expect(spawned(next.actions)).toEqual([expect.objectContaining({ id: 'worker', src: 'worker' })]);
    expect(sentToParent(next.actions)).toEqual([changed('running')]);
  });

  it('a worktree that cannot be made blocks the ticket with the reason', () => {
    const { snapshot } = isolated();
    const next = send(snapshot, { type: 'xstate.error.actor.prepare', error: new Error('disk full'), actorId: 'prepare' } as never);
    expect(next.snapshot.value).toBe('blocked');
    expect(next.snapshot.context.blocked_reason).toBe("could not prepare the ticket's worktree: disk full");
  });

  it('merges after the worker completes; a clean merge completes the ticket', () => {
    const working = send(isolated().snapshot, prepared as never).snapshot;
    const merging = send(working, workerDone({ outcome: 'completed', summary: 'did it' }));
    expect(merging.snapshot.value).toBe('merging');
    expect(sentToParent(merging.actions)).toEqual([]);
    const done = send(merging.snapshot, merged({ ok: true, commit: 'c0ffee' }) as never);
    expect(done.snapshot.value).toBe('completed');
    expect(sentToParent(done.actions)).toEqual([changed('completed', { summary: 'did it' })]);
  });

  it('a conflict blocks with the files; retry starts the next attempt on a fresh worktree, told about the conflict', () => {
    const working = send(isolated().snapshot, prepared as never).snapshot;
    const merging = send(working, workerDone({ outcome: 'completed', summary: 'did it' })).snapshot;
    const blocked = send(merging, merged({ ok: false, conflicts: ['a.txt', 'b.txt'], message: 'merge conflict with clutch/r/integration in a.txt, b.txt' }) as never).snapshot;
    expect(blocked.value).toBe('blocked');
    expect(blocked.context.blocked_reason).toContain('merge conflict with clutch/r/integration in a.txt, b.txt');
    expect(blocked.context).toMatchObject({ conflict: ['a.txt', 'b.txt'], freshWorkspace: true });
    const pending = send(blocked, { type: 'ticket.retry' }).snapshot;
    const again = send(pending, { type: 'ticket.start' }).snapshot;
    expect(again.value).toBe('preparing');
    expect(again.context.freshWorkspace).toBe(true);
    const started = send(again, prepared as never);
    expect(started.snapshot.context).toMatchObject({ conflict: null, freshWorkspace: false, attempts: 2 });
    expect(workerPrompt(spec, ['a.txt', 'b.txt'])).toContain('could not be merged: it conflicted with work merged since it started, in a.txt, b.txt');
  });

  it('a failed merge blocks with its reason; a retry without "restore" goes on in the same worktree', () => {
    const working = send(isolated().snapshot, prepared as never).snapshot;
    const merging = send(working, workerDone({ outcome: 'completed', summary: 'did it' })).snapshot;
    const blocked = send(merging, { type: 'xstate.error.actor.merge', error: new Error('index.lock exists'), actorId: 'merge' } as never).snapshot;
    expect(blocked.context.blocked_reason).toBe("could not merge the ticket's work: index.lock exists");
    expect(send(send(blocked, { type: 'ticket.retry' }).snapshot, { type: 'ticket.start' }).snapshot.context.freshWorkspace).toBe(false);
    expect(send(send(blocked, { type: 'ticket.retry', files: 'restore' }).snapshot, { type: 'ticket.start' }).snapshot.context.freshWorkspace).toBe(true);
  });
});

describe('ticket: briefing and code review', () => {
  const reviewer: WorkerProfile = {
    archetype: 'tech_lead',
    profile: 'scripted',
    system: 'You review code.',
    tools: ['read_file', 'approve_change', 'request_changes'],
    trust: 'step',
    maxTurns: 5,
    finish: ['approve_change', 'request_changes'],
  };
  const reviewed: WorkerProfile = { ...profile, review: { worker: reviewer, maxRounds: 2 } };
  const transcript = [
    { role: 'user' as const, content: 'Ticket T1: ...' },
    { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'c9', name: 'task_complete', input: { summary: 'done' } }] },
    { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'c9', content: 'Task marked complete.', is_error: false }] },
  ];
  const brief = { type: 'xstate.done.actor.brief', output: { diff: '--- a/src/hello.ts\n+++ b/src/hello.ts' }, actorId: 'brief' } as const;
  const verdict = (name: 'approve_change' | 'request_changes', input: Record<string, unknown>) =>
    ({ type: 'xstate.done.actor.reviewer', output: { outcome: 'completed', summary: 's', finished: { name, input } }, actorId: 'reviewer' }) as never;

  function underReview(overrides: Partial<TicketInput> = {}) {
    const done = send(running({ worker: reviewed, ...overrides }).snapshot, workerDone({ outcome: 'completed', summary: 'Greeting now says hello', messages: transcript }));
    return done;
  }

  it('the briefing from prepare goes into the worker\'s first message', () => {
    const snapshot = send(ticket().snapshot, { type: 'ticket.start' }).snapshot;
    const next = send(snapshot, { type: 'xstate.done.actor.prepare', output: { briefing: '--- src/money.js (skeleton)\nexport function toCents(amount) { … }' }, actorId: 'prepare' } as never);
    const prompt = (spawned(next.actions)[0]?.input as { prompt: string }).prompt;
    expect(prompt).toContain('The files this ticket depends on, as skeletons');
    expect(prompt).toContain('export function toCents(amount) { … }');
  });

  it('task_complete starts a review (still running, nothing told); the reviewer gets the diff and the verdict tools', () => {
    const done = underReview();
    expect(done.snapshot.value).toEqual({ reviewing: 'briefing' });
    expect(sentToParent(done.actions)).toEqual([]);
    expect(done.snapshot.context.transcript).toEqual(transcript);
    const next = send(done.snapshot, brief as never);
    expect(next.snapshot.value).toEqual({ reviewing: 'reviewer' });
    const [spawn] = spawned(next.actions);
    expect(spawn).toMatchObject({ id: 'reviewer', systemId: 'worker:T1@review', input: { ticketId: 'T1@review', attempt: 1, archetype: 'tech_lead', finish: ['approve_change', 'request_changes'] } });
    const prompt = (spawn!.input as { prompt: string }).prompt;
    expect(prompt).toContain('Review ticket T1');
    expect(prompt).toContain("The worker's summary: Greeting now says hello");
    expect(prompt).toContain('+++ b/src/hello.ts');
  });

  it('a reviewer pause makes the ticket step_paused, and its resume running again', () => {
    const reviewing = send(underReview().snapshot, brief as never).snapshot;
    const paused = send(reviewing, { type: 'worker.paused', pause: 'approval' });
    expect(paused.snapshot.value).toEqual({ reviewing: 'paused' });
    expect(sentToParent(paused.actions)).toEqual([changed('step_paused', { summary: 'Greeting now says hello' })]);
    const resumed = send(paused.snapshot, { type: 'worker.resumed' });
    expect(resumed.snapshot.value).toEqual({ reviewing: 'reviewer' });
    expect(sentToParent(resumed.actions)).toEqual([changed('running', { summary: 'Greeting now says hello' })]);
  });

  it('approve completes the ticket (merges first under worktree isolation)', () => {
    const reviewing = send(underReview().snapshot, brief as never).snapshot;
    const done = send(reviewing, verdict('approve_change', { comment: 'fine' }));
    expect(done.snapshot.value).toBe('completed');
    expect(done.snapshot.context.verdict).toEqual({ verdict: 'approve', comments: 'fine', round: 1 });
    expect(done.snapshot.context.transcript).toBeNull();
    expect(stopped(done.actions)).toEqual(['reviewer']);
    const isolatedReview = send(send(send(ticket({ worker: reviewed, isolation: 'worktree' }).snapshot, { type: 'ticket.start' }).snapshot, preparedShared as never).snapshot, workerDone({ outcome: 'completed', summary: 'x', messages: transcript })).snapshot;
    const merging = send(send(isolatedReview, brief as never).snapshot, verdict('approve_change', {}));
    expect(merging.snapshot.value).toBe('merging');
  });

  it('request_changes goes back to the same worker key, in the same transcript, with the comments as a new message', () => {
    const reviewing = send(underReview().snapshot, brief as never).snapshot;
    const back = send(reviewing, verdict('request_changes', { comments: '1. Also greet by name.' }));
    expect(back.snapshot.value).toBe('running');
    expect(back.snapshot.context.round).toBe(1);
    const [spawn] = spawned(back.actions);
    expect(spawn).toMatchObject({ id: 'worker', systemId: 'worker:T1', input: { ticketId: 'T1', attempt: 1, messages: transcript } });
    expect((spawn!.input as { prompt: string }).prompt).toContain('1. Also greet by name.');
    expect(sentToParent(back.actions)).toEqual([changed('running', { summary: 'Greeting now says hello' })]);
  });

  it('a reviewer that never approves blocks the ticket after max_review_rounds, with the review as its reason; retry starts over', () => {
    let snapshot = send(underReview().snapshot, brief as never).snapshot;
    for (let round = 1; round <= 2; round += 1) {
      snapshot = send(snapshot, verdict('request_changes', { comments: `round ${round}: no` })).snapshot;
      expect(snapshot.value).toBe('running');
      snapshot = send(send(snapshot, workerDone({ outcome: 'completed', summary: 'again', messages: transcript })).snapshot, brief as never).snapshot;
      expect(snapshot.value).toEqual({ reviewing: 'reviewer' });
    }
    const blocked = send(snapshot, verdict('request_changes', { comments: 'round 3: still no' })).snapshot;
    expect(blocked.value).toBe('blocked');
    expect(blocked.context.blocked_reason).toBe('the code review still requests changes after 3 reviews (max_review_rounds = 2): round 3: still no');
    expect(blocked.context.reviews).toBe(3);
    const retried = started(send(blocked, { type: 'ticket.retry' }).snapshot).snapshot;
    expect(retried.context).toMatchObject({ attempts: 2, round: 0, verdict: null });
  });

  it('a reviewer that fails or ends without a verdict blocks the ticket, saying so', () => {
    const reviewing = send(underReview().snapshot, brief as never).snapshot;
    const failed = send(reviewing, { type: 'xstate.done.actor.reviewer', output: { outcome: 'failed', reason: 'model error: 500' }, actorId: 'reviewer' } as never).snapshot;
    expect(failed.value).toBe('blocked');
    expect(failed.context.blocked_reason).toBe('the code review did not finish: model error: 500');
    const briefFailed = send(underReview().snapshot, { type: 'xstate.error.actor.brief', error: new Error('git broke'), actorId: 'brief' } as never).snapshot;
    expect(briefFailed.context.blocked_reason).toBe("could not show the reviewer the ticket's change: git broke");
  });
});
