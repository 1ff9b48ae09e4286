import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../../src/actors/engine.js';
import type { JournalEntry } from '../../src/actors/journal.js';
import { modelsFromConfig, withModelProfile, type ModelsOptions } from '../../src/actors/models.js';
import { SimulatedClock } from '../../src/actors/simulated-clock.js';
import { loadConfig, loadTrack } from '../../src/config/index.js';
import { loadScript, type Script } from '../../src/models/scripted.js';
import type { ClutchConfig, ExecutionMode, ModelProfile, Track } from '../../src/protocol/index.js';
import { tempDir } from './engine-harness.js';
import { RunStore } from '../../src/store/index.js';
import { scriptResponder, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from './fake-anthropic.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const TEST_KEY = 'sk-ant-api03-clutch-test-key-do-not-leak-4242';

export function demoInputs(profile: Partial<ModelProfile> = {}): { config: ClutchConfig; track: Track; workspace: string } {
  const loaded = loadConfig(join(repoRoot, 'agents.toml'));
  if (!loaded.ok) throw new Error('agents.toml does not load');
  const base = withModelProfile(loaded.value, 'sonnet');
  const config = { ...base, models: { ...base.models, sonnet: { ...base.models.sonnet!, ...profile } } };
  const track = loadTrack(join(repoRoot, 'demo/track.toml'), { config });
  if (!track.ok) throw new Error('demo/track.toml does not load');
  return { config, track: track.value.track, workspace: track.value.workspace };
}

export const demoScript = (): Promise<Script> => loadScript(join(repoRoot, 'demo/script.json'));

export interface AnthropicRun {
  engine: Engine;
  fake: FakeAnthropic | undefined;
  clock: SimulatedClock;
  runDir: string;
  store: RunStore;
  workspace: string;
  journal: JournalEntry[];
  cleanup(): Promise<void>;
}

/**
 * The demo track (or another) on a copy of its workspace, every agent on the anthropic profile,
 * the real SDK talking to the fake API. The clock is simulated, so backoffs and waits are instant.
 */
export async function startAnthropicRun(options: {
  mode: ExecutionMode;
  fake?: Partial<FakeAnthropicOptions>;
  profile?: Partial<ModelProfile>;
  inputs?: { config: ClutchConfig; track: Track; workspace: string };
  models?: ModelsOptions;
  noServer?: boolean;
  apiKey?: string;
}): Promise<AnthropicRun> {
  const clock = new SimulatedClock(1_700_000_000_000);
  const inputs = options.inputs ?? demoInputs(options.profile);
  const fake = options.noServer
    ? undefined
    : await startFakeAnthropic({ apiKey: TEST_KEY, responder: scriptResponder(await demoScript()), now: clock.now, ...options.fake });
  const env = { ANTHROPIC_API_KEY: options.apiKey ?? TEST_KEY, ANTHROPIC_BASE_URL: fake?.url };
  const run = await demoEngineOnStore({ prefix: 'clutch-anthropic-', runId: 'anthropic-run', inputs, clock, mode: options.mode, models: { env, now: clock.now, ...options.models } });
  return {
    ...run,
    fake,
    cleanup: async () => {
      await run.cleanup();
      await fake?.close();
    },
  };
}

/**
 * The engine of a network-model run of the demo (or another track): a copy of its workspace, a
 * durable store, every agent's client from the config, auto trust, the simulated clock; started.
 */
export async function demoEngineOnStore(options: {
  prefix: string;
  runId: string;
  inputs: { config: ClutchConfig; track: Track; workspace: string };
  clock: SimulatedClock;
  mode: ExecutionMode;
  models: ModelsOptions;
}): Promise<Omit<AnthropicRun, 'fake'>> {
  const { inputs, clock } = options;
  const root = tempDir(options.prefix);
  const workspace = join(root, 'workspace');
  const runDir = join(root, 'run');
  cpSync(inputs.workspace, workspace, { recursive: true });
  mkdirSync(runDir);
  const modelFor = await modelsFromConfig(inputs.config, inputs.track.tickets.map((ticket) => ticket.worker_archetype), options.models);
  const store = RunStore.open(join(root, 'clutch.db'));
  const log = store.createRun({
    id: options.runId,
    track_id: inputs.track.id,
    track_title: inputs.track.title,
    track_path: 'track.toml',
    track_hash: '',
    config_path: 'agents.toml',
    config_hash: '',
    source_workspace: workspace,
    run_dir: runDir,
    workspace,
    options: {},
    tickets_total: inputs.track.tickets.length,
    created: 0,
  });
  const engine = new Engine({
    config: inputs.config,
    track: inputs.track,
    workspace,
    runDir,
    log,
    modelFor,
    mode: options.mode,
    trustOverride: 'auto',
    now: clock.now,
    waitUntil: clock.waitUntil,
  });
  const journal: JournalEntry[] = [];
  engine.journal.subscribe((entry) => journal.push(entry));
  engine.start();
  return {
    engine,
    clock,
    runDir,
    workspace,
    journal,
    store,
    cleanup: async () => {
      await engine.stop();
      store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The run's journal as the store holds it (committed rows only), as JSON lines. */
export function readJournal(run: { store: RunStore; engine: Engine }): string {
  run.engine.commit();
  return storedJournal(run.store, 'anthropic-run');
}

export function storedJournal(store: RunStore, runId: string): string {
  return [...store.openRunReadOnly(runId).journal()].map((entry) => `${JSON.stringify(entry)}\n`).join('');
}
