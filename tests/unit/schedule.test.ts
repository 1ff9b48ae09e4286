import { at, toArray } from '../../src/machines/chunked.js';
import { describe, expect, it } from 'vitest';
import {
  initialSchedule,
  markStarted,
  pickStarts,
  planOf,
  recordChange,
  type Change,
  type Schedule,
} from '../../src/machines/schedule.js';
import type { TicketSpec } from '../../src/machines/ticket.js';
import type { TicketStatus } from '../../src/protocol/index.js';

function spec(id: string, dependencies: string[] = []): TicketSpec {
  return { id, target_file: `${id}.txt`, prompt: id, worker_archetype: 'codegen', dependencies };
}

function change(status: TicketStatus, fields: Partial<Change> = {}): Change {
  return { status, attempts: 1, blocked_reason: null, summary: null, skipped: false, ...fields };
}

// T0 ─┬─ T2 ─┐
// T1 ─┘      ├─ T4        T3 (independent), T5 depends on T3
//     T0 ────┘
const track = [spec('T0'), spec('T1'), spec('T2', ['T0', 'T1']), spec('T3'), spec('T4', ['T2', 'T0']), spec('T5', ['T3'])];

describe('planOf', () => {
  it('indexes tickets by id and lists each ticket\'s dependents', () => {
    const plan = planOf(track);
    expect(plan.indexOf).toEqual({ T0: 0, T1: 1, T2: 2, T3: 3, T4: 4, T5: 5 });
    expect(plan.dependents).toEqual([[2, 4], [2], [4], [5], [], []]);
    expect(plan.specs).toBe(track);
  });

  it('throws on a dependency that is not in the track', () => {
    expect(() => planOf([spec('A', ['Z'])])).toThrow('ticket A depends on unknown ticket Z');
  });
});

describe('initialSchedule', () => {
  it('counts unmet dependencies and lists the ready tickets in track order', () => {
    const schedule = initialSchedule(planOf(track));
    expect(toArray(schedule.waitingOn)).toEqual([0, 0, 2, 0, 2, 1]);
    expect(schedule.ready).toEqual([0, 1, 3]);
    expect(schedule.active).toBe(0);
    expect(schedule.completed).toBe(0);
    expect(schedule.tickets.size).toBe(6);
    for (const ticket of toArray(schedule.tickets)) {
      expect(ticket).toEqual({ status: 'pending', attempts: 0, blocked_reason: null, summary: null, skipped: false, spawned: false });
    }
  });
});

describe('recordChange', () => {
  const plan = planOf(track);

  function started(indices: number[]): Schedule {
    return markStarted(initialSchedule(plan), indices);
  }

  it('keeps only ticket fields from a change event', () => {
    const event = { type: 'ticket.changed', id: 'T0', ...change('running') };
    const schedule = recordChange(plan, started([0]), 0, event);
    expect(Object.keys(at(schedule.tickets, 0)).sort()).toEqual(['attempts', 'blocked_reason', 'skipped', 'spawned', 'status', 'summary']);
  });

  it('a completion lowers its dependents\' counts and makes them ready only at zero', () => {
    let schedule = started([0, 1, 3]);
    schedule = recordChange(plan, schedule, 0, change('completed', { summary: 'T0 done' }));
    expect(toArray(schedule.waitingOn)).toEqual([0, 0, 1, 0, 1, 1]);
    expect(schedule.ready).toEqual([]);
    expect(schedule.completed).toBe(1);
    expect(schedule.active).toBe(2);
    expect(at(schedule.tickets, 0)).toEqual({ ...change('completed', { summary: 'T0 done' }), spawned: true });

    schedule = recordChange(plan, schedule, 1, change('completed'));
    expect(at(schedule.waitingOn, 2)).toBe(0);
    expect(schedule.ready).toEqual([2]);
    expect(schedule.active).toBe(1);
  });

  it('keeps the ready list sorted by track index whatever order tickets become ready in', () => {
    let schedule = started([0, 1, 3]);
    schedule = recordChange(plan, schedule, 3, change('completed'));
    expect(schedule.ready).toEqual([5]);
    schedule = recordChange(plan, schedule, 0, change('completed'));
    schedule = recordChange(plan, schedule, 1, change('completed'));
    expect(schedule.ready).toEqual([2, 5]);
  });

  it('is idempotent for a repeated status', () => {
    let schedule = started([0, 1, 3]);
    schedule = recordChange(plan, schedule, 0, change('completed'));
    const again = recordChange(plan, schedule, 0, change('completed'));
    expect(again.completed).toBe(1);
    expect(again.waitingOn).toEqual(schedule.waitingOn);
    expect(again.ready).toEqual(schedule.ready);
    expect(again.active).toBe(schedule.active);

    const running = recordChange(plan, schedule, 1, change('running'));
    expect(running.active).toBe(schedule.active);
    expect(recordChange(plan, running, 1, change('running')).active).toBe(schedule.active);
    // step_paused is as active as running
    expect(recordChange(plan, running, 1, change('step_paused')).active).toBe(schedule.active);
  });

  it('a repeated pending does not list the ticket twice', () => {
    let schedule = started([0]);
    schedule = recordChange(plan, schedule, 0, change('blocked', { blocked_reason: 'x' }));
    expect(schedule.active).toBe(0);
    expect(schedule.ready).toEqual([1, 3]);
    schedule = recordChange(plan, schedule, 0, change('pending'));
    expect(schedule.ready).toEqual([0, 1, 3]);
    schedule = recordChange(plan, schedule, 0, change('pending'));
    expect(schedule.ready).toEqual([0, 1, 3]);
  });

  it('blocked leaves the active count and does not free dependents', () => {
    let schedule = started([0, 1]);
    schedule = recordChange(plan, schedule, 0, change('blocked', { blocked_reason: 'aborted' }));
    expect(schedule.active).toBe(1);
    expect(toArray(schedule.waitingOn)).toEqual([0, 0, 2, 0, 2, 1]);
    expect(at(schedule.tickets, 0)).toMatchObject({ status: 'blocked', blocked_reason: 'aborted', spawned: true });
  });

  it('a skipped completion frees dependents like any completion', () => {
    let schedule = started([3]);
    schedule = recordChange(plan, schedule, 3, change('blocked'));
    schedule = recordChange(plan, schedule, 3, change('completed', { skipped: true }));
    expect(schedule.ready).toEqual([0, 1, 5]);
    expect(schedule.completed).toBe(1);
    expect(at(schedule.tickets, 3)).toMatchObject({ status: 'completed', skipped: true });
  });

  it('does not change the schedule it was given', () => {
    const schedule = started([0, 1, 3]);
    const copy = structuredClone(schedule);
    recordChange(plan, schedule, 0, change('completed'));
    recordChange(plan, schedule, 1, change('blocked'));
    expect(schedule).toEqual(copy);
  });
});

