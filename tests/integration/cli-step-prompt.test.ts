import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pauseNow } from '../../src/actors/pause-check.js';
import type { JournalEntry } from '../../src/actors/journal.js';
import { main } from '../../src/cli.js';
import { StepPrompter } from '../../src/cli/step-prompt.js';
import { RunStore } from '../../src/store/index.js';
import { agent, call, done, pause, reply, startEngine, tempDir, testConfig, text, ticket, until, type Harness } from '../support/engine-harness.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/clutch.js');
const demoTrack = join(root, 'demo/track.toml');
const cwd = tempDir('clutch-step-prompt-');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Output that can be waited on: resolves once everything written since `from` matches. */
function recorder() {
  let text = '';
  const waiters: (() => void)[] = [];
  return {
    get text() {
      return text;
    },
    add(chunk: string) {
      text += chunk;
      for (const wake of [...waiters]) wake();
    },
    sees(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
      return new Promise((done) => {
        const check = () => {
          const match = text.slice(from).match(pattern);
          if (!match) return;
          waiters.splice(waiters.indexOf(check), 1);
          done(match);
        };
        waiters.push(check);
        check();
      });
    },
  };
}

/** A terminal for the prompt in this process: what it prints, and lines typed into it. */
function fakeTerminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream & PassThrough;
  const stdout = new PassThrough();
  const output = recorder();
  stdout.on('data', (chunk: Buffer) => output.add(chunk.toString()));
  return { stdin, stdout, output, type: (line: string) => stdin.write(`${line}\n`) };
}

describe('the step prompt names the pause it answers', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('an answer the pause has moved past (another client answered first) is refused, said, and the new pause is shown', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [reply(text('Writing.'), call('toolu_1', 'write_file', { path: 'T1.txt', content: 'hi\n' })), done('toolu_2')] },
    });
    const { engine, journal } = harness;
    const terminal = fakeTerminal();
    const prompter = new StepPrompter(engine, terminal.stdin, terminal.stdout);
    try {
      const worker = await pause(engine, 'T1', 'approval');
      prompter.paused('T1');
      await terminal.output.sees(/pause 1 \(approval\) · write_file[\s\S]*abort > $/);
      // The web app approves pause 1 while the terminal still shows it.
      expect(engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve', pause: pauseNow(worker.getSnapshot())! })).toEqual({ ok: true });
      await pause(engine, 'T1', 'review');
      const before = terminal.output.text.length;
      terminal.type('a');
      await terminal.output.sees(
        /refused: worker:T1 refuses clutch\.approve: this answers pause 1 \(approval\) of call toolu_1, but it is at pause 2 \(review\) of call toolu_1: nothing was done/,
        before,
      );
      await terminal.output.sees(/pause 2 \(review\) · result[\s\S]*abort > $/, before);
      terminal.type('a');
      await pause(engine, 'T1', 'approval');
      const approvals = journal.filter((entry): entry is Extract<JournalEntry, { kind: 'command' }> => entry.kind === 'command');
      expect(approvals.map((entry) => entry.event)).toEqual([
        { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_1' } },
        { type: 'clutch.approve', pause: { kind: 'review', tool_use_id: 'toolu_1' } },
      ]);
    } finally {
      prompter.close();
    }
  });
});

describe('an answer the prompt does not understand', () => {
  it('says "not understood" with the choices, and never repeats an old refusal; the end of input stops the run (exit 1)', async () => {
    const terminal = fakeTerminal();
    const answers = ['zz', 'e', '{', 'zz'];
    let prompts = 0;
    terminal.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().endsWith('> ')) return;
      prompts += 1;
      const answer = answers.shift();
      if (answer === undefined) terminal.stdin.end();
      else terminal.type(answer);
    });
    const code = await main(['run', demoTrack, '--mode', 'linear'], { stdin: terminal.stdin, stdout: terminal.stdout, stderr: process.stderr, cwd });
    const output = terminal.output.text;
    expect(prompts).toBe(5);
    const notUnderstood = 'not understood: "zz"; answer one of a (approve), e (edit payload), m (memory: edit last message), x (abort)';
    expect(output.split(notUnderstood)).toHaveLength(3);
    // The bad payload's refusal, once: the second "zz" does not bring it back.
    expect(output.match(/refused: /g)).toHaveLength(1);
    expect(output).toMatch(/refused: the payload is not valid JSON/);
    expect(output).toMatch(/stopped: the input ended \(Ctrl-D\), so no one is left to answer the pauses; run \S+ is saved as it stands/);
    expect(output).toMatch(/^T1 +step_paused/m);
    expect(code).toBe(1);
  });
});

