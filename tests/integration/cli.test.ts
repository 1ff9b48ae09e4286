import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { tempDir } from '../support/engine-harness.js';
import { RunStore } from '../../src/store/index.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/clutch.js');
const demoTrack = join(root, 'demo/track.toml');
const cwd = tempDir('clutch-cli-');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function clutch(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Line = { type: string; ticket?: string; status?: string; at?: number; run_dir?: string; tickets?: Record<string, string> };
const lines = (stdout: string): Line[] => stdout.trim().split('\n').map((line) => JSON.parse(line) as Line);

/** Most tickets running at once, from the --json status lines. */
function peak(events: Line[]): number {
  const state = new Map<string, string>();
  let most = 0;
  for (const event of events) {
    if (event.type !== 'ticket.status') continue;
    state.set(event.ticket!, event.status!);
    most = Math.max(most, [...state.values()].filter((status) => status === 'running' || status === 'step_paused').length);
  }
  return most;
}

describe('clutch run on the demo', () => {
  it('linear + auto completes every ticket, one at a time, writing debug_state.json after each; the workspace tests pass', () => {
    const result = clutch('run', demoTrack, '--trust', 'auto', '--mode', 'linear', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = lines(result.stdout);
    expect(events.at(-1)).toEqual({ type: 'run.end', tickets: { T1: 'completed', T2: 'completed', T3: 'completed', T4: 'completed' } });
    expect(peak(events)).toBe(1);
    const runDir = events[0]!.run_dir!;
    const store = RunStore.open(join(cwd, '.clutch', 'clutch.db'));
    const journal = [...store.openRunReadOnly((events[0] as { run?: string }).run!).journal()] as { kind: string; after_ticket?: string }[];
    store.close();
    expect(journal.filter((entry) => entry.kind === 'debug_state').map((entry) => entry.after_ticket)).toEqual(['T1', 'T2', 'T3', 'T4']);
    const debugState = JSON.parse(readFileSync(join(runDir, 'debug_state.json'), 'utf8'));
    expect(debugState.after_ticket).toBe('T4');
    const tests = spawnSync(process.execPath, ['--test'], { cwd: join(runDir, 'workspace'), encoding: 'utf8' });
    expect(tests.status).toBe(0);
    // demo/ itself is untouched: its tests still fail.
    expect(spawnSync(process.execPath, ['--test'], { cwd: join(root, 'demo/workspace'), encoding: 'utf8' }).status).not.toBe(0);
  });

  it('async runs T2 and T3 at the same time', () => {
    const result = clutch('run', demoTrack, '--trust', 'auto', '--mode', 'async', '--json');
    expect(result.code).toBe(0);
    const events = lines(result.stdout);
    expect(peak(events)).toBe(2);
    const at = (ticket: string, status: string) => events.find((event) => event.ticket === ticket && event.status === status)!.at!;
    expect(at('T3', 'running')).toBeLessThan(at('T2', 'completed'));
    expect(at('T2', 'running')).toBeLessThan(at('T3', 'completed'));
  });

  it('prints a progress line per status change and tool call, then a table', () => {
    const result = clutch('run', demoTrack, '--trust', 'auto');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/T1 +running/);
    expect(result.stdout).toMatch(/T1 +write_file src\/money\.js → ok/);
    expect(result.stdout).toMatch(/T4 +completed +1 /);
  });
});

describe('clutch exit codes', () => {
  it('validate exits 2 on a cyclic track and names the cycle and file:line', () => {
    const result = clutch('validate', join(root, 'tests/fixtures/config/cycle-track.toml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cycle-track\.toml:\d+:\d+: dependency cycle: T2 -> T3 -> T4 -> T2/);
  });

  it('validate exits 0 on the demo', () => {
    expect(clutch('validate', demoTrack).code).toBe(0);
  });

  it('refuses step mode without a terminal', () => {
    const result = clutch('run', demoTrack);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/step mode needs a terminal/);
  });

  it('exits 1 when a ticket blocks', () => {
    // Not named agents.toml in cwd: that would become every later run's default configuration.
    const script = join(cwd, 'short.json');
    const config = join(cwd, 'short-agents.toml');
    const original = readFileSync(join(root, 'agents.toml'), 'utf8');
    const demoScript = JSON.parse(readFileSync(join(root, 'demo/script.json'), 'utf8'));
    demoScript.tickets.T3 = demoScript.tickets.T3.slice(0, 1);
    writeFileSync(script, JSON.stringify(demoScript));
    writeFileSync(config, original.replace(/script = "[^"]*"/, `script = ${JSON.stringify(script)}`));
    const result = clutch('run', demoTrack, '--config', config, '--trust', 'auto', '--json');
    expect(result.code).toBe(1);
    const end = lines(result.stdout).at(-1)!;
    expect(end.tickets).toEqual({ T1: 'completed', T2: 'completed', T3: 'blocked', T4: 'pending' });
  });

  it('exits 2 on a bad flag value', () => {
    const result = clutch('run', demoTrack, '--mode', 'fast');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--mode must be one of async, linear/);
  });
});

describe('step mode on a terminal', () => {
  it('asks at both pauses and runs the demo to completion when every pause is approved', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    const stdout = new PassThrough();
    let output = '';
    stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (text.includes('abort > ')) stdin.write('a\n');
    });
    const code = await main(['run', demoTrack, '--mode', 'linear'], { stdin, stdout, stderr: process.stderr, cwd });
    expect(code).toBe(0);
    expect(output.match(/pause 1 \(approval\) ·/g)?.length).toBeGreaterThan(8);
    expect(output.match(/pause 2 \(review\) ·/g)?.length).toBeGreaterThan(4);
    expect(output).toContain('pause 1 (approval) · write_file');
    expect(output).toMatch(/^\+/m);
  });
});

it('keeps each run in its own folder', () => {
  expect(readdirSync(join(cwd, '.clutch/runs')).length).toBeGreaterThanOrEqual(3);
});
