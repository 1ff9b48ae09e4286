import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { starterFiles } from '../../src/cli/init-files.js';
import { tempDir } from '../support/engine-harness.js';

/**
 * Configuration, track, workspace and script cases that `clutch validate` used to pass (or that
 * crashed `clutch run` with a stack trace). Each must fail validate with its location, and be
 * refused by run the same way before anything is created: no run folder, no store.
 */

const root = tempDir('clutch-bad-input-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
/** A fresh copy of `clutch init`'s starter track, which passes validate and runs. */
function starter(): string {
  const dir = join(root, `case-${++count}`);
  for (const [file, content] of starterFiles) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the case changed nothing in ${file}`);
  writeFileSync(path, after);
}

type ScriptJson = { version: number; tickets: Record<string, { role: string; content: { type: string; id?: string; input?: Record<string, unknown> }[] }[]> };
function editScript(dir: string, change: (script: ScriptJson) => void, file = 'script.json'): void {
  const script = JSON.parse(readFileSync(join(dir, 'script.json'), 'utf8')) as ScriptJson;
  change(script);
  writeFileSync(join(dir, file), JSON.stringify(script));
}

async function clutch(cwd: string, args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream;
  const code = await main(args, { stdin, stdout, stderr, cwd });
  return { code, stdout: out, stderr: err };
}

interface Case {
  name: string;
  setup: (dir: string) => void;
  /** Flags given to both validate and run. */
  flags?: string[];
  /** What stderr must say, location included. */
  error: RegExp;
}

const cases: Case[] = [
  {
    name: 'a script file that does not exist',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('script = "script.json"', 'script = "nope.json"')),
    error: /nope\.json: cannot read the script: no such file \(the script of \[models\.scripted\] in \S+agents\.toml:\d+:\d+\)/,
  },
  {
    name: 'a script that is not JSON',
    setup: (dir) => writeFileSync(join(dir, 'script.json'), '{"version": 1,\n  "tickets": {'),
    error: /script\.json:2:\d+: invalid JSON/,
  },
  {
    name: 'a script that run rejects (an empty tool_use id)',
    setup: (dir) => editScript(dir, (script) => void (script.tickets.T1![0]!.content[1]!.id = '')),
    error: /script\.json: tickets\.T1\[0\]\.content\[1\]\.id: /,
  },
  {
    name: 'a ticket the script has no replies for',
    setup: (dir) => editScript(dir, (script) => delete script.tickets.T2),
    error: /track\.toml:\d+:\d+: ticket T2 \(agent codegen\) uses the scripted profile "scripted", but its script \S+script\.json has no replies for T2 \(it has T1\)/,
  },
  {
    name: 'a tool_use input nested 20,000 deep',
    setup: (dir) => {
      editScript(dir, (script) => void (script.tickets.T1![0]!.content[1]!.input = { path: 'src/greet.js', deep: '__DEEP__' }));
      // Written as text: JSON.stringify itself would overflow on such a value.
      const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
      edit(dir, 'script.json', (text) => text.replace('"__DEEP__"', deep));
    },
    error: new RegExp(`script\\.json: tickets\\.T1\\[0\\]\\.content\\[1\\]\\.input\\.deep(\\.a){63}: the input nests deeper than 64 levels`),
  },
  {
    name: 'allowed_commands = [".."]',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('allowed_commands = ["node"]', 'allowed_commands = ["node", ".."]')),
    error: /agents\.toml:\d+:29: allowed_commands entry "\.\." in \[agents\.codegen\] is a path, not a program name/,
  },
  {
    name: 'allowed_commands = ["."]',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('allowed_commands = ["node"]', 'allowed_commands = ["."]')),
    error: /agents\.toml:\d+:21: allowed_commands entry "\." in \[agents\.codegen\] is a path/,
  },
  {
    name: 'a workspace that does not exist',
    setup: (dir) => edit(dir, 'track.toml', (text) => text.replace('workspace = "workspace"', 'workspace = "missing"')),
    error: /track\.toml:\d+:13: workspace "missing" \(\S+missing\) does not exist/,
  },
  {
    name: 'a workspace that is a file',
    setup: (dir) => edit(dir, 'track.toml', (text) => text.replace('workspace = "workspace"', 'workspace = "script.json"')),
    error: /track\.toml:\d+:13: workspace "script\.json" \(\S+\) is a file, not a folder/,
  },
  {
    name: 'a workspace that is /',
    setup: (dir) => edit(dir, 'track.toml', (text) => text.replace('workspace = "workspace"', 'workspace = "/"')),
    error: /track\.toml:\d+:13: workspace "\/" \(\/\) is the root of the file system/,
  },
  {
    name: 'a workspace that holds the run folders (the copy would copy itself)',
    setup: (dir) => edit(dir, 'track.toml', (text) => text.replace('workspace = "workspace"', 'workspace = "."')),
    error: /track\.toml:\d+:13: workspace "\." \(\S+\) holds the run folders \(\S+\.clutch\/runs\)/,
  },
  {
    name: '--workspace naming a file',
    setup: () => {},
    flags: ['--workspace', 'agents.toml'],
    error: /track\.toml:1:1: the workspace given with --workspace \(\S+agents\.toml\) is a file, not a folder/,
  },
  {
    name: 'a workspace that holds a FIFO',
    setup: (dir) => execFileSync('mkfifo', [join(dir, 'workspace', 'src', 'pipe')]),
    error: /track\.toml:\d+:13: workspace "workspace" \(\S+\) holds what a run cannot copy: src\/pipe \(a FIFO \(named pipe\)\); remove it/,
  },
  {
    name: 'an absolute debug_state_path',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('debug_state_path = "debug_state.json"', 'debug_state_path = "/tmp/debug_state.json"')),
    error: /agents\.toml:\d+:20: debug_state_path "\/tmp\/debug_state\.json" in \[execution\] is an absolute path; it must be a plain file name/,
  },
  {
    name: 'a debug_state_path that leads out of the run folder',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('debug_state_path = "debug_state.json"', 'debug_state_path = "../../debug_state.json"')),
    error: /agents\.toml:\d+:20: debug_state_path "\.\.\/\.\.\/debug_state\.json" in \[execution\] leads out of the run folder/,
  },
  {
    name: 'a debug_state_path in a subfolder that a fresh run folder does not have',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('debug_state_path = "debug_state.json"', 'debug_state_path = "state/debug.json"')),
    error: /agents\.toml:\d+:20: debug_state_path "state\/debug\.json" in \[execution\] names a file in a subfolder/,
  },
  {
    name: 'a debug_state_path that names the run folder',
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('debug_state_path = "debug_state.json"', 'debug_state_path = "."')),
    error: /agents\.toml:\d+:20: debug_state_path "\." in \[execution\] names a folder, not a file/,
  },
  {
    name: "a debug_state_path that names the run's copy of the workspace",
    setup: (dir) => edit(dir, 'agents.toml', (text) => text.replace('debug_state_path = "debug_state.json"', 'debug_state_path = "workspace"')),
    error: /agents\.toml:\d+:20: debug_state_path "workspace" in \[execution\] is the name of the run's copy of the workspace/,
  },
  {
    name: '--script naming a file that does not exist',
    setup: () => {},
    flags: ['--script', 'other.json'],
    error: /other\.json: cannot read the script: no such file \(given with --script for \[models\.scripted\]\)/,
  },
  {
    name: '--script naming a script without replies for a ticket',
    setup: (dir) => editScript(dir, (script) => delete script.tickets.T1, 'other.json'),
    flags: ['--script', 'other.json'],
    error: /track\.toml:\d+:\d+: ticket T1 \(agent codegen\) uses the scripted profile "scripted", but its script \S+other\.json has no replies for T1/,
  },
  {
    name: '--script with --model naming an anthropic profile',
    setup: () => {},
    flags: ['--script', 'script.json', '--model', 'sonnet'],
    error: /--script \S+script\.json: --model sonnet is not a scripted profile \(provider "anthropic"\)/,
  },
  {
    name: '--script with a configuration that has no scripted profile',
    setup: (dir) =>
      edit(dir, 'agents.toml', (text) => text.replace(/\[models\.scripted\][^[]*/, '').replace('model = "scripted"', 'model = "sonnet"')),
    flags: ['--script', 'script.json'],
    error: /--script \S+script\.json: \S+agents\.toml has no scripted model profile \(provider = "scripted"\) to replay it/,
  },
  {
    name: '--script when two scripted profiles are in use (ambiguous)',
    setup: (dir) => {
      edit(dir, 'agents.toml', (text) => {
        const agent = text.slice(text.indexOf('[agents.codegen]'));
        return `${text}\n[models.second]\nprovider = "scripted"\nscript = "script.json"\n\n${agent.replace('[agents.codegen]', '[agents.second]').replace('model = "scripted"', 'model = "second"')}`;
      });
      edit(dir, 'track.toml', (text) => text.replace(/(id = "T2"[\s\S]*?worker_archetype = )"codegen"/, '$1"second"'));
    },
    flags: ['--script', 'script.json'],
    error: /--script \S+script\.json is ambiguous: \S+agents\.toml has the scripted profiles scripted, second and the track's agents use scripted and second; name one with --model NAME/,
  },
];

describe('the starter track these cases start from', () => {
  it('passes validate', async () => {
    const dir = starter();
    const result = await clutch(dir, ['validate', 'track.toml']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('bad input: validate fails it with its location, and run refuses it before anything is created', () => {
  for (const { name, setup, flags = [], error } of cases) {
    it(name, async () => {
      const dir = starter();
      setup(dir);
      const validate = await clutch(dir, ['validate', 'track.toml', ...flags]);
      expect(validate.stderr).toMatch(error);
      expect(validate.code).toBe(2);
      const run = await clutch(dir, ['run', 'track.toml', '--trust', 'auto', ...flags]);
      expect(run.stderr).toMatch(error);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      // Nothing ran: no run folder, no store.
      expect(existsSync(join(dir, '.clutch'))).toBe(false);
    });
  }
});
