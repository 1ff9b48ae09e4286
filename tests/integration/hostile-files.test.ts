import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { ModelClient, ModelTurnRequest } from '../../src/models/model-client.js';
import { createScriptedModel, type Script } from '../../src/models/scripted.js';
import type { ExecutionMode, ModelMessage } from '../../src/protocol/index.js';
import { agent, call, done, reply, startEngine, tempDir, testConfig, ticket, type Harness } from '../support/engine-harness.js';

/**
 * Hostile file cases through real workers (the scripted model, auto trust): each hostile call is
 * denied or contained, the worker's next scripted call succeeds, and the ticket completes.
 */

let harness: Harness | undefined;
let outside: string;
const OUTSIDE_TEXT = 'outside file: must never change or be shown\n';

beforeAll(() => {
  outside = tempDir();
});
afterAll(() => {
  rmSync(outside, { recursive: true, force: true });
});
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/**
 * The scripted model, streaming each block whole, with every request's transcript kept (unless
 * `record` is false: a copy of each transcript would be most of the memory a huge write costs).
 */
function recordingModel(script: Script['tickets'], record: boolean): { model: ModelClient; transcripts: ModelMessage[][] } {
  const inner = createScriptedModel({ script: { version: 1, tickets: script } as Script, chunkSize: Infinity });
  const transcripts: ModelMessage[][] = [];
  if (!record) return { model: inner, transcripts };
  return {
    transcripts,
    model: {
      label: inner.label,
      turn: (request: ModelTurnRequest) => {
        transcripts.push(structuredClone(request.messages));
        return inner.turn(request);
      },
    },
  };
}

interface Run {
  harness: Harness;
  transcripts: ModelMessage[][];
  tool(id: string): Extract<JournalEntry, { kind: 'tool' }>;
}

/**
 * Runs ticket T1 through `calls` (one scripted reply each) and then task_complete; `prepare` sets up
 * the workspace before the engine starts.
 */
async function run(
  calls: ReturnType<typeof call>[],
  options: {
    prepare?: (workspace: string) => void;
    files?: Record<string, string>;
    mode?: ExecutionMode;
    secrets?: string[];
    isolation?: 'worktree';
    record?: boolean;
  } = {},
): Promise<Run> {
  const script = { T1: [...calls.map((one) => reply(one)), done('finish', 'done despite it all')] };
  const { model, transcripts } = recordingModel(script, options.record ?? true);
  harness = startEngine({
    tickets: [ticket('T1')],
    script,
    model,
    config: testConfig({ agents: { codegen: agent('auto', { max_turns: 20 }) } }),
    start: false,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.isolation ? { isolation: options.isolation } : {}),
    ...(options.files ? { files: options.files } : {}),
  });
  options.prepare?.(harness.workspace);
  harness.engine.start();
  const outcome = await harness.engine.finished();
  expect(outcome).toEqual({ state: 'done', tickets: { T1: 'completed' } });
  const journal = harness.journal;
  return {
    harness,
    transcripts,
    tool: (id) => {
      const entry = journal.find((one): one is Extract<JournalEntry, { kind: 'tool' }> => one.kind === 'tool' && one.tool_use_id === id);
      if (!entry) throw new Error(`no tool entry for ${id}`);
      return entry;
    },
  };
}

function outsideFile(name: string): string {
  const file = join(outside, name);
  writeFileSync(file, OUTSIDE_TEXT);
  return file;
}

