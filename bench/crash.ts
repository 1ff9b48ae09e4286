/**
 * The long crash loop (`npm run bench`; the crash test in `npm test` is its bounded version): the
 * demo with a marker command in every ticket, in auto/async and step/linear mode, SIGKILLed at
 * seeded moments (crash points inside the intent/result and commit windows, and timers) and resumed
 * from the store after each kill until done, --kills times in all (default 200). Prints the kills,
 * resumes, runs completed, interrupted-command pauses and every duplicate found; exit 1 on any.
 *
 * Options: --kills=200 --seed=1
 */
import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, crashRun, filesOf, findings, rng, type RunPlan, type RunReport } from '../tests/support/crash-harness.js';

let kills = 200;
let seed = 1;
for (const arg of process.argv.slice(2)) {
  const [key, value] = arg.split('=') as [string, string | undefined];
  if (key === '--kills' && value && /^\d+$/.test(value)) kills = Number(value);
  else if (key === '--seed' && value && /^\d+$/.test(value)) seed = Number(value);
  else {
    console.error(`unknown option ${arg}; use --kills=200 --seed=1`);
    process.exit(2);
  }
}

const root = mkdtempSync(join(tmpdir(), 'clutch-crash-bench-'));
const fixture = buildFixture(join(root, 'fixture'));
const random = rng(seed);
const plans: Omit<RunPlan, 'kills'>[] = [
  { mode: 'async', trust: 'auto' },
  { mode: 'linear', trust: 'step' },
];
const started = performance.now();
let problems = 0;
const totals = { kills: 0, resumes: 0, runs: 0, interrupted: 0, reruns: 0, usedOutput: 0, acks: 0, duplicates: 0, lost: 0, gaps: 0, mismatched: 0 };
for (const plan of plans) {
  const cwd = join(root, `${plan.mode}-${plan.trust}`);
  const reference = await crashRun(fixture, cwd, { ...plan, kills: 0 }, random);
  const expected = JSON.stringify(filesOf(reference.workspace));
  const expectedMarks = JSON.stringify([...reference.marks].sort());
  let modeKills = 0;
  const quota = Math.ceil(kills / plans.length);
  while (modeKills < quota) {
    const run: RunReport = await crashRun(fixture, cwd, { ...plan, kills: Math.min(8, quota - modeKills) }, random);
    const found = findings(run);
    const runKills = run.lives.filter((life) => life.end !== 'done').length;
    modeKills += runKills;
    totals.kills += runKills;
    totals.resumes += run.lives.length - 1;
    totals.runs += 1;
    totals.interrupted += found.interruptedPauses;
    totals.reruns += found.reruns;
    totals.usedOutput += found.usedOutput;
    totals.acks += run.acks.length;
    totals.duplicates += found.duplicateMarks.length + found.duplicateToolRows.length;
    totals.lost += found.lostOrRepeatedAcks.length;
    totals.gaps += found.journalGaps;
    const same = JSON.stringify(filesOf(run.workspace)) === expected && JSON.stringify([...run.marks].sort()) === expectedMarks;
    const done = Object.values(run.outcome.tickets).every((status) => status === 'completed');
    if (!same || !done) totals.mismatched += 1;
    if (!same || !done || found.duplicateMarks.length + found.duplicateToolRows.length + found.lostOrRepeatedAcks.length + found.journalGaps > 0) {
      problems += 1;
      console.log(`PROBLEM in run ${run.runId} (${plan.mode}/${plan.trust}): ${JSON.stringify({ same, done, ...found })}`);
    }
    process.stdout.write(`  ${plan.mode}/${plan.trust}: ${modeKills}/${quota} kills\r`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`\ncrash loop (seed ${seed}), ${seconds.toFixed(0)} s`);
console.log(`  kills:                          ${totals.kills}`);
console.log(`  resumes:                        ${totals.resumes}`);
console.log(`  runs completed:                 ${totals.runs} (each compared with an uninterrupted run: ${totals.mismatched} differ)`);
console.log(`  acknowledged commands:          ${totals.acks} (lost or applied twice: ${totals.lost})`);
console.log(`  interrupted-command pauses:     ${totals.interrupted} (re-run ${totals.reruns}, output used ${totals.usedOutput})`);
console.log(`  duplicates found:               ${totals.duplicates} (commands or writes run twice, tool rows twice)`);
console.log(`  journal gaps or torn rows:      ${totals.gaps}`);
rmSync(root, { recursive: true, force: true });
process.exit(problems === 0 ? 0 : 1);
