/**
 * Web app benchmark (run with `npm run bench`; never part of `npm test`).
 *
 * The real server (session → engine → hub → WebSocket) on a track of 100 independent tickets,
 * max_concurrency 100, step trust, with the scripted model streaming every reply in 8-character
 * deltas 5 ms apart (--chars characters of text per reply). Each ticket's script: a text + write_file,
 * then a text + task_complete. ONE socket client, in a worker thread, approves every pause as soon
 * as its view accepts clutch.approve.
 *
 * Printed:
 * - messages/s and bytes/s received by the client over the whole run, and the most messages in
 *   any one-second window (target: at most 30 messages/s);
 * - approve → tool start, measured SERVER-SIDE: from the approve command reaching the engine (its
 *   journal entry, written by Engine.command just before the event is sent) to the `@xstate.actor`
 *   inspection event of that worker's runTool actor; one per worker, the write_file approval
 *   (target: p95 <= 50 ms);
 * - the same CLIENT-SIDE, for information: from sending the command until the worker's view has
 *   left awaitingApproval; it includes the socket and the batching interval (33 ms).
 *
 * Options: --workers=100 --chars=600 --chunk-delay=5 --chunk-size=8 --interval=33
 * --approve=eager|serial (eager, the default: answer every pause as soon as it shows, 100 at once;
 * serial: one approval in flight at a time, like one human clicking).
 * Exit code 1 when a target is missed or the run does not complete.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AnyActorRef } from 'xstate';
import { createSession } from '../src/server/session.js';
import { startServer } from '../src/server/server.js';
import type { ClientInput, ClientReport } from './ui-client.js';

const MESSAGES_PER_SECOND_TARGET = 30;
const LATENCY_P95_TARGET_MS = 50;

interface Options {
  workers: number;
  chars: number;
  chunkDelayMs: number;
  chunkSize: number;
  intervalMs: number;
  approve: 'eager' | 'serial';
}

function parseOptions(argv: string[]): Options {
  const options: Options = { workers: 100, chars: 600, chunkDelayMs: 5, chunkSize: 8, intervalMs: 33, approve: 'eager' };
  const names: Record<string, Exclude<keyof Options, 'approve'>> = {
    '--workers': 'workers',
    '--chars': 'chars',
    '--chunk-delay': 'chunkDelayMs',
    '--chunk-size': 'chunkSize',
    '--interval': 'intervalMs',
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2) as [string, string?];
    if (key === '--approve' && (value === 'eager' || value === 'serial')) {
      options.approve = value;
      continue;
    }
    const name = names[key];
    const number = Number(value);
    if (!name || !Number.isInteger(number) || number < 1) {
      console.error(`unknown option ${arg}; use ${Object.keys(names).map((flag) => `${flag}=N`).join(' ')} --approve=eager|serial`);
      process.exit(2);
    }
    options[name] = number;
  }
  return options;
}

const prose =
  'The worker reads the target file, thinks about the smallest change that does what the ticket asks, and explains it before it calls a tool. ';

function textOf(chars: number, seed: number): string {
  let text = `(${seed}) `;
  while (text.length < chars) text += prose;
  return text.slice(0, chars);
}

/** agents.toml, track.toml, script.json and an empty workspace in a temp folder. */
function writeInputs(root: string, options: Options): { config: string; track: string } {
  const workspace = join(root, 'workspace');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.md'), 'bench workspace\n');
  const ids = Array.from({ length: options.workers }, (_, index) => `W${String(index + 1).padStart(3, '0')}`);
  const script = {
    version: 1,
    tickets: Object.fromEntries(
      ids.map((id, index) => [
        id,
        [
          { role: 'assistant', content: [{ type: 'text', text: textOf(options.chars, index) }, { type: 'tool_use', id: `toolu_${id}_1`, name: 'write_file', input: { path: `out/${id}.txt`, content: `${id}\n` } }] },
          { role: 'assistant', content: [{ type: 'text', text: textOf(options.chars, index + 1) }, { type: 'tool_use', id: `toolu_${id}_2`, name: 'task_complete', input: { summary: `wrote out/${id}.txt` } }] },
        ],
      ]),
    ),
  };
  writeFileSync(join(root, 'script.json'), JSON.stringify(script));
  writeFileSync(
    join(root, 'agents.toml'),
    [
      '[execution]',
      'mode = "async"',
      `max_concurrency = ${options.workers}`,
      'trust_override = "none"',
      'debug_state_path = "debug_state.json"',
      '',
      '[models.scripted]',
      'provider = "scripted"',
      'script = "script.json"',
      '',
      '[agents.streamer]',
      'tier = 3',
      'model = "scripted"',
      'trust_level = "step"',
      'tools = ["read_file", "write_file", "task_complete"]',
      'allowed_commands = []',
      'max_turns = 4',
      'system_prompt = "You are a bench worker."',
      '',
    ].join('\n'),
  );
  const tickets = ids.map((id) =>
    ['[[tickets]]', `id = "${id}"`, `target_file = "out/${id}.txt"`, `prompt = "Write out/${id}.txt."`, 'worker_archetype = "streamer"', 'dependencies = []', ''].join('\n'),
  );
  writeFileSync(
    join(root, 'track.toml'),
    ['[track]', 'id = "bench-ui"', 'title = "UI bench"', 'description = "independent streaming workers"', 'workspace = "workspace"', '', ...tickets].join('\n'),
  );
  return { config: join(root, 'agents.toml'), track: join(root, 'track.toml') };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The most arrivals (milliseconds) that fall within any window of the given width. */
function maxInWindow(arrivals: number[], widthMs: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < arrivals.length; to += 1) {
    while (arrivals[to]! - arrivals[from]! >= widthMs) from += 1;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'clutch-bench-ui-'));
  const print = (line: string): void => console.log(line);
  try {
    const inputs = writeInputs(root, options);
    const { engine, session } = await createSession({ cwd: root, ...inputs, chunkDelayMs: options.chunkDelayMs, chunkSize: options.chunkSize });
    const staticDir = join(root, 'ui');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>bench</title>\n');

    // Server side: the approve's journal entry, then the runTool actor of the same worker.
    const approvedAt = new Map<string, number>();
    const serverLatency: number[] = [];
    engine.journal.subscribe((entry) => {
      if (entry.kind !== 'command' || !entry.target.startsWith('worker:')) return;
      const ticket = entry.target.slice('worker:'.length);
      if ((entry.event as { type?: string }).type === 'clutch.approve' && !approvedAt.has(ticket)) approvedAt.set(ticket, performance.now());
    });
    const toolSeen = new Set<string>();
    engine.subscribeInspection((event) => {
      if (event.type !== '@xstate.actor') return;
      const ref = event.actorRef as AnyActorRef & { src?: unknown; options?: { input?: { ticketId?: string } } };
      const ticket = ref.options?.input?.ticketId;
      if (ref.src !== 'runTool' || !ticket || toolSeen.has(ticket)) return;
      toolSeen.add(ticket);
      const sent = approvedAt.get(ticket);
      if (sent !== undefined) serverLatency.push(performance.now() - sent);
    });

    const server = await startServer({ engine, session, staticDir, batchIntervalMs: options.intervalMs });
    let started = performance.now();
    // How long the server's event loop was held up: the engine and the hub share it.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    const input: ClientInput = { port: server.port, token: server.token, workers: options.workers, approve: options.approve };
    const report = await new Promise<ClientReport>((resolve, reject) => {
      // Node does not load .ts in a worker by itself: the thread registers tsx first, as bin/clutch.js does.
      const bootstrap = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./ui-client.ts', import.meta.url).href)});`;
      const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData: input });
      worker.on('message', (message: { type: 'ready' } | { type: 'report'; report: ClientReport }) => {
        if (message.type === 'ready') {
          started = performance.now();
          loopDelay.enable();
          engine.start();
          return;
        }
        resolve(message.report);
        void worker.terminate();
      });
      worker.once('error', reject);
      setTimeout(() => reject(new Error('the run did not complete within 120 s')), 120_000).unref();
    });
    const wall = performance.now() - started;
    loopDelay.disable();
    const outcome = await engine.finished();
    await server.close();
    await engine.stop();

    const seconds = report.durationMs / 1000;
    const messagesPerSecond = report.messages / seconds;
    const windowMax = maxInWindow(report.arrivals, 1000);
    const serverP50 = percentile(serverLatency, 50);
    const serverP95 = percentile(serverLatency, 95);
    const clientP50 = percentile(report.approveToTool, 50);
    const clientP95 = percentile(report.approveToTool, 95);
    const completed = Object.values(outcome.tickets).filter((status) => status === 'completed').length;

    print(`ui bench: ${options.workers} workers streaming at once (max_concurrency ${options.workers}), ${options.chars} chars per reply in ${options.chunkSize}-char deltas every ${options.chunkDelayMs} ms, batch interval ${options.intervalMs} ms, 1 socket client approving ${options.approve === 'eager' ? 'every pause at once' : 'one pause at a time'}`);
    print(`  run:                          ${completed}/${options.workers} tickets completed, ${(wall / 1000).toFixed(2)} s wall, ${report.refused.length} approvals refused (raced)`);
    print(`  client received:              ${report.messages} messages, ${(report.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s`);
    print(`  messages/s (whole run):       ${messagesPerSecond.toFixed(1)}   (most in any 1 s window: ${windowMax})`);
    print(`  bytes/s:                      ${(report.bytes / seconds / 1e6).toFixed(2)} MB/s`);
    print(`  approve → tool start, server: median ${serverP50.toFixed(2)} ms, p95 ${serverP95.toFixed(2)} ms over ${serverLatency.length} approvals (journal entry of the command → @xstate.actor of runTool)`);
    print(`  server event loop delay:      p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
    print(`  approve → view left pause 1, client: median ${clientP50.toFixed(1)} ms, p95 ${clientP95.toFixed(1)} ms over ${report.approveToTool.length} approvals (includes the socket and batching)`);

    const checks: [string, boolean][] = [
      [`all ${options.workers} tickets completed`, completed === options.workers && serverLatency.length === options.workers],
      [`messages/s ${messagesPerSecond.toFixed(1)} <= ${MESSAGES_PER_SECOND_TARGET}`, messagesPerSecond <= MESSAGES_PER_SECOND_TARGET],
      [`approve → tool start p95 ${serverP95.toFixed(2)} ms <= ${LATENCY_P95_TARGET_MS} ms (server-side)`, serverP95 <= LATENCY_P95_TARGET_MS],
    ];
    for (const [what, ok] of checks) print(`${ok ? 'OK' : 'FAIL'}: ${what}`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('FAIL: the bench crashed:', error);
    process.exit(1);
  },
);