/**
 * clutch in a real pseudo-terminal (util-linux `script`), so readline reads keys in raw mode as it
 * does for a user: ^C and ^D arrive as keys, not as a signal or an end of file.
 */
function onTerminal(args: string[]) {
  const quoted = [process.execPath, bin, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = recorder();
  child.stdout.on('data', (chunk: Buffer) => output.add(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.add(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output, exited, type: (keys: string) => child.stdin.write(keys) };
}

/** The pid of the clutch process `script` started (its only child). */
function clutchPid(scriptPid: number): number {
  const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0]!;
}

const runStatus = (id: string) => {
  const store = RunStore.open(join(cwd, '.clutch', 'clutch.db'));
  try {
    return store.runs().find((run) => run.id === id)?.status;
  } finally {
    store.close();
  }
};

describe('stopping at a step prompt on a terminal', () => {
  it('has a terminal to run on', () => {
    expect(spawnSync('script', ['--version'], { encoding: 'utf8' }).status, 'util-linux `script` is needed for these tests').toBe(0);
  });

  let running: ReturnType<typeof onTerminal> | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
  });

  const atFirstPause = async () => {
    running = onTerminal(['run', demoTrack]);
    await running.output.sees(/pause 1 \(approval\) · read_file[\s\S]*abort > /);
    return running;
  };

  const expectCleanStop = (output: string, message: RegExp) => {
    expect(output).toMatch(message);
    expect(output).toMatch(/ticket +status +tries/);
    expect(output).toMatch(/T1 +step_paused/);
    expect(output).not.toMatch(/AbortError|^\s+at /m);
    return output.match(/run (\d{8}-\d{6}(?:-\d+)?) is saved/)![1]!;
  };

  it('Ctrl-C ends the run cleanly: the table, exit 130, and the run is left to resume', async () => {
    const terminal = await atFirstPause();
    terminal.type('\x03');
    expect(await terminal.exited).toBe(130);
    const run = expectCleanStop(terminal.output.text, /stopped at Ctrl-C; run \S+ is saved as it stands: `clutch resume \S+` goes on from here/);
    expect(runStatus(run)).toBe('interrupted');
  });

  it('Ctrl-D ends the run cleanly too: the table and exit 1', async () => {
    const terminal = await atFirstPause();
    terminal.type('\x04');
    expect(await terminal.exited).toBe(1);
    const run = expectCleanStop(terminal.output.text, /stopped: the input ended \(Ctrl-D\)/);
    expect(runStatus(run)).toBe('interrupted');
  });

  it('SIGINT (as `kill -INT`) at a prompt stops it the same way as Ctrl-C', async () => {
    const terminal = await atFirstPause();
    process.kill(clutchPid(terminal.child.pid!), 'SIGINT');
    expect(await terminal.exited).toBe(130);
    expectCleanStop(terminal.output.text, /stopped at Ctrl-C/);
  });
});

describe('a budget pause at the step prompt', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('shows the spend; a raise not above it is refused, Enter takes the suggested one and the ticket goes on', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [reply(text('Writing.'), call('toolu_1', 'write_file', { path: 'T1.txt', content: 'hi\n' })), done('toolu_2')] },
      config: testConfig({ agents: { codegen: agent('auto', { max_tokens_per_ticket: 10 }) } }),
    });
    const { engine } = harness;
    const terminal = fakeTerminal();
    const prompter = new StepPrompter(engine, terminal.stdin, terminal.stdout);
    try {
      await until(engine, () => engine.worker('T1')?.getSnapshot().matches('budgetPaused') === true);
      const spent = engine.worker('T1')!.getSnapshot().context.budget.stop!.spent.tokens;
      prompter.paused('T1');
      await terminal.output.sees(/── T1 · budget pause · T1 spent [\d,]+ tokens \(\$0\.0000\) of its budget of 10 tokens[^\n]*\n\[r\]aise budget {2}\[x\] abort > $/);
      terminal.type('r');
      await terminal.output.sees(new RegExp(`new max_tokens \\(Enter: ${2 * spent}\\) > $`));
      terminal.type('5');
      await terminal.output.sees(/refused: worker:T1 refuses clutch\.raise_budget: max_tokens 5 is not above the [\d,]+ tokens spent; nothing changed[\s\S]*abort > $/);
      terminal.type('r');
      await terminal.output.sees(/> $/, terminal.output.text.length);
      terminal.type('');
      expect(await engine.finished()).toMatchObject({ tickets: { T1: 'completed' } });
      expect(engine.budgetOf('T1').limits).toEqual({ max_tokens: 2 * spent });
    } finally {
      prompter.close();
    }
  });
});
