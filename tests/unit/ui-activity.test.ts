import { describe, expect, it } from 'vitest';
import { activityOf, clockText, commandText, durationText, runningTools, ticketSpans } from '../../src/ui/activity.js';
import { JournalLog } from '../../src/ui/journal-log.js';
import { RunClock } from '../../src/ui/run-clock.js';

/**
 * The activity feed's reading of the journal: what each agent is doing, how long each tool call
 * and each ticket took, and the run clock the page estimates from the entries' times.
 */
const T1 = { ticket: 'T1', attempt: 1 };

function log(entries: unknown[], local = 10_000): JournalLog {
  const journal = new JournalLog();
  journal.expectFullBatch();
  journal.apply(entries, local);
  return journal;
}

describe('the journal log', () => {
  it('keeps the small fields only, drops what is not an entry, and is bounded', () => {
    const journal = new JournalLog({ limit: 3 });
    journal.apply(
      [
        { kind: 'tool', at: 5, ...T1, tool: 'write_file', tool_use_id: 'u1', input: { path: 'src/a.js', content: 'x'.repeat(100_000) }, is_error: false, output: 'y'.repeat(50_000), duration_ms: 12 },
        'not an entry',
        { kind: 'no time' },
        { kind: 'command', at: 6, target: 'worker:T1', event: { type: 'clutch.edit_payload', pause: { kind: 'approval', tool_use_id: 'u2' }, input: { path: 'big', content: 'z'.repeat(1000) }, approve: true } },
      ],
      100,
    );
    const rows = journal.rows.getSnapshot();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ n: 0, epoch: 0, kind: 'tool', at: 5, ticket: 'T1', attempt: 1, tool: 'write_file', tool_use_id: 'u1', is_error: false, duration_ms: 12, detail: 'src/a.js' });
    // A command keeps its type, pause and flags; never its payload.
    expect(rows[1]!.event).toEqual({ type: 'clutch.edit_payload', pause: { kind: 'approval', tool_use_id: 'u2' }, approve: true });
    journal.apply([{ kind: 'run.end', at: 7 }, { kind: 'run.end', at: 8 }, { kind: 'run.end', at: 9 }], 101);
    expect(journal.rows.getSnapshot().map((row) => row.at)).toEqual([7, 8, 9]);
  });

  it('replaces everything with the first batch after a (re)connection, and starts a new epoch at each resume', () => {
    const journal = log([{ kind: 'run.start', at: 0 }, { kind: 'ticket.status', at: 50_000, ...T1, status: 'running' }]);
    expect(journal.clock.now(10_500)).toBe(50_500);
    journal.expectFullBatch();
    journal.apply([{ kind: 'ticket.status', at: 90_000, ...T1, status: 'running' }, { kind: 'run.resume', at: 0 }, { kind: 'tool.start', at: 2_000, ...T1, tool: 'read_file', tool_use_id: 'u1' }], 20_000);
    const rows = journal.rows.getSnapshot();
    expect(rows.map((row) => [row.kind, row.epoch])).toEqual([
      ['ticket.status', 0],
      ['run.resume', 1],
      ['tool.start', 1],
    ]);
    expect(journal.epoch).toBe(1);
    // The clock is the resumed engine's: the older entry's time is on another clock and counts no more.
    expect(journal.clock.now(20_000)).toBe(2_000);
  });

  it('estimates the run clock from the entry that arrived with the least delay', () => {
    const clock = new RunClock();
    expect(clock.now(1_000)).toBeNull();
    clock.observe(500, 1_000); // offset -500
    clock.observe(900, 1_100); // offset -200: less delay
    clock.observe(950, 1_300); // offset -350
    expect(clock.now(2_000)).toBe(1_800);
    clock.reset();
    expect(clock.now(2_000)).toBeNull();
  });
});

