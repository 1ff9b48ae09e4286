import { cpSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/actors/engine.js';
import { prepareRun, type PreparedRun } from '../../src/runs/prepare-run.js';
import { resumeRun } from '../../src/runs/resume-run.js';
import { tempDir } from '../support/engine-harness.js';

const repo = resolve(import.meta.dirname, '../..');
let cwd: string;
const runs: PreparedRun[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) await run.close();
  rmSync(cwd, { recursive: true, force: true });
});

function setup(): string {
  cwd = tempDir('clutch-resume-');
  cpSync(join(repo, 'demo'), join(cwd, 'demo'), { recursive: true });
  cpSync(join(repo, 'agents.toml'), join(cwd, 'agents.toml'));
  return cwd;
}

type Pause = 'approval' | 'review';
async function atPause(engine: Engine, ticket: string, pause: Pause) {
  await waitFor(engine.conductor, () => engine.worker(ticket) !== undefined);
  const worker = engine.worker(ticket)!;
  return waitFor(worker, (state) => (pause === 'approval' ? state.matches({ toolCycle: { awaitingApproval: 'ready' } }) : state.matches({ toolCycle: 'reviewingResult' })));
}

/** The call at pause 1, or the result at pause 2, of T1. */
const callAt = (state: Awaited<ReturnType<typeof atPause>>) => {
  const last = state.context.messages.at(-1)!;
  return Array.isArray(last.content) ? last.content.find((block) => block.type === 'tool_use') : undefined;
};

/** As a kill -9 leaves it: nothing more is committed, the process just stops. */
function die(run: PreparedRun): void {
  runs.splice(runs.indexOf(run), 1);
  run.engine.conductor.stop();
  run.store.db.close();
}

async function approve(engine: Engine, ticket: string, pause: Pause): Promise<void> {
  await atPause(engine, ticket, pause);
  expect(engine.command({ kind: 'worker', id: ticket }, { type: 'clutch.approve' })).toBe(true);
}

describe('resume after a crash', () => {
  it('comes back at the same pause with the same preview, and approved calls do not run again', async () => {
    setup();
    const first = await prepareRun({ cwd, track: 'demo/track.toml' });
    runs.push(first);
    first.engine.start();
    // T1: read, read, then write_file money.js; approve the two reads at both pauses, then the write.
    for (let call = 0; call < 2; call += 1) {
      await approve(first.engine, 'T1', 'approval');
      await approve(first.engine, 'T1', 'review');
    }
    const writePause = await atPause(first.engine, 'T1', 'approval');
    expect(callAt(writePause)).toMatchObject({ name: 'write_file', input: { path: 'src/money.js' } });
    expect(first.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' })).toBe(true);
    const review = await atPause(first.engine, 'T1', 'review');
    const money = join(first.run.workspace, 'src/money.js');
    const written = { content: readFileSync(money, 'utf8'), inode: statSync(money).ino };
    const tools = (engine: Engine) => engine.journal.tail().filter((entry) => entry.kind === 'tool').length;
    expect(tools(first.engine)).toBe(3);
    first.engine.commit();
    const spent = first.engine.usage().total;
    expect(spent.input_tokens).toBeGreaterThan(0);
    die(first);

    const second = await resumeRun({ cwd, run: first.run.id });
    runs.push(second);
    expect(second.resumed).toBe(true);
    second.engine.start();
    // Tokens spent before the crash still count.
    expect(second.engine.usage().total).toEqual(spent);
    const again = await atPause(second.engine, 'T1', 'review');
    expect(again.context.review).toEqual(review.context.review);
    expect(again.context.messages).toEqual(review.context.messages);
    // The write was not made again (same file, same inode), and the journal has it once.
    expect(statSync(money).ino).toBe(written.inode);
    expect(tools(second.engine)).toBe(3);

    // Now die at pause 1 of the next call: it comes back with the same preview.
    expect(second.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' })).toBe(true);
    const commandPause = await atPause(second.engine, 'T1', 'approval');
    expect(commandPause.context.preview).toMatchObject({ kind: 'command', argv: ['node', '--test', 'test/money.test.js'] });
    die(second);
    const third = await resumeRun({ cwd, run: first.run.id });
    runs.push(third);
    third.engine.start();
    const samePreview = await atPause(third.engine, 'T1', 'approval');
    expect(samePreview.context.preview).toEqual(commandPause.context.preview);
    const commands = third.engine.journal.tail().filter((entry) => entry.kind === 'command');
    expect(commands).toHaveLength(6);
    // The restored worker is followed like a new one: what it runs now is journaled.
    expect(third.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' })).toBe(true);
    await atPause(third.engine, 'T1', 'review');
    expect(third.engine.journal.tail().filter((entry) => entry.kind === 'tool').map((entry) => (entry as { tool_use_id: string }).tool_use_id)).toEqual([
      'toolu_T1_01',
      'toolu_T1_02',
      'toolu_T1_03',
      'toolu_T1_04',
    ]);
  });

  it('refuses a run whose track changed since it started, and changes nothing', async () => {
    setup();
    const first = await prepareRun({ cwd, track: 'demo/track.toml', trust: 'auto' });
    runs.push(first);
    die(first);
    const track = join(cwd, 'demo/track.toml');
    cpSync(track, `${track}.orig`);
    const { appendFileSync } = await import('node:fs');
    appendFileSync(track, '\n# changed\n');
    await expect(resumeRun({ cwd, run: first.run.id })).rejects.toThrow(new RegExp(`its track file ${track.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} changed since the run started`));
    cpSync(`${track}.orig`, track);
    const resumed = await resumeRun({ cwd, run: first.run.id });
    runs.push(resumed);
    resumed.engine.start();
    expect(await resumed.engine.finished()).toMatchObject({ state: 'done' });
  });

  it('refuses an unknown run, naming the store and how to list runs', async () => {
    setup();
    const first = await prepareRun({ cwd, track: 'demo/track.toml', trust: 'auto' });
    runs.push(first);
    await expect(resumeRun({ cwd, run: 'nope' })).rejects.toThrow(/there is no run "nope" in .*clutch\.db \(latest: .*`clutch runs` lists them all\)/);
  });
});
