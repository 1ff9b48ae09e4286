import { join } from 'node:path';
import { Engine } from '../../src/actors/engine.js';
import type { JournalEntry } from '../../src/actors/journal.js';
import { withModelProfile, type ModelsOptions } from '../../src/actors/models.js';
import { SimulatedClock } from '../../src/actors/simulated-clock.js';
import { loadConfig, loadTrack } from '../../src/config/index.js';
import type { ClutchConfig, ExecutionMode, ModelProfile, Track } from '../../src/protocol/index.js';
import { RunStore } from '../../src/store/index.js';
import { demoEngineOnStore, demoScript, repoRoot, storedJournal } from './anthropic-run.js';
import { scriptResponder } from './fake-anthropic.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from './fake-openai.js';

export const OPENAI_TEST_KEY = 'sk-proj-clutch-openai-test-key-do-not-leak-4242';
/** The variable the test profile's api_key_env names. */
export const KEY_VARIABLE = 'CLUTCH_TEST_OPENAI_KEY';
/** The openai profile every agent of the run uses. */
export const PROFILE = 'local';
export const RUN_ID = 'openai-run';

/**
 * agents.toml with one more profile, an OpenAI-compatible server at `baseURL` (as Ollama serves
 * qwen2.5-coder), every agent pointed at it, and the demo track.
 */
export function openaiDemoInputs(baseURL: string, profile: Partial<ModelProfile> = {}): { config: ClutchConfig; track: Track; workspace: string } {
  const loaded = loadConfig(join(repoRoot, 'agents.toml'));
  if (!loaded.ok) throw new Error('agents.toml does not load');
  const local: ModelProfile = { provider: 'openai', base_url: baseURL, model: 'qwen2.5-coder:7b', max_tokens: 4096, requests_per_minute: 600, max_concurrency: 4, api_key_env: KEY_VARIABLE, ...profile };
  const config = withModelProfile({ ...loaded.value, models: { ...loaded.value.models, [PROFILE]: local } }, PROFILE);
  const track = loadTrack(join(repoRoot, 'demo/track.toml'), { config });
  if (!track.ok) throw new Error('demo/track.toml does not load');
  return { config, track: track.value.track, workspace: track.value.workspace };
}

export interface OpenAIRun {
  engine: Engine;
  fake: FakeOpenAI;
  clock: SimulatedClock;
  runDir: string;
  store: RunStore;
  workspace: string;
  journal: JournalEntry[];
  /** The run's journal as the store holds it (committed rows only), as JSON lines. */
  storedJournal(): string;
  cleanup(): Promise<void>;
}

/**
 * The demo track on a copy of its workspace, every agent on an openai profile, the real SDK
 * talking to the fake OpenAI-compatible server. The clock is simulated, so backoffs and waits are
 * instant; the idle timeout runs on real timers, so keep `models.idleTimeoutMs` small in tests.
 */
export async function startOpenAIRun(options: {
  mode: ExecutionMode;
  fake?: Partial<FakeOpenAIOptions>;
  profile?: Partial<ModelProfile>;
  models?: ModelsOptions;
}): Promise<OpenAIRun> {
  const clock = new SimulatedClock(1_700_000_000_000);
  const fake = await startFakeOpenAI({ apiKey: OPENAI_TEST_KEY, responder: scriptResponder(await demoScript()), now: clock.now, ...options.fake });
  const inputs = openaiDemoInputs(`${fake.url}/v1`, options.profile);
  const run = await demoEngineOnStore({
    prefix: 'clutch-openai-',
    runId: RUN_ID,
    inputs,
    clock,
    mode: options.mode,
    models: { env: { [KEY_VARIABLE]: OPENAI_TEST_KEY }, now: clock.now, ...options.models },
  });
  return {
    ...run,
    fake,
    storedJournal: () => {
      run.engine.commit();
      return storedJournal(run.store, RUN_ID);
    },
    cleanup: async () => {
      await run.cleanup();
      await fake.close();
    },
  };
}
