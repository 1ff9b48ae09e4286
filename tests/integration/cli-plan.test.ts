import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/engine-harness.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/clutch.js');
const workspace = join(root, 'demo/workspace');
const request = readFileSync(join(root, 'demo/request.txt'), 'utf8').trim();
const cwd = tempDir('clutch-cli-plan-');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The CLI in a child process, without a terminal (stdin is not a TTY). */
function clutch(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000, input: '' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clutch plan and clutch run --request, on the demo workspace with the scripted model', () => {
  it('plan writes a track that validate accepts and run can carry out', () => {
    const out = join(cwd, 'planned.toml');
    const planned = clutch('plan', request, '--workspace', workspace, '--out', out);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('no terminal to ask at the planner\'s pauses');
    expect(planned.stdout).toContain('pm: propose_track');
    expect(planned.stdout).toMatch(/── plan: Finish the demo shop's pricing library \(4 tickets, proposed by the pm\)/);
    expect(planned.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`workspace = ${JSON.stringify(workspace)}`);
    expect(text).toMatch(/^#   Finish the demo shop's pricing library/m);
    const validated = clutch('validate', out);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain(`${out}: ok (4 tickets, workspace ${workspace})`);
    // Never over a file that is there.
    const again = clutch('plan', request, '--workspace', workspace, '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`clutch: ${out} exists; plan never overwrites a file: give another --out, or move it away\n`);
    expect(readFileSync(out, 'utf8')).toBe(text);
  });

  it('run --request plans, approves with --yes, and runs: one review asks for changes, a QA hint follows a failing test', () => {
    const run = clutch('run', '--request', request, '--workspace', workspace, '--trust', 'auto', '--yes');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/plan approved: 4 tickets; the run's track is .*track\.toml/);
    expect(run.stdout).toMatch(/T2 +review: changes requested — 1\. The ticket says a quantity must be a whole number/);
    expect(run.stdout).toMatch(/T2 +QA hint \(qa\): 'addItem refuses a fractional quantity' expects TypeError/);
    expect(run.stdout).toMatch(/T2 +review: approved/);
    expect(run.stdout).toMatch(/^T4 +completed/m);
    expect(run.stdout).toMatch(/^tier 1 .*\n^tier 2 .*\n^tier 3 .*\n^tier 4 /m);
    expect(run.stdout).toMatch(/^QA hints +1 +saved the workers \d+ tokens of raw command output/m);
  });

  it('refuses what it cannot do with a clear message, creating nothing', () => {
    const noYes = clutch('run', '--request', request, '--workspace', workspace, '--trust', 'auto');
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toBe('clutch: run --request needs a terminal for plan approval, or --yes to approve the plan as proposed; `clutch plan` writes the plan for you to read first\n');
    const both = clutch('run', join(root, 'demo/track.toml'), '--request', request);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('run --request takes no track file: the plan is the track');
    const empty = clutch('plan', '   ', '--workspace', workspace);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the request is empty');
    const missing = clutch('plan', request, '--workspace', join(cwd, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`workspace ${join(cwd, 'nope')} does not exist`);
    expect(existsSync(join(cwd, 'nope'))).toBe(false);
  });

  it('a request the pm has no plan for ends with the reason, exit 1', () => {
    const config = join(cwd, 'agents.toml');
    writeFileSync(config, readFileSync(join(root, 'agents.toml'), 'utf8').replace('script = "demo/script.json"', `script = ${JSON.stringify(join(root, 'demo/script.json'))}`));
    const result = clutch('plan', 'Translate the shop into French', '--workspace', workspace, '--config', config);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no plan: the pm did not propose a track: script exhausted: pm for ticket @plan has 0 scripted replies \(the script has no entry for it, and no request rule matches its first message: the rules match "pricing library"\)/);
  });
});
