import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import { parseScriptText } from '../../src/models/scripted.js';
import { RunStore } from '../../src/store/index.js';
import { tempDir } from '../support/engine-harness.js';
import { spawnClutch } from '../support/server-harness.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/clutch.js');
const root = tempDir('clutch-init-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function clutch(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const snapshotOf = (dir: string) => Object.fromEntries(['agents.toml', 'track.toml', 'script.json'].map((file) => [file, readFileSync(join(dir, file), 'utf8')]));

function journalOf(cwd: string, run: string): JournalEntry[] {
  const store = RunStore.open(join(cwd, '.clutch', 'clutch.db'));
  try {
    return [...store.openRunReadOnly(run).journal()] as JournalEntry[];
  } finally {
    store.close();
  }
}

const summaryOf = (journal: JournalEntry[], ticket: string) =>
  journal.find((entry): entry is Extract<JournalEntry, { kind: 'ticket.status' }> => entry.kind === 'ticket.status' && entry.ticket === ticket && entry.status === 'completed')?.summary;

describe('clutch init', () => {
  const dir = join(root, 'starter');

  it('writes a starter track that passes validate and runs to completion with --trust auto', () => {
    const init = clutch(root, 'init', 'starter');
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`wrote a starter track in ${dir}`);
    expect(readdirSync(dir).sort()).toEqual(['agents.toml', 'script.json', 'track.toml', 'workspace']);
    // agents.toml refers to the script, the track to the workspace.
    expect(readFileSync(join(dir, 'agents.toml'), 'utf8')).toMatch(/^script = "script\.json"$/m);
    expect(readFileSync(join(dir, 'track.toml'), 'utf8')).toMatch(/^workspace = "workspace"$/m);

    const validate = clutch(dir, 'validate', 'track.toml');
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(`${join(dir, 'script.json')}: ok (script of [models.scripted], 2 tickets)`);

    const run = clutch(dir, 'run', 'track.toml', '--trust', 'auto', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; run_dir?: string; tickets?: unknown });
    expect(events.at(-1)).toEqual({ type: 'run.end', tickets: { T1: 'completed', T2: 'completed' } });
    // The work is real: the run's copy of the workspace passes its tests; the starter's own does not.
    const copy = join(events[0]!.run_dir!, 'workspace');
    expect(spawnSync(process.execPath, ['--test'], { cwd: copy, encoding: 'utf8' }).status).toBe(0);
    expect(readFileSync(join(copy, 'src/greet.js'), 'utf8')).toContain('export function farewell(name)');
    expect(spawnSync(process.execPath, ['--test'], { cwd: join(dir, 'workspace'), encoding: 'utf8' }).status).not.toBe(0);
  });

  it('never overwrites: a second init names what is there and writes nothing', () => {
    const before = snapshotOf(dir);
    const again = clutch(root, 'init', 'starter');
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`clutch: init: ${dir} already has agents.toml, track.toml, script.json, workspace; init never overwrites, so nothing was written. Move them away or give another folder\n`);
    expect(snapshotOf(dir)).toEqual(before);
  });

  it('refuses a folder that already has a workspace, and leaves the folder as it was', () => {
    const other = join(root, 'has-workspace');
    mkdirSync(join(other, 'workspace'), { recursive: true });
    const result = clutch(root, 'init', 'has-workspace');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already has workspace; init never overwrites/);
    expect(readdirSync(other)).toEqual(['workspace']);
    expect(readdirSync(join(other, 'workspace'))).toEqual([]);
  });

  it('refuses a file as its folder', () => {
    writeFileSync(join(root, 'a-file'), '');
    const result = clutch(root, 'init', 'a-file');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/init: \S+a-file is a file; give a folder/);
  });
});

describe('--script points the scripted profile at another script', () => {
  const dir = join(root, 'scripts');
  const other = join(dir, 'other.json');

  it('writes the starter, and another script whose summaries differ', () => {
    expect(clutch(root, 'init', 'scripts').code).toBe(0);
    const script = JSON.parse(readFileSync(join(dir, 'script.json'), 'utf8')) as { tickets: Record<string, { content: { type: string; name?: string; input?: { summary?: string } }[] }[]> };
    for (const [id, replies] of Object.entries(script.tickets)) {
      const complete = replies.at(-1)!.content.find((block) => block.name === 'task_complete')!;
      complete.input!.summary = `from other.json: ${id}`;
    }
    writeFileSync(other, JSON.stringify(script));
  });

  it('on run, without copying agents.toml; the run keeps the script for a resume', () => {
    const config = readFileSync(join(dir, 'agents.toml'), 'utf8');
    const run = clutch(dir, 'run', 'track.toml', '--trust', 'auto', '--script', 'other.json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/T1 +completed — from other\.json: T1/);
    expect(run.stdout).toMatch(/T2 +completed — from other\.json: T2/);
    expect(readFileSync(join(dir, 'agents.toml'), 'utf8')).toBe(config);
    const id = run.stdout.match(/run id: (\S+)/)![1]!;
    const store = RunStore.open(join(dir, '.clutch', 'clutch.db'));
    try {
      expect(store.run(id)?.options).toMatchObject({ script: other });
    } finally {
      store.close();
    }
  });

  it('on validate, which checks the script it names', () => {
    const result = clutch(dir, 'validate', 'track.toml', '--script', 'other.json');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${other}: ok (script of [models.scripted], 2 tickets)`);
  });

  it('on serve', async () => {
    const serve = spawnClutch(dir, ['serve', '--port', '0', '--trust', 'auto', '--track', 'track.toml', '--script', 'other.json']);
    try {
      const [, id] = await serve.line(/run id: (\S+)/);
      await vi.waitFor(() => expect(summaryOf(journalOf(dir, id!), 'T2')).toBeDefined(), { timeout: 20_000, interval: 50 });
      const journal = journalOf(dir, id!);
      expect(summaryOf(journal, 'T1')).toBe('from other.json: T1');
      expect(summaryOf(journal, 'T2')).toBe('from other.json: T2');
    } finally {
      await serve.kill();
    }
  });
});

describe('docs/scripted-model.md', () => {
  it("has an example that is a valid script, with both kinds of ticket entry", () => {
    const doc = readFileSync(join(repo, 'docs/scripted-model.md'), 'utf8');
    const example = doc.match(/```json\n([\s\S]*?)```/)![1]!;
    const script = parseScriptText(example, 'docs/scripted-model.md');
    expect(Array.isArray(script.tickets.T1)).toBe(true);
    expect(script.tickets.T2).toMatchObject({ attempts: [expect.any(Array), expect.any(Array)] });
  });
});
