import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixture, crashRun, filesOf, findings, rng, type RunPlan, type RunReport } from '../support/crash-harness.js';
import { tempDir } from '../support/engine-harness.js';

/**
 * kill -9 at seeded moments, in auto and in step mode, resuming from the store after each kill
 * until the run is done. A bounded version of `npm run bench`'s 200-kill loop.
 */
const root = tempDir('clutch-crash-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = buildFixture(join(root, 'fixture'));
const KILLS_PER_MODE = 8;

async function killLoop(plan: Omit<RunPlan, 'kills'>, seed: number): Promise<{ reference: RunReport; runs: RunReport[] }> {
  const random = rng(seed);
  const cwd = join(root, `${plan.mode}-${plan.trust}`);
  const reference = await crashRun(fixture, cwd, { ...plan, kills: 0 }, random);
  const runs: RunReport[] = [];
  let kills = 0;
  while (kills < KILLS_PER_MODE) {
    const run = await crashRun(fixture, cwd, { ...plan, kills: Math.min(6, KILLS_PER_MODE - kills) }, random);
    kills += run.lives.filter((life) => life.end !== 'done').length;
    runs.push(run);
  }
  return { reference, runs };
}

function check(reference: RunReport, runs: RunReport[]) {
  const expectedFiles = filesOf(reference.workspace);
  // Two marker commands per ticket, each run once.
  expect(reference.marks.length).toBe(8);
  for (const run of runs) {
    expect(run.outcome).toEqual({ state: 'done', tickets: { T1: 'completed', T2: 'completed', T3: 'completed', T4: 'completed' } });
    expect(filesOf(run.workspace)).toEqual(expectedFiles);
    expect([...run.marks].sort()).toEqual([...reference.marks].sort());
    const found = findings(run);
    expect(found.duplicateMarks).toEqual([]);
    expect(found.lostOrRepeatedAcks).toEqual([]);
    expect(found.duplicateToolRows).toEqual([]);
    expect(found.journalGaps).toBe(0);
  }
  return {
    kills: runs.reduce((sum, run) => sum + run.lives.filter((life) => life.end !== 'done').length, 0),
    resumes: runs.reduce((sum, run) => sum + run.lives.length - 1, 0),
    interrupted: runs.reduce((sum, run) => sum + findings(run).interruptedPauses, 0),
    acks: runs.reduce((sum, run) => sum + run.acks.length, 0),
  };
}

describe('kill -9 at any moment loses nothing', () => {
  it('auto mode (async): every run completes as an uninterrupted one does, no command runs twice unseen', async () => {
    const { reference, runs } = await killLoop({ mode: 'async', trust: 'auto' }, 20261202);
    const figures = check(reference, runs);
    expect(figures.kills).toBeGreaterThanOrEqual(KILLS_PER_MODE);
    console.log(`crash test, auto/async: ${figures.kills} kills, ${figures.resumes} resumes, ${runs.length} runs completed, ${figures.interrupted} interrupted-command pauses, 0 duplicates`);
  }, 300_000);

  it('step mode (linear), a scripted human answering through the hub: every acknowledged command applied exactly once', async () => {
    const { reference, runs } = await killLoop({ mode: 'linear', trust: 'step' }, 4242);
    const figures = check(reference, runs);
    expect(figures.kills).toBeGreaterThanOrEqual(KILLS_PER_MODE);
    expect(figures.acks).toBeGreaterThan(0);
    console.log(`crash test, step/linear: ${figures.kills} kills, ${figures.resumes} resumes, ${runs.length} runs completed, ${figures.acks} acknowledged commands, ${figures.interrupted} interrupted-command pauses, 0 duplicates`);
  }, 300_000);
});
