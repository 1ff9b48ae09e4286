import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { main } from '../../src/cli.js';
import { forwardInspection, type Forwarder } from '../../src/server/stately-forward.js';
import { call, done, pause, reply, startEngine, text, ticket, type Harness } from '../support/engine-harness.js';

/** `clutch serve --inspect-ws URL`: the engine's inspection events reach a Stately inspector server. */
interface Received {
  type: string;
  name?: string;
  definition?: string;
  event?: { type: string };
  snapshot?: { value?: unknown };
  sessionId?: string;
}

let harness: Harness | undefined;
let forwarder: Forwarder | undefined;
let server: WebSocketServer | undefined;
afterEach(async () => {
  forwarder?.stop();
  forwarder = undefined;
  await harness?.cleanup();
  harness = undefined;
  for (const socket of server?.clients ?? []) socket.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A stand-in for the Stately inspector server: it keeps every message, raw and parsed. */
async function inspectorServer(port = 0) {
  const raw: string[] = [];
  const waiters: (() => void)[] = [];
  server = new WebSocketServer({ host: '127.0.0.1', port });
  server.on('connection', (socket) =>
    socket.on('message', (data) => {
      raw.push(String(data));
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const messages = () => raw.map((text) => JSON.parse(text) as Received);
  const until = (check: (all: Received[]) => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${raw.length} messages`)), 10_000);
      const test = () => {
        if (check(messages())) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(test);
      };
      test();
    });
  return { url, raw, messages, until };
}

const secret = 'sk-ant-api03-INSPECTOR-FORWARD-SECRET';
const script = { T1: [reply(text('Reading.'), call('toolu_1', 'read_file', { path: 'T1.txt' })), done('toolu_2')] };

describe('forwarding inspection events to a Stately inspector', () => {
  it('sends actors with their definitions, events and snapshots, with secrets redacted', async () => {
    const inspector = await inspectorServer();
    const spec = { ...ticket('T1'), prompt: `Use the key ${secret} nowhere.` };
    harness = startEngine({ tickets: [spec], script, files: { 'T1.txt': 'one\n' }, start: false });
    forwarder = forwardInspection(harness.engine, { url: inspector.url, env: { ANTHROPIC_API_KEY: secret } });
    harness.engine.start();
    await pause(harness.engine, 'T1', 'approval');
    harness.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });

    await inspector.until(
      (all) => all.some((message) => message.type === '@xstate.snapshot' && JSON.stringify(message.snapshot?.value) === '{"toolCycle":"reviewingResult"}'),
      'the worker at pause 2',
    );
    const all = inspector.messages();
    const conductor = all.find((message) => message.type === '@xstate.actor' && message.name === 'conductor')!;
    expect(conductor.definition).toContain('trustOverride');
    const worker = all.find((message) => message.type === '@xstate.actor' && message.definition?.includes('awaitingApproval'));
    expect(worker).toBeDefined();
    expect(all.some((message) => message.type === '@xstate.event' && message.event?.type === 'clutch.approve')).toBe(true);
    expect(all.some((message) => message.type === '@xstate.snapshot' && message.event?.type === 'model.reply')).toBe(true);
    // The prompt went into the worker's transcript: it reached the inspector, the key did not.
    expect(inspector.raw.some((text) => text.includes('nowhere') && text.includes('[redacted]'))).toBe(true);
    expect(inspector.raw.filter((text) => text.includes(secret))).toEqual([]);
  });

  it('holds the events until the inspector is up, then sends them in order', async () => {
    // Find a free port, and let it go: the inspector is not listening when the run starts.
    const probe = await inspectorServer();
    const port = Number(new URL(probe.url).port);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;

    harness = startEngine({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' }, start: false });
    forwarder = forwardInspection(harness.engine, { url: `ws://127.0.0.1:${port}`, retryMs: 20, env: {} });
    harness.engine.start();
    await pause(harness.engine, 'T1', 'approval');

    const inspector = await inspectorServer(port);
    await inspector.until(
      (all) => all.some((message) => message.type === '@xstate.snapshot' && String(JSON.stringify(message.snapshot?.value)).includes('ready')),
      'the queued events',
    );
    const types = inspector.messages().map((message) => message.type);
    expect(types[0]).toBe('@xstate.actor');
    expect(inspector.messages()[0]!.name).toBe('conductor');
  });

  it('refuses an --inspect-ws that is not a WebSocket URL, before anything starts', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const code = await main(['serve', '--inspect-ws', 'http://127.0.0.1:8080'], { stdin: process.stdin, stdout, stderr, cwd: process.cwd() });
    expect(code).toBe(2);
    expect(errors).toContain('--inspect-ws must be a ws:// or wss:// URL');
  });
});
