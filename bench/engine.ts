/**
 * Engine throughput benchmark (run with `npm run bench`; never part of `npm test`).
 *
 * The real Engine (conductor → ticket → worker actors, real write_file / task_complete tools in a
 * mkdtemp workspace) driven by a zero-latency scripted model (chunkSize 0: one delta per block),
 * auto trust, async mode, max_concurrency 64, on a layered DAG of width 50: ticket j of layer k
 * depends on ticket j of layer k-1 and, for two tickets in three, on one more ticket of layer k-1.
 * Each ticket's script: reply 1 writes out/<id>.txt, reply 2 calls task_complete.
 *
 * The run goes to a SQLite run store in the temp dir (journal, conductor snapshots, finished
 * tickets, tool intents), as `clutch run` has it (pass --journal=memory to keep it in memory).
 *
 * Events/s counts every event processed by every actor of the system: `@xstate.event` inspection
 * events, observed through `conductor.system.inspect` (the actor system's own observer API, so
 * Engine needs no inspect option). Journal entries/s and model turns + tool calls/s are printed
 * too, each labelled.
 *
 * Options: --sizes=1000,10000 (measured sizes; default 1000,10000), --warmup=200 (0 to skip),
 * --journal=file|memory, --timeout=900 (seconds per run). The ratio verdict needs both 1000 and
 * 10000 in --sizes. Exit code 1 on any failed check, a timeout, or a ratio above the target.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { InspectionEvent } from 'xstate';
import { Engine } from '../src/actors/engine.js';
import { RunStore } from '../src/store/index.js';
import type { ModelClient } from '../src/models/model-client.js';
import { createScriptedModel, type Script } from '../src/models/scripted.js';
import type { AssistantMessage, ClutchConfig, Ticket, Track } from '../src/protocol/index.js';

const WIDTH = 50;
const MAX_CONCURRENCY = 64;
const RATIO_TARGET = 11;
const ARCHETYPE = 'writer';
const PROFILE = 'bench-scripted';

interface Options {
  sizes: number[];
  warmup: number;
  journal: 'file' | 'memory';
  timeoutS: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizes: [1000, 10_000], warmup: 200, journal: 'file', timeoutS: 900 };
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2) as [string, string?];
    if (key === '--sizes') options.sizes = value.split(',').map((n) => positiveInt(n, key));
    else if (key === '--warmup') options.warmup = value === '0' ? 0 : positiveInt(value, key);
    else if (key === '--journal' && (value === 'file' || value === 'memory')) options.journal = value;
    else if (key === '--timeout') options.timeoutS = positiveInt(value, key);
    else {
      console.error(`unknown option ${arg}; use --sizes=1000,10000 --warmup=200 --journal=file|memory --timeout=900`);
      process.exit(2);
    }
  }
  return options;
}

function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${option} needs a whole number >= 1, got "${text}"`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Inputs, all built in code.

const idOf = (i: number): string => `T${String(i).padStart(5, '0')}`;
const fileOf = (id: string): string => `out/${id}.txt`;
const contentOf = (id: string): string => `ticket ${id}: written by the bench\n`;

/** Layer k holds tickets k*WIDTH .. k*WIDTH+WIDTH-1; each depends on 1–2 tickets of layer k-1. */
function layeredTrack(n: number): Track {
  const tickets: Ticket[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / WIDTH);
    const j = i % WIDTH;
    const dependencies: string[] = [];
    if (layer > 0) {
      const base = (layer - 1) * WIDTH;
      dependencies.push(idOf(base + j));
      // Offset 1..49, so the second dependency is never the first one.
      if (i % 3 !== 0) dependencies.push(idOf(base + ((j + 1 + (layer % (WIDTH - 1))) % WIDTH)));
    }
    const id = idOf(i);
    tickets.push({
      id,
      target_file: fileOf(id),
      prompt: `Write ${fileOf(id)}.`,
      worker_archetype: ARCHETYPE,
      status: 'pending',
      dependencies,
    });
  }
  return { id: `bench-${n}`, title: `Engine bench, ${n} tickets`, description: 'layered DAG, width 50', status: 'pending', tickets };
}