describe('the activity feed', () => {
  const rows = log([
    { kind: 'run.start', at: 0 },
    { kind: 'ticket.status', at: 100, ...T1, status: 'running' },
    { kind: 'tool.start', at: 1_000, ...T1, tool: 'read_file', tool_use_id: 'u1' },
    { kind: 'ticket.status', at: 1_200, ticket: 'T2', attempt: 1, status: 'running' },
    { kind: 'tool', at: 1_250, ...T1, tool: 'read_file', tool_use_id: 'u1', input: { path: 'src/money.js' }, is_error: false, output: 'text', duration_ms: 250 },
    { kind: 'command', at: 1_300, target: 'worker:T1', event: { type: 'clutch.approve', pause: { kind: 'review', tool_use_id: 'u1' } } },
    { kind: 'model.wait', at: 1_400, ticket: 'T2', attempt: 1, profile: 'sonnet', reason: 'rate limit: output tokens per minute', until: 1_700_000_000_000 },
    { kind: 'tool.start', at: 2_000, ...T1, tool: 'run_command', tool_use_id: 'u2' },
    { kind: 'auto_approve', at: 2_100, ticket: 'T2', attempt: 1, pause: 'approval', tool: 'list_files', tool_use_id: 'v1', cause: 'trust override set to auto' },
    { kind: 'tool.start', at: 2_200, ticket: 'T2', attempt: 1, tool: 'list_files', tool_use_id: 'v1' },
    { kind: 'tool', at: 2_300, ticket: 'T2', attempt: 1, tool: 'list_files', tool_use_id: 'v1', input: { path: 'src' }, is_error: true, output: 'no', duration_ms: 100 },
    { kind: 'ticket.status', at: 3_000, ticket: 'T2', attempt: 1, status: 'blocked', reason: 'aborted by the human' },
    { kind: 'ticket.files', at: 3_500, ticket: 'T2', choice: 'restore', files: ['src/cart.js'] },
    { kind: 'command', at: 3_500, target: 'ticket:T2', event: { type: 'ticket.retry', files: 'restore' } },
  ]).rows.getSnapshot();

  it('lists tool calls once, where they started, with their duration when they ended', () => {
    const items = activityOf(rows);
    const tools = items.filter((item) => item.kind === 'tool');
    expect(tools.map((item) => [item.tool_use_id, item.state, item.duration_ms, item.detail])).toEqual([
      ['u1', 'done', 250, 'src/money.js'],
      ['u2', 'running', null, undefined],
      ['v1', 'error', 100, 'src'],
    ]);
    expect(items.map((item) => item.kind)).toEqual(['run', 'status', 'tool', 'status', 'human', 'wait', 'tool', 'auto', 'tool', 'status', 'files', 'human']);
    const texts = items.filter((item) => 'text' in item).map((item) => ('text' in item ? item.text : ''));
    expect(texts).toContain('approved at pause 2 (review) of u1');
    expect(texts).toContain('auto-approved list_files at pause 1 (approval) of v1 (trust override set to auto)');
    expect(texts).toContain('blocked: aborted by the human');
    expect(texts).toContain('restored src/cart.js before the retry');
    expect(texts).toContain("retried it, restoring the ticket's files");
    expect(items.find((item) => item.kind === 'wait')).toMatchObject({ ticket: 'T2', reason: 'rate limit: output tokens per minute', until: 1_700_000_000_000 });
  });

  it('knows the call each ticket runs now, and each ticket’s stretch of work', () => {
    const items = activityOf(rows);
    expect([...runningTools(items, 0)].map(([ticket, item]) => [ticket, item.tool_use_id])).toEqual([['T1', 'u2']]);
    const spans = ticketSpans(rows, 0);
    expect(spans.get('T1')).toEqual({ start: 100, end: null });
    expect(spans.get('T2')).toEqual({ start: 1_200, end: 3_000 });
    // On another engine's clock, a stretch still open has no start to count from; an ended one keeps its length.
    expect(ticketSpans(rows, 1).get('T1')).toBeUndefined();
    expect(ticketSpans(rows, 1).get('T2')).toEqual({ start: 1_200, end: 3_000 });
  });

  it('places an end whose start was not kept (or never journaled) where it ended', () => {
    const items = activityOf(log([{ kind: 'tool', at: 400, ...T1, tool: 'read_file', tool_use_id: 'u9', input: {}, is_error: false, output: '' }]).rows.getSnapshot());
    expect(items).toMatchObject([{ kind: 'tool', tool_use_id: 'u9', state: 'done', duration_ms: null, at: 400 }]);
    const interrupted = activityOf(
      log([
        { kind: 'tool.start', at: 10, ...T1, tool: 'run_command', tool_use_id: 'u3' },
        { kind: 'tool.interrupted', at: 20, ...T1, tool: 'run_command', tool_use_id: 'u3', input: { argv: ['node', '--test'] } },
      ]).rows.getSnapshot(),
    );
    expect(interrupted).toMatchObject([{ kind: 'tool', state: 'interrupted', duration_ms: null, detail: 'node --test' }]);
    expect(runningTools(interrupted, 0).size).toBe(0);
  });

  it('says what each human command did', () => {
    expect(commandText({ type: 'clutch.edit_payload', approve: true, pause: { kind: 'approval', tool_use_id: 'x' } })).toBe('edited the payload and approved at pause 1 (approval) of x');
    expect(commandText({ type: 'clutch.edit_message', pause: { kind: 'review', tool_use_id: 'x' } })).toBe("rewrote the model's last message at pause 2 (review) of x");
    expect(commandText({ type: 'conductor.set_trust_override', override: 'auto' })).toBe('set the trust override to auto');
    expect(commandText({ type: 'ticket.retry', files: 'keep' })).toBe('retried it, keeping the changes');
    expect(commandText({ type: 'clutch.use_output', pause: { kind: 'interrupted', tool_use_id: 'x' } })).toBe('chose Use this output (empty) at the interrupted pause of x');
    expect(commandText({ type: 'clutch.raise_budget', max_tokens: 24000, pause: { kind: 'budget', tool_use_id: 'budget-1' } })).toBe('raised the budget to 24,000 tokens at the budget pause');
    expect(commandText({ type: 'clutch.abort', pause: { kind: 'budget', tool_use_id: 'budget-2' } })).toBe('aborted at the budget pause');
    const paused = activityOf([{ n: 1, epoch: 0, kind: 'budget.pause', at: 5, ticket: 'T2', reason: 'T2 spent 12,000 tokens ($0.0000) of its budget of 10,000 tokens' }]);
    expect(paused).toEqual([expect.objectContaining({ kind: 'wait', ticket: 'T2', reason: 'budget pause: T2 spent 12,000 tokens ($0.0000) of its budget of 10,000 tokens', until: null })]);
  });

  it('writes durations and run-clock times for a person', () => {
    expect([durationText(850), durationText(1_234), durationText(12_400), durationText(184_000), durationText(3_725_000)]).toEqual(['850 ms', '1.2 s', '12 s', '3 min 04 s', '1 h 02 min']);
    expect([clockText(0), clockText(65_900), clockText(3_725_000)]).toEqual(['00:00', '01:05', '1:02:05']);
  });
});
