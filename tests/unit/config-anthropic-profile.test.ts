import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { expectIssues, expectOk, insertAfter, minimalConfig, repoRoot } from '../fixtures/config/helpers.js';

const FILE = '/cfg/agents.toml';
const withSonnet = (...rows: string[]) =>
  insertAfter(minimalConfig, 8, '[models.sonnet]', 'provider = "anthropic"', 'model = "claude-sonnet-4-5"', ...rows, '');

describe('anthropic profile limits and prices', () => {
  it('the repository agents.toml sets limits, concurrency and prices for sonnet', () => {
    const config = expectOk(loadConfig(path.join(repoRoot, 'agents.toml')));
    expect(config.models.sonnet).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      max_tokens: 8192,
      requests_per_minute: 50,
      input_tokens_per_minute: 30000,
      output_tokens_per_minute: 8000,
      max_concurrency: 4,
      input_price_per_mtok: 3,
      output_price_per_mtok: 15,
    });
  });

  it('accepts every key, and they are optional', () => {
    const full = expectOk(
      parseConfig(
        withSonnet('requests_per_minute = 60', 'input_tokens_per_minute = 40000', 'output_tokens_per_minute = 16000', 'max_concurrency = 3', 'input_price_per_mtok = 3', 'output_price_per_mtok = 15.5'),
        FILE,
      ),
    );
    expect(full.models.sonnet).toMatchObject({ requests_per_minute: 60, max_concurrency: 3, output_price_per_mtok: 15.5 });
    const bare = expectOk(parseConfig(withSonnet(), FILE));
    expect(bare.models.sonnet).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
  });

  it('rejects a zero rate with file:line', () => {
    expectIssues(parseConfig(withSonnet('requests_per_minute = 0'), FILE), [{ line: 12, message: 'requests_per_minute in [models.sonnet]' }]);
  });

  it('rejects a fractional concurrency and a negative price', () => {
    expectIssues(parseConfig(withSonnet('max_concurrency = 1.5', 'input_price_per_mtok = -1'), FILE), [
      { line: 12, message: 'max_concurrency in [models.sonnet]' },
      { line: 13, message: 'input_price_per_mtok in [models.sonnet]' },
    ]);
  });

  it('a limit on a scripted profile is an unknown key', () => {
    const text = insertAfter(minimalConfig, 7, 'requests_per_minute = 10');
    expectIssues(parseConfig(text, FILE), [{ line: 8, message: 'unknown key "requests_per_minute" in [models.scripted]' }]);
  });
});