function scriptFor(track: Track): Script {
  const tickets: Script['tickets'] = {};
  for (const { id } of track.tickets) {
    const write: AssistantMessage = {
      role: 'assistant',
      content: [{ type: 'tool_use', id: `toolu_${id}_1`, name: 'write_file', input: { path: fileOf(id), content: contentOf(id) } }],
    };
    const done: AssistantMessage = {
      role: 'assistant',
      content: [{ type: 'tool_use', id: `toolu_${id}_2`, name: 'task_complete', input: { summary: `wrote ${fileOf(id)}` } }],
    };
    tickets[id] = [write, done];
  }
  return { version: 1, tickets };
}

function benchConfig(source: string): ClutchConfig {
  return {
    source,
    execution: { mode: 'async', max_concurrency: MAX_CONCURRENCY, trust_override: 'auto', debug_state_path: 'debug_state.json' },
    models: { [PROFILE]: { provider: 'scripted', script: 'bench-script.json' } },
    agents: {
      [ARCHETYPE]: {
        tier: 1,
        model: PROFILE,
        trust_level: 'auto',
        tools: ['write_file', 'task_complete'],
        allowed_commands: [],
        max_turns: 5,
        system_prompt: 'You write one file per ticket, then call task_complete.',
        command_timeout_s: 60,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement.

interface RunResult {
  n: number;
  wallMs: number;
  setupMs: number;
  events: number;
  actors: number;
  journalEntries: number;
  commits: number;
  storeBytes: number;
  modelTurns: number;
  /** Executed tool calls (journaled); task_complete calls are counted separately. */
  toolCalls: number;
  taskCompletes: number;
  /** Time spent in GC pauses during the run (PerformanceObserver 'gc' entries). */
  gcMs: number;
  peakRssBytes: number;
  peakHeapBytes: number;
  failures: string[];
}

/** Forces a full GC between runs so one run's garbage does not inflate the next run's peak. */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const fn = runInNewContext('gc') as (() => void) | undefined;
  return typeof fn === 'function' ? fn : () => {};
})();

class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(intervalMs = 25) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }
  sample(): void {
    const usage = process.memoryUsage();
    if (usage.rss > this.peakRss) this.peakRss = usage.rss;
    if (usage.heapUsed > this.peakHeap) this.peakHeap = usage.heapUsed;
  }
  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}

