import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { Script } from '../../src/models/scripted.js';
import { tempDir } from '../support/engine-harness.js';
import { scriptResponder } from '../support/fake-anthropic.js';
import { demoScript, startAnthropicRun, TEST_KEY, type AnthropicRun } from '../support/anthropic-run.js';

const runs: AnthropicRun[] = [];
const dir = tempDir('clutch-cassette-');
afterEach(async () => {
  for (const run of runs.splice(0)) await run.cleanup();
});
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The demo script without run_command: test timings in a command's output differ from run to run. */
async function deterministicScript(): Promise<Script> {
  const script = await demoScript();
  const tickets = Object.fromEntries(
    Object.entries(script.tickets).map(([id, entry]) => [
      id,
      (Array.isArray(entry) ? entry : entry.attempts[0]!).filter((reply) => !reply.content.some((block) => block.type === 'tool_use' && block.name === 'run_command')),
    ]),
  );
  return { version: 1, tickets, ...(script.agents ? { agents: script.agents } : {}) };
}

/** The journal without its timestamps and run-folder paths. */
function comparable(journal: readonly JournalEntry[]): unknown[] {
  return journal.map((entry) => {
    const { at: _at, ...rest } = entry as JournalEntry & { retry_at?: number; path?: string };
    delete (rest as { retry_at?: number }).retry_at;
    delete (rest as { path?: string }).path;
    return rest;
  });
}

describe('record and replay', () => {
  it('a replayed linear run produces the same journal as the recorded one, with no network', async () => {
    const cassette = join(dir, 'linear.jsonl');
    const responder = scriptResponder(await deterministicScript());
    const schedule = new Map([[2, 'rate_limit' as const], [5, 'reset' as const], [9, 'overloaded' as const]]);
    const recorded = await startAnthropicRun({ mode: 'linear', fake: { responder, faultFor: (index) => schedule.get(index) }, models: { record: cassette } });
    runs.push(recorded);
    expect((await recorded.engine.finished()).state).toBe('done');
    const lines = readFileSync(cassette, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(recorded.fake!.requests.length);
    expect(lines.filter((line) => line.error)).toHaveLength(3);
    expect(lines[0]).toMatchObject({ ticket: 'T1', attempt: 1, turn: 1, request: { profile: 'sonnet' } });
    expect(readFileSync(cassette, 'utf8')).not.toContain(TEST_KEY);

    const replayed = await startAnthropicRun({ mode: 'linear', noServer: true, models: { replay: cassette } });
    runs.push(replayed);
    expect((await replayed.engine.finished()).state).toBe('done');
    expect(comparable(replayed.journal)).toEqual(comparable(recorded.journal));
    expect(replayed.journal.filter((entry) => entry.kind === 'model.retry')).toHaveLength(3);
  });

  it('a request that differs from the recording is a clear error naming the ticket, turn and field', async () => {
    const cassette = join(dir, 'changed.jsonl');
    const recorded = await startAnthropicRun({ mode: 'linear', fake: { responder: scriptResponder(await deterministicScript()) }, models: { record: cassette } });
    runs.push(recorded);
    await recorded.engine.finished();
    // Someone edited the prompt of T1 since the recording.
    const text = readFileSync(cassette, 'utf8').replace('Ticket T1: Implement toCents', 'Ticket T1: Implement toDollars');
    writeFileSync(cassette, text);
    const replayed = await startAnthropicRun({ mode: 'linear', noServer: true, models: { replay: cassette } });
    runs.push(replayed);
    const outcome = await replayed.engine.finished();
    expect(outcome.tickets.T1).toBe('blocked');
    expect(replayed.engine.track().tickets[0]!.blocked_reason).toMatch(
      /^replay: the request for ticket T1, attempt 1, turn 1 differs from the recorded one at messages\[0\]\.content: recorded "Ticket T1: Implement toDollars/,
    );
  });

  it('a call the cassette does not have is a clear error', async () => {
    const cassette = join(dir, 'empty.jsonl');
    writeFileSync(cassette, '');
    const replayed = await startAnthropicRun({ mode: 'linear', noServer: true, models: { replay: cassette } });
    runs.push(replayed);
    await replayed.engine.finished();
    expect(replayed.engine.track().tickets[0]!.blocked_reason).toMatch(/has no recorded model call for ticket T1, attempt 1, turn 1/);
  });
});