function nothingLeaked(result: Run, needle: string): void {
  expect(JSON.stringify(result.harness.journal)).not.toContain(needle);
  expect(JSON.stringify(result.transcripts)).not.toContain(needle);
  expect(JSON.stringify(result.harness.engine.debugState())).not.toContain(needle);
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

describe('hostile files through real workers', () => {
  it('a 7 MiB write_file goes through and a huge one (48 MB) is refused, with RSS and debug_state.json kept small', async () => {
    const line = `${'h'.repeat(79)}\n`;
    const peak = () => process.resourceUsage().maxRSS * 1024;
    const startRss = process.memoryUsage().rss;
    const startPeak = peak();

    const big = line.repeat((7 * 1024 * 1024) / 80);
    const written = await run([call('big', 'write_file', { path: 'big.txt', content: big }), call('next', 'read_file', { path: 'big.txt', limit: 1 })], {
      mode: 'linear',
      record: false,
    });
    const bigPeak = peak();
    const bigState = statSync(join(written.harness.runDir, 'debug_state.json')).size;
    expect(written.tool('big')).toMatchObject({ is_error: false, output: `wrote ${big.length} bytes to "big.txt" (created)` });
    expect(written.tool('next').is_error).toBe(false);
    expect(statSync(join(written.harness.workspace, 'big.txt')).size).toBe(big.length);
    await harness!.cleanup();
    harness = undefined;

    const huge = line.repeat((48 * 1024 * 1024) / 80);
    const refused = await run([call('huge', 'write_file', { path: 'huge.txt', content: huge }), call('next', 'list_files', {})], {
      mode: 'linear',
      record: false,
    });
    const hugePeak = peak();
    const hugeState = statSync(join(refused.harness.runDir, 'debug_state.json')).size;
    expect(refused.tool('huge')).toMatchObject({
      is_error: true,
      output: `the content for "huge.txt" is ${huge.length} bytes, more than the limit of 8388608 bytes (max_write_bytes in agents.toml's [execution]); nothing was written: write a smaller file, or split the content over several files`,
    });
    expect(refused.tool('next').is_error).toBe(false);
    expect(existsSync(join(refused.harness.workspace, 'huge.txt'))).toBe(false);

    console.log(
      `huge writes: rss at start ${mib(startRss)} MiB (peak so far ${mib(startPeak)} MiB); 7 MiB write: peak ${mib(bigPeak)} MiB, ` +
        `debug_state.json ${bigState} bytes; refused 48 MB write: peak ${mib(hugePeak)} MiB, debug_state.json ${hugeState} bytes`,
    );
    expect(bigState).toBeLessThan(1024 * 1024);
    expect(hugeState).toBeLessThan(1024 * 1024);
    // The 48 MB content is held a few times over (script, reply, transcript), far from 1.6 GB.
    expect(hugePeak - startRss).toBeLessThan(700 * 2 ** 20);
  }, 120_000);

  it('write_file to a hard link to an outside file replaces the workspace name; the outside file is unchanged', async () => {
    const target = outsideFile('hard-write.txt');
    const result = await run(
      [call('write', 'write_file', { path: 'linked.txt', content: 'my own content\n' }), call('next', 'read_file', { path: 'linked.txt' })],
      { prepare: (workspace) => linkSync(target, join(workspace, 'linked.txt')) },
    );
    expect(result.tool('write')).toMatchObject({ is_error: false, output: expect.stringMatching(/^wrote 15 bytes to "linked.txt" \(replaced; it was a hard link/) });
    expect(result.tool('next')).toMatchObject({ is_error: false, output: '    1| my own content' });
    expect(readFileSync(target, 'utf8')).toBe(OUTSIDE_TEXT);
    expect(statSync(target).nlink).toBe(1);
    nothingLeaked(result, OUTSIDE_TEXT.trim());
  });

  it('edit_file on a hard link to an outside file is refused; the outside file is unchanged', async () => {
    const target = outsideFile('hard-edit.txt');
    const result = await run(
      [
        call('edit', 'edit_file', { path: 'linked.txt', old_string: 'outside', new_string: 'inside' }),
        call('next', 'write_file', { path: 'mine.txt', content: 'fine\n' }),
      ],
      { prepare: (workspace) => linkSync(target, join(workspace, 'linked.txt')) },
    );
    expect(result.tool('edit')).toMatchObject({ is_error: true, output: expect.stringMatching(/^"linked.txt" is a hard link: the same file has 2 names/) });
    expect(result.tool('next').is_error).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe(OUTSIDE_TEXT);
  });

  it('read_file and search_files of a hard link to an outside file show nothing of it', async () => {
    const target = outsideFile('hard-read.txt');
    const result = await run(
      [
        call('read', 'read_file', { path: 'linked.txt' }),
        call('search', 'search_files', { pattern: 'outside' }),
        call('next', 'read_file', { path: 'ok.txt' }),
      ],
      {
        prepare: (workspace) => {
          linkSync(target, join(workspace, 'linked.txt'));
          writeFileSync(join(workspace, 'ok.txt'), 'an ordinary file\n');
        },
      },
    );
    expect(result.tool('read')).toMatchObject({ is_error: true, output: expect.stringMatching(/"linked.txt" is a hard link/) });
    expect(result.tool('search').output).toBe(
      'no matches for "outside" in "."\n[1 file not searched: hard links shared with a name outside the workspace: linked.txt]',
    );
    expect(result.tool('next')).toMatchObject({ is_error: false, output: '    1| an ordinary file' });
    nothingLeaked(result, OUTSIDE_TEXT.trim());
  });

  it('a symlink to an outside file is refused for read_file and write_file; the outside file is unchanged', async () => {
    const target = outsideFile('sym.txt');
    const result = await run(
      [
        call('read', 'read_file', { path: 'sym.txt' }),
        call('write', 'write_file', { path: 'sym.txt', content: 'pwned' }),
        call('under', 'write_file', { path: 'outdir/planted.sh', content: 'pwned' }),
        call('next', 'list_files', {}),
      ],
      {
        prepare: (workspace) => {
          symlinkSync(target, join(workspace, 'sym.txt'));
          symlinkSync(outside, join(workspace, 'outdir'));
        },
      },
    );
    for (const id of ['read', 'write', 'under']) {
      expect(result.tool(id)).toMatchObject({ is_error: true, output: expect.stringMatching(/symlink that points outside the workspace/) });
    }
    expect(result.tool('next')).toMatchObject({ is_error: false, output: 'outdir (symlink)\nsym.txt (symlink)' });
    expect(readFileSync(target, 'utf8')).toBe(OUTSIDE_TEXT);
    expect(existsSync(join(outside, 'planted.sh'))).toBe(false);
    nothingLeaked(result, OUTSIDE_TEXT.trim());
  });

  it('file names with line breaks are listed and searched as JSON strings; the tools work on them', async () => {
    const result = await run(
      [
        call('list', 'list_files', { recursive: true }),
        call('search', 'search_files', { pattern: 'needle' }),
        call('write', 'write_file', { path: 'made\nby model.txt', content: 'needle too\n' }),
        call('next', 'read_file', { path: 'made\nby model.txt' }),
      ],
      {
        prepare: (workspace) => {
          mkdirSync(join(workspace, 'src'));
          writeFileSync(join(workspace, 'evil\nsrc_index.ts'), 'needle\n');
          writeFileSync(join(workspace, 'src', 'real.ts'), 'needle\n');
          writeFileSync(join(workspace, 'cr\rname\u001b[2J.txt'), 'needle\n');
        },
      },
    );
    expect(result.tool('list').output.split('\n')).toEqual(['"cr\\rname\\u001b[2J.txt"', '"evil\\nsrc_index.ts"', 'src/', 'src/real.ts']);
    expect(result.tool('search').output.split('\n')).toEqual([
      '"cr\\rname\\u001b[2J.txt":1: needle',
      '"evil\\nsrc_index.ts":1: needle',
      'src/real.ts:1: needle',
    ]);
    expect(result.tool('write')).toMatchObject({ is_error: false, output: 'wrote 11 bytes to "made\\nby model.txt" (created)' });
    expect(result.tool('next')).toMatchObject({ is_error: false, output: '    1| needle too' });
  });

  it('edit_file on a Latin-1 file is refused with every byte kept; write_file then replaces it whole', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6e, 0x61, 0xef, 0x76, 0x65, 0x0a]);
    let file = '';
    const result = await run(
      [
        call('edit', 'edit_file', { path: 'legacy.txt', old_string: 'caf', new_string: 'CAF' }),
        call('read', 'read_file', { path: 'legacy.txt' }),
        call('next', 'write_file', { path: 'legacy.txt', content: 'café\nnaïve\n' }),
      ],
      {
        prepare: (workspace) => {
          file = join(workspace, 'legacy.txt');
          writeFileSync(file, latin1);
        },
      },
    );
    expect(result.tool('edit')).toMatchObject({
      is_error: true,
      output: expect.stringMatching(/^"legacy.txt" is not UTF-8 text \(the byte at offset 3 is not valid UTF-8\); edit_file would change bytes it did not touch/),
    });
    expect(result.tool('read').output).toMatch(/^\[note: "legacy.txt" is not UTF-8 text/);
    expect(result.tool('next').is_error).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('café\nnaïve\n');
  });

  it('a FIFO and a symlink loop are refused, not waited on', async () => {
    const result = await run(
      [
        call('fifo', 'read_file', { path: 'pipe' }),
        call('loop', 'read_file', { path: 'loop' }),
        call('search', 'search_files', { pattern: 'x' }),
        call('next', 'write_file', { path: 'ok.txt', content: 'x\n' }),
      ],
      {
        prepare: (workspace) => {
          execFileSync('mkfifo', [join(workspace, 'pipe')]);
          symlinkSync('loop', join(workspace, 'loop'));
        },
      },
    );
    expect(result.tool('fifo')).toMatchObject({ is_error: true, output: '"pipe" is not a regular file' });
    expect(result.tool('loop')).toMatchObject({ is_error: true, output: expect.stringMatching(/"loop" cannot be resolved \(ELOOP\)/) });
    expect(result.tool('search').is_error).toBe(false);
    expect(result.tool('next').is_error).toBe(false);
  });

  it('writes into .git are refused, in a worktree too; git keeps its hooks and config', async () => {
    const calls = [
      call('hook', 'write_file', { path: '.git/hooks/post-merge', content: '#!/bin/sh\ntouch /tmp/pwned\n' }),
      call('pointer', 'write_file', { path: '.git', content: 'gitdir: /tmp/elsewhere\n' }),
      call('upper', 'write_file', { path: '.GIT/config', content: '[core]\n\thooksPath = /tmp\n' }),
      call('edit', 'edit_file', { path: '.git/config', old_string: '[core]', new_string: '[core]\n\tfsmonitor = evil' }),
      call('read', 'read_file', { path: '.git/config' }),
      call('list', 'list_files', {}),
      call('next', 'write_file', { path: 'work.txt', content: 'real work\n' }),
    ];
    const refusedIds = ['hook', 'pointer', 'upper', 'edit', 'read'];

    let shared = '';
    const first = await run(calls, {
      prepare: (workspace) => {
        shared = workspace;
        writeFileSync(join(workspace, 'README.md'), 'hello\n');
        execFileSync('git', ['init', '-q'], { cwd: workspace });
      },
    });
    for (const id of refusedIds) expect(first.tool(id)).toMatchObject({ is_error: true, output: expect.stringMatching(/is in \.git, git's own data/) });
    expect(first.tool('list').output).toBe('README.md');
    expect(first.tool('next').is_error).toBe(false);
    expect(readdirSync(join(shared, '.git', 'hooks')).some((name) => name === 'post-merge')).toBe(false);
    expect(readFileSync(join(shared, '.git', 'config'), 'utf8')).not.toContain('fsmonitor');
    await harness!.cleanup();
    harness = undefined;

    const second = await run(calls, { isolation: 'worktree', files: { 'README.md': 'hello\n' } });
    for (const id of refusedIds) expect(second.tool(id).is_error).toBe(true);
    expect(second.tool('list').output).toBe('README.md');
    const workspace = second.harness.workspace;
    // The ticket merged: its work is on the integration branch, checked out in the run's workspace.
    expect(readFileSync(join(workspace, 'work.txt'), 'utf8')).toBe('real work\n');
    const gitDir = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: workspace, encoding: 'utf8' }).trim();
    const common = join(workspace, gitDir);
    expect(existsSync(join(common, 'hooks', 'post-merge'))).toBe(false);
    expect(readFileSync(join(common, 'config'), 'utf8')).not.toContain('fsmonitor');
  });

  it('a tool output holding the secret in base64, hex, URL and spaced-out form reaches no journal entry, transcript or debug state', async () => {
    const secret = 'sk-ant-api03-HOSTILE-files-secret-0123456789abcdef';
    const forms = {
      base64: Buffer.from(`key=${secret}\n`).toString('base64'),
      hex: Buffer.from(secret).toString('hex'),
      url: encodeURIComponent(`x=${secret}&y=1`),
      spaced: [...secret].join(' '),
      plain: secret,
    };
    const result = await run(
      [
        call('read', 'read_file', { path: 'dump.txt' }),
        call('search', 'search_files', { pattern: 'form' }),
        call('next', 'list_files', {}),
      ],
      {
        mode: 'linear',
        secrets: [secret],
        prepare: (workspace) =>
          writeFileSync(join(workspace, 'dump.txt'), Object.entries(forms).map(([name, value]) => `form ${name}: ${value}`).join('\n')),
      },
    );
    expect(result.tool('read').output).toContain('[redacted]');
    expect(result.tool('search').output.split('\n')).toHaveLength(5);
    expect(result.tool('next').is_error).toBe(false);
    const debugFile = readFileSync(join(result.harness.runDir, 'debug_state.json'), 'utf8');
    for (const value of [secret, forms.base64.slice(8, 40), forms.hex.slice(0, 32), forms.url, forms.spaced.slice(0, 30), secret.replaceAll('-', '')]) {
      nothingLeaked(result, value);
      expect(debugFile).not.toContain(value);
    }
    // The transcript the model got holds the redacted outputs.
    expect(JSON.stringify(result.transcripts.at(-1))).toContain('form base64: ');
  });
});