async function runOnce(n: number, options: Options, log: (line: string) => void): Promise<RunResult> {
  gc();
  const setupStart = performance.now();
  const root = mkdtempSync(join(tmpdir(), `clutch-bench-${n}-`));
  const failures: string[] = [];
  try {
    const workspace = join(root, 'workspace');
    const runDir = join(root, 'run');
    mkdirSync(workspace);
    mkdirSync(runDir);
    const track = layeredTrack(n);
    const config = benchConfig(join(root, 'agents.toml'));
    const scripted = createScriptedModel({ script: scriptFor(track), chunkSize: 0 });
    let modelTurns = 0;
    const counted: ModelClient = {
      label: scripted.label,
      turn(request) {
        modelTurns += 1;
        return scripted.turn(request);
      },
    };
    // The durable run store, as `clutch run` has it: journal, snapshots, finished tickets, intents.
    const store = options.journal === 'file' ? RunStore.open(join(root, 'clutch.db')) : undefined;
    const runLog = store?.createRun({
      id: `bench-${n}`,
      track_id: track.id,
      track_title: track.title,
      track_path: join(root, 'track.toml'),
      track_hash: '',
      config_path: join(root, 'agents.toml'),
      config_hash: '',
      source_workspace: workspace,
      run_dir: runDir,
      workspace,
      options: {},
      tickets_total: n,
      created: Date.now(),
    });
    const engine = new Engine({
      config,
      track,
      workspace,
      ...(options.journal === 'file' ? { runDir, log: runLog } : {}),
      modelFor: (profile) => {
        if (profile !== PROFILE) throw new Error(`unexpected model profile ${profile}`);
        return counted;
      },
      trustOverride: 'auto',
      mode: 'async',
    });
    let events = 0;
    let actors = 0;
    engine.conductor.system.inspect((event: InspectionEvent) => {
      if (event.type === '@xstate.event') events += 1;
      else if (event.type === '@xstate.actor') actors += 1;
    });
    // Executed tool calls are journaled; task_complete is not executed as a tool (the worker ends
    // on it), so it is counted from the tickets that completed.
    let toolCalls = 0;
    let toolErrors = 0;
    engine.journal.subscribe((entry) => {
      if (entry.kind === 'tool') {
        toolCalls += 1;
        if (entry.is_error) toolErrors += 1;
      }
    });
    const setupMs = performance.now() - setupStart;

    const memory = new MemorySampler();
    let gcMs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutS * 1000);
    });

    const t0 = performance.now();
    const progress = setInterval(() => {
      const done = Object.values(engine.track().tickets).filter((t) => t.status === 'completed').length;
      log(`  ... n=${n}: ${done} tickets completed after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }, 10_000);
    progress.unref();
    engine.start();
    const outcome = await Promise.race([engine.finished(), timeout]);
    const wallMs = performance.now() - t0;
    clearTimeout(timer);
    clearInterval(progress);
    memory.stop();
    gcObserver.disconnect();

    const journalEntries = engine.journal.count;
    const commits = runLog ? engine.commits : 0;
    await engine.stop();
    const storedRows = store ? (store.db.prepare('SELECT count(*) FROM journal WHERE run_id = ?').pluck().get(runLog!.runId) as number) : 0;
    const storeBytes = store ? statSync(store.path).size + (existsSync(`${store.path}-wal`) ? statSync(`${store.path}-wal`).size : 0) : 0;
    store?.close();

    if (outcome === 'timeout') {
      failures.push(`n=${n}: the run did not finish within ${options.timeoutS} s`);
    } else {
      if (outcome.state !== 'done') failures.push(`n=${n}: run ended ${outcome.state}, expected done`);
      const notCompleted = track.tickets.filter(({ id }) => outcome.tickets[id] !== 'completed');
      if (notCompleted.length > 0) {
        const sample = notCompleted.slice(0, 5).map(({ id }) => `${id}=${outcome.tickets[id]}`).join(', ');
        failures.push(`n=${n}: ${notCompleted.length} tickets not completed (${sample}${notCompleted.length > 5 ? ', ...' : ''})`);
      }
    }
    const badFiles: string[] = [];
    for (const { id } of track.tickets) {
      const path = join(workspace, fileOf(id));
      if (!existsSync(path)) badFiles.push(`${fileOf(id)} missing`);
      else if (readFileSync(path, 'utf8') !== contentOf(id)) badFiles.push(`${fileOf(id)} has the wrong content`);
    }
    if (badFiles.length > 0) {
      failures.push(`n=${n}: ${badFiles.length} files not written as scripted (${badFiles.slice(0, 5).join(', ')}${badFiles.length > 5 ? ', ...' : ''})`);
    }
    if (outcome !== 'timeout' && modelTurns !== 2 * n) failures.push(`n=${n}: ${modelTurns} model turns, expected ${2 * n}`);
    if (outcome !== 'timeout' && toolCalls !== n) failures.push(`n=${n}: ${toolCalls} tool calls journaled, expected ${n} (one write_file per ticket)`);
    if (toolErrors > 0) failures.push(`n=${n}: ${toolErrors} tool calls returned an error`);
    const completed = outcome === 'timeout' ? 0 : Object.values(outcome.tickets).filter((status) => status === 'completed').length;
    if (options.journal === 'file' && storedRows !== journalEntries) {
      failures.push(`n=${n}: the store holds ${storedRows} journal rows, the journal counted ${journalEntries}`);
    }

    return {
      n,
      wallMs,
      setupMs,
      events,
      actors,
      journalEntries,
      commits,
      storeBytes,
      modelTurns,
      toolCalls,
      taskCompletes: completed,
      gcMs,
      peakRssBytes: memory.peakRss,
      peakHeapBytes: memory.peakHeap,
      failures,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rate = (count: number, ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s`;

function report(result: RunResult, print: (line: string) => void): void {
  const { n, wallMs } = result;
  print(`engine bench, N = ${n} tickets (layered DAG width ${WIDTH}, async, max_concurrency ${MAX_CONCURRENCY}, trust auto)`);
  print(`  wall time:                         ${(wallMs / 1000).toFixed(3)} s`);
  print(`  setup (track, script, engine):     ${result.setupMs.toFixed(0)} ms (not in wall time)`);
  print(`  tickets/s:                         ${rate(n, wallMs)}`);
  print(`  actor events/s (@xstate.event):    ${rate(result.events, wallMs)} (${result.events.toLocaleString('en-US')} events, ${result.actors.toLocaleString('en-US')} actors created)`);
  print(`  journal entries/s:                 ${rate(result.journalEntries, wallMs)} (${result.journalEntries.toLocaleString('en-US')} entries)`);
  const calls = result.toolCalls + result.taskCompletes;
  print(`  model turns + tool calls/s:        ${rate(result.modelTurns + calls, wallMs)} (${result.modelTurns} turns + ${result.toolCalls} write_file + ${result.taskCompletes} task_complete)`);
  if (result.commits > 0) print(`  store commits:                     ${rate(result.commits, wallMs)} (${result.commits.toLocaleString('en-US')} commits; store ${mib(result.storeBytes)} on disk)`);
  print(`  per ticket:                        ${((wallMs * 1000) / n).toFixed(0)} µs`);
  print(`  GC pauses:                         ${(result.gcMs / 1000).toFixed(3)} s (${((100 * result.gcMs) / wallMs).toFixed(1)}% of wall time)`);
  print(`  peak RSS (sampled every 25 ms):    ${mib(result.peakRssBytes)}`);
  print(`  peak heap used (sampled):          ${mib(result.peakHeapBytes)}`);
  print(`  checks:                            ${result.failures.length === 0 ? 'all tickets completed, all files written' : `FAILED (${result.failures.length})`}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const print = (line: string): void => console.log(line);
  const log = (line: string): void => console.error(line);
  print(`node ${process.version}, ${process.platform}/${process.arch}, journal: ${options.journal === 'file' ? 'the SQLite run store (journal, snapshots, finished tickets, intents)' : 'in memory'}`);

  const failures: string[] = [];
  if (options.warmup > 0) {
    const warm = await runOnce(options.warmup, options, log);
    print(`warm-up, N = ${warm.n}: ${(warm.wallMs / 1000).toFixed(3)} s (not reported further)`);
    failures.push(...warm.failures);
  }
  const results = new Map<number, RunResult>();
  for (const n of options.sizes) {
    const result = await runOnce(n, options, log);
    results.set(n, result);
    report(result, print);
    failures.push(...result.failures);
  }
  print(`process peak RSS (resourceUsage().maxRSS): ${mib(process.resourceUsage().maxRSS * 1024)}`);

  for (const failure of failures) print(`FAIL: ${failure}`);
  const small = results.get(1000);
  const large = results.get(10_000);
  let ratioOk = true;
  if (small && large) {
    const ratio = large.wallMs / small.wallMs;
    ratioOk = ratio <= RATIO_TARGET;
    print(`ratio 10k/1k = ${ratio.toFixed(2)} (target <= ${RATIO_TARGET}): ${ratioOk ? 'OK' : 'FAIL'}`);
  }
  if (failures.length > 0 || !ratioOk) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error('FAIL: the bench crashed:', error);
  process.exitCode = 1;
});