describe('pickStarts', () => {
  const plan = planOf([spec('A'), spec('B'), spec('C'), spec('D')]);

  it('async mode fills the free slots up to max_concurrency, in track order', () => {
    const schedule = initialSchedule(plan);
    expect(pickStarts(schedule, 'async', 2)).toEqual([0, 1]);
    expect(pickStarts(schedule, 'async', 10)).toEqual([0, 1, 2, 3]);
    const one = markStarted(schedule, [0]);
    expect(pickStarts(one, 'async', 2)).toEqual([1]);
    expect(pickStarts(markStarted(schedule, [0, 1]), 'async', 2)).toEqual([]);
    // More active than the cap (the cap was lowered): nothing starts.
    expect(pickStarts(markStarted(schedule, [0, 1, 2]), 'async', 2)).toEqual([]);
  });

  it('linear mode starts the first ready ticket, and only when none is active', () => {
    const schedule = initialSchedule(plan);
    expect(pickStarts(schedule, 'linear', 4)).toEqual([0]);
    expect(pickStarts(markStarted(schedule, [0]), 'linear', 4)).toEqual([]);
    const ended = recordChange(plan, markStarted(schedule, [0]), 0, change('completed'));
    expect(pickStarts(ended, 'linear', 4)).toEqual([1]);
  });

  it('starts nothing when nothing is ready', () => {
    const schedule = markStarted(initialSchedule(plan), [0, 1, 2, 3]);
    expect(pickStarts(schedule, 'async', 8)).toEqual([]);
    expect(pickStarts(recordChange(plan, schedule, 0, change('completed')), 'linear', 8)).toEqual([]);
  });
});

describe('markStarted', () => {
  it('marks the tickets running and spawned, takes them off the ready list, counts them active', () => {
    const schedule = initialSchedule(planOf([spec('A'), spec('B'), spec('C')]));
    const next = markStarted(schedule, [0, 2]);
    expect(toArray(next.tickets).map((ticket) => [ticket.status, ticket.spawned])).toEqual([
      ['running', true],
      ['pending', false],
      ['running', true],
    ]);
    expect(next.ready).toEqual([1]);
    expect(next.active).toBe(2);
    expect(at(schedule.tickets, 0).status).toBe('pending');
  });

  it('takes a prefix of the ready list (what pickStarts picks) off it, leaving the original as it was', () => {
    const schedule = initialSchedule(planOf([spec('A'), spec('B'), spec('C'), spec('D')]));
    const next = markStarted(schedule, pickStarts(schedule, 'async', 2));
    expect(next.ready).toEqual([2, 3]);
    expect(schedule.ready).toEqual([0, 1, 2, 3]);
    expect(markStarted(next, [3]).ready).toEqual([2]);
  });

  it('returns the same schedule when nothing starts', () => {
    const schedule = initialSchedule(planOf([spec('A')]));
    expect(markStarted(schedule, [])).toBe(schedule);
  });
});

describe('chunked lists', () => {
  it('replaces entries without touching the original or other chunks', async () => {
    const { chunkedFrom, withEntries } = await import('../../src/machines/chunked.js');
    const list = chunkedFrom(Array.from({ length: 600 }, (_, index) => index));
    expect(list.chunks.map((chunk) => chunk.length)).toEqual([256, 256, 88]);
    const next = withEntries(list, [[3, -3], [300, -300], [4, -4]]);
    expect(at(next, 3)).toBe(-3);
    expect(at(next, 300)).toBe(-300);
    expect(at(list, 3)).toBe(3);
    expect(next.chunks[2]).toBe(list.chunks[2]);
    expect(toArray(next)).toHaveLength(600);
    expect(withEntries(list, [])).toBe(list);
    expect(() => at(list, 600)).toThrow(RangeError);
    expect(JSON.parse(JSON.stringify(next))).toEqual(next);
  });
});
