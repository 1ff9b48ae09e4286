import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/engine-harness.js';
import { scriptResponder, startFakeAnthropic } from '../support/fake-anthropic.js';
import { demoScript, storedJournal, TEST_KEY } from '../support/anthropic-run.js';
import { RunStore } from '../../src/store/index.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/clutch.js');
const demoTrack = join(root, 'demo/track.toml');
const cwd = tempDir('clutch-cli-anthropic-');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/**
 * agents.toml with the sonnet profile's per-minute token limits raised: the demo sends about 44k
 * input tokens, and under the shipped 30k/minute the limiter (rightly) spreads them over real
 * minutes. The limiter's own waits are tested on a simulated clock (anthropic-demo, rate limits).
 */
const unthrottled = join(cwd, 'agents.toml');
writeFileSync(
  unthrottled,
  readFileSync(join(root, 'agents.toml'), 'utf8')
    .replace(/^input_tokens_per_minute = \d+$/m, 'input_tokens_per_minute = 1000000')
    .replace(/^output_tokens_per_minute = \d+$/m, 'output_tokens_per_minute = 1000000')
    .replace(/^script = "demo\/script\.json"$/m, `script = ${JSON.stringify(join(root, 'demo/script.json'))}`),
);

const run = promisify(execFile);
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ANTHROPIC_')));

/** Runs the CLI without blocking this process, so the fake API in it can answer. */
async function clutch(env: Record<string, string>, ...args: string[]) {
  try {
    const result = await run(process.execPath, [bin, ...args], { cwd, env: { ...baseEnv, ...env }, timeout: 60_000 });
    return { code: 0, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('clutch run with an anthropic model', () => {
  it('--model sonnet without ANTHROPIC_API_KEY is bad input (exit 2) that says what to set', async () => {
    const result = await clutch({}, 'run', demoTrack, '--model', 'sonnet', '--trust', 'auto');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/model profile "sonnet" uses the anthropic provider, which needs an API key: set ANTHROPIC_API_KEY/);
  });

  it('--model with an unknown profile names the known ones', async () => {
    const result = await clutch({}, 'run', demoTrack, '--model', 'opus', '--trust', 'auto');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--model opus: no model profile "opus" in .*agents\.toml \(profiles: scripted, sonnet\)/);
  });

  it('runs the demo on the fake API via ANTHROPIC_BASE_URL, prints tokens and cost, records a cassette, and never shows the key', async () => {
    const fake = await startFakeAnthropic({ apiKey: TEST_KEY, responder: scriptResponder(await demoScript()) });
    try {
      const cassette = join(cwd, 'run.jsonl');
      const result = await clutch(
        { ANTHROPIC_API_KEY: TEST_KEY, ANTHROPIC_BASE_URL: fake.url },
        'run', demoTrack, '--config', unthrottled, '--model', 'sonnet', '--trust', 'auto', '--mode', 'async', '--record', cassette,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/tier +tokens in\/out +cost/);
      expect(result.stdout).toMatch(/^T1 +completed +1 +3 +\d+\/\d+ +\$0\.\d{4}/m);
      expect(result.stdout).toMatch(/^tier 3 +\d+\/\d+ +\$0\.\d{4}/m);
      expect(result.stdout).toMatch(/^total +\d+\/\d+ +\$0\.\d{4}/m);
      expect(fake.count(200)).toBe(22); // 18 scripted replies and a review per ticket
      const runId = /^run id: (\S+)/m.exec(result.stdout)![1]!;
      const store = RunStore.open(join(cwd, '.clutch', 'clutch.db'));
      const journal = storedJournal(store, runId);
      store.close();
      expect(journal).toContain('"kind":"model.turn"');
      for (const text of [result.stdout, readFileSync(cassette, 'utf8'), journal]) {
        expect(text).not.toContain(TEST_KEY);
      }
      expect(readFileSync(cassette, 'utf8').trim().split('\n')).toHaveLength(22);
    } finally {
      await fake.close();
    }
  });

  it('--replay answers from the cassette with no key, and a missing call blocks with a clear reason', async () => {
    const cassette = join(cwd, 'empty.jsonl');
    writeFileSync(cassette, '');
    const result = await clutch({}, 'run', demoTrack, '--model', 'sonnet', '--trust', 'auto', '--replay', cassette, '--json');
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.find((line) => line.ticket === 'T1' && line.status === 'blocked')?.reason).toMatch(/has no recorded model call for ticket T1, attempt 1, turn 1/);
    expect(lines.at(-1)).toEqual({ type: 'run.end', tickets: { T1: 'blocked', T2: 'pending', T3: 'pending', T4: 'pending' } });
  });

  it('--record and --replay together are refused', async () => {
    const result = await clutch({}, 'run', demoTrack, '--record', 'a.jsonl', '--replay', 'b.jsonl', '--trust', 'auto');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be used together/);
    expect(existsSync(join(cwd, 'a.jsonl'))).toBe(false);
  });
});
