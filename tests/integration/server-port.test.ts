import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readServeState, writeServeState } from '../../src/server/serve-state.js';
import { tempDir } from '../support/engine-harness.js';
import { openSocket, spawnClutch, TestClient, type ClutchProcess } from '../support/server-harness.js';

/** `clutch serve` comes back on its last port, with its token, so that the tabs left open reconnect. */
const cwd = tempDir('clutch-port-');
const processes: ClutchProcess[] = [];
let blocker: Server | undefined;
afterAll(async () => {
  await Promise.all(processes.map((process) => process.kill()));
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  rmSync(cwd, { recursive: true, force: true });
});

/** Starts `clutch serve` in cwd and resolves with its URL's port and token once it listens. */
async function serve(args: string[] = []): Promise<{ process: ClutchProcess; port: number; token: string }> {
  const process = spawnClutch(cwd, ['serve', ...args]);
  processes.push(process);
  const [, port, token] = await process.line(/^Clutch is running: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})$/m);
  return { process, port: Number(port), token: token! };
}

/** SIGTERM, as Ctrl-C in a terminal: it closes cleanly and exits 0. */
async function stop(process: ClutchProcess): Promise<void> {
  process.child.kill('SIGTERM');
  expect(await process.exited).toEqual({ code: 0, signal: null });
}

const state = () => JSON.parse(readFileSync(join(cwd, '.clutch', 'serve.json'), 'utf8')) as { port: number; token: string };

describe('clutch serve keeps its port', () => {
  it('restarted, it listens on the same port with the same token, and a socket opened as the old tab did gets in', { timeout: 240_000 }, async () => {
    const first = await serve();
    expect(state()).toEqual({ port: first.port, token: first.token });
    // The token is the user's alone.
    expect(statSync(join(cwd, '.clutch', 'serve.json')).mode & 0o777).toBe(0o600);
    await stop(first.process);

    const second = await serve();
    expect(second.port).toBe(first.port);
    expect(second.token).toBe(first.token);
    const tab = await openSocket(second.port, {}, first.token);
    expect(tab).toBeInstanceOf(TestClient);
    await (tab as TestClient).until(() => (tab as TestClient).messages[0]?.type === 'hello', 'hello');
    await (tab as TestClient).close();
    await stop(second.process);

    // The port taken by something else: a free one, recorded for the next start.
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(first.port, '127.0.0.1', resolve));
    const third = await serve();
    expect(third.port).not.toBe(first.port);
    expect(third.token).toBe(first.token);
    expect(state()).toEqual({ port: third.port, token: first.token });
    await stop(third.process);

    // --port wins over the recorded one; a port in use there is an error that says so (exit 2).
    const taken = spawnClutch(cwd, ['serve', '--port', String(first.port)]);
    processes.push(taken);
    expect(await taken.exited).toEqual({ code: 2, signal: null });
    expect(taken.output.stderr).toContain(`port ${first.port} is already in use`);
  });
});

describe('the serve state file', () => {
  const token = 'ab'.repeat(32);
  it('is read only when it holds a port, and its token only when no one else may read it', () => {
    const folder = tempDir('clutch-serve-state-');
    const file = join(folder, 'serve.json');
    try {
      expect(readServeState(file)).toEqual({});
      expect(writeServeState(file, { port: 4321, token })).toBeUndefined();
      expect(readServeState(file)).toEqual({ port: 4321, token });
      chmodSync(file, 0o644);
      expect(readServeState(file)).toEqual({ port: 4321, note: `${file} may be read by other users: its token is not used, a new one is made` });
      for (const text of ['not json', '{"port": 0}', '{"port": "4321"}', '{"port": 70000}', 'null']) {
        writeFileSync(file, text, { mode: 0o600 });
        chmodSync(file, 0o600);
        expect(readServeState(file), text).toMatchObject({ note: expect.stringContaining(`${file} does not hold a port`) });
        expect(readServeState(file).port, text).toBeUndefined();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
