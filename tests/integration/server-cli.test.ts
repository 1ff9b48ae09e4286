import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { UsageError } from '../../src/runs/load-inputs.js';
import { createSession } from '../../src/server/session.js';
import { tempDir } from '../support/engine-harness.js';
import { openSocket, pausedAtApproval, TestClient } from '../support/server-harness.js';

const root = resolve(import.meta.dirname, '../..');
const cwd = tempDir('clutch-serve-');
const secret = 'sk-ant-api03-SERVE-SUBPROCESS-SECRET';
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

/** Resolves with stdout once it holds a line matching the pattern. */
function readUntil(process: ChildProcess, pattern: RegExp, output: { stdout: string; stderr: string }): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.stdout.match(pattern);
      if (match) resolve(match);
    };
    process.stdout!.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString('utf8');
      check();
    });
    process.stderr!.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
    });
    process.once('exit', (code) => reject(new Error(`clutch serve exited with ${code}: ${output.stderr}`)));
  });
}

describe('clutch serve (a subprocess)', () => {
  it('prints one URL, answers only with the token, waits at the demo first pause, and stops on SIGTERM', { timeout: 120_000 }, async () => {
    child = spawn(process.execPath, [join(root, 'bin/clutch.js'), 'serve', '--port', '0'], {
      cwd,
      env: { ...process.env, ANTHROPIC_API_KEY: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    await readUntil(child, /^run folder: .+$/m, output);
    const lines = output.stdout.trim().split('\n');
    const running = lines.filter((line) => line.startsWith('Clutch is running: '));
    expect(running).toHaveLength(1);
    const match = running[0]!.match(/^Clutch is running: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64}))$/);
    expect(match, running[0]).not.toBeNull();
    const [, url, portText, token] = match!;
    const port = Number(portText);
    const base = `http://127.0.0.1:${port}`;
    expect(lines).toContain('model: scripted model');
    const runDir = lines.find((line) => line.startsWith('run folder: '))!.slice('run folder: '.length);
    expect(runDir.startsWith(join(cwd, '.clutch', 'runs'))).toBe(true);
    expect(existsSync(join(runDir, 'workspace', 'src', 'money.js'))).toBe(true);

    const without = await fetch(`${base}/`);
    expect(without.status).toBe(401);
    expect(await without.text()).not.toContain('<');
    expect((await fetch(`${base}/api/health`)).status).toBe(401);
    const health = await fetch(`${base}/api/health?token=${token}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const page = await fetch(url!);
    // 200 with the page when the UI is built; never refused with the token.
    expect([200, 404]).toContain(page.status);
    if (page.status === 200) expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');

    const client = await openSocket(port, {}, token);
    expect(client).toBeInstanceOf(TestClient);
    const ui = client as TestClient;
    await ui.untilView('worker:T1', pausedAtApproval, 'the demo waiting at its first pause');
    expect(ui.messages[0]).toMatchObject({ type: 'hello', session: { model_label: 'scripted model', track: { id: 'demo' } } });
    expect(ui.view('ticket:T1')?.value).toBe('step_paused');
    expect(ui.raw.join('\n')).not.toContain(secret);
    expect(output.stdout).not.toContain(secret);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await ui.until(() => ui.socket.readyState === ui.socket.CLOSED, 'the socket to close');
    await expect(fetch(`${base}/api/health?token=${token}`)).rejects.toThrow();
  });
});

describe('clutch serve: bad input', () => {
  const run = async (...args: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const code = await main(args, { stdin: process.stdin, stdout, stderr, cwd });
    return { code, stdout: out, stderr: err };
  };

  it('exits 2 with a clear message for a bad port, a missing track or a stray argument, and starts nothing', async () => {
    expect(await run('serve', '--port', 'eighty')).toMatchObject({ code: 2, stderr: expect.stringContaining('--port must be a whole number from 0 to 65535 (got "eighty")') });
    expect(await run('serve', '--port', '70000')).toMatchObject({ code: 2 });
    expect(await run('serve', '--mode', 'sideways')).toMatchObject({ code: 2, stderr: expect.stringContaining('--mode must be one of async, linear') });
    const missing = await run('serve', '--track', 'nope.toml');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.toml');
    expect(missing.stdout).toBe('');
    expect(await run('serve', 'demo/track.toml')).toMatchObject({ code: 2, stderr: expect.stringContaining('use --track T') });
  });

  it('createSession reports a bad config file as a UsageError', async () => {
    writeFileSync(join(cwd, 'broken.toml'), '[execution]\nmode = "sideways"\n');
    await expect(createSession({ cwd, config: 'broken.toml' })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('clutch serve --model', () => {
  it('refuses an unknown model profile with exit 2 before building anything', async () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await main(['serve', '--model', 'nope', '--port', '0'], {
      stdin: process.stdin,
      stdout: new PassThrough(),
      stderr,
      cwd: process.cwd(),
    });
    expect(code).toBe(2);
    expect(text).toMatch(/--model nope: no model profile "nope"/);
  });
});
