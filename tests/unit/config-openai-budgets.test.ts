import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { starterFiles } from '../../src/cli/init-files.js';
import { expectIssues, expectOk, insertAfter, lines, minimalConfig, repoRoot } from '../fixtures/config/helpers.js';

const FILE = '/cfg/agents.toml';
const withLocal = (...rows: string[]) => insertAfter(minimalConfig, 8, '[models.local]', 'provider = "openai"', ...rows, '');

/** The commented-out block that starts with `# [models.NAME]`, uncommented, up to its first blank comment line. */
function uncommented(text: string, name: string): string {
  const rows = text.split('\n');
  const start = rows.findIndex((row) => row === `# [models.${name}]`);
  if (start < 0) throw new Error(`no commented [models.${name}] in the file`);
  const block: string[] = [];
  for (const row of rows.slice(start)) {
    if (!row.startsWith('# ') || row === '#') break;
    block.push(row.slice(2));
  }
  return block.filter((row) => !row.startsWith('A ') && !/^[A-Z][a-z]/.test(row)).join('\n');
}

describe('openai profiles', () => {
  it('takes base_url, model, api_key_env and the limits, prices and idle timeout of a network profile', () => {
    const config = expectOk(
      parseConfig(
        withLocal('base_url = "http://127.0.0.1:11434/v1"', 'model = "qwen2.5-coder:7b"', 'api_key_env = "LOCAL_KEY"', 'max_tokens = 2048', 'requests_per_minute = 30', 'max_concurrency = 1', 'input_price_per_mtok = 0', 'output_price_per_mtok = 0', 'idle_timeout_s = 120'),
        FILE,
      ),
    );
    expect(config.models.local).toEqual({
      provider: 'openai',
      base_url: 'http://127.0.0.1:11434/v1',
      model: 'qwen2.5-coder:7b',
      api_key_env: 'LOCAL_KEY',
      max_tokens: 2048,
      requests_per_minute: 30,
      max_concurrency: 1,
      input_price_per_mtok: 0,
      output_price_per_mtok: 0,
      idle_timeout_s: 120,
    });
  });

  it('needs base_url and model, and says so with file:line', () => {
    expectIssues(parseConfig(withLocal(), FILE), [
      { line: 9, message: 'missing required key "model" in [models.local]' },
      { line: 9, message: 'missing required key "base_url" in [models.local]' },
    ]);
  });

  it('refuses a base_url that is not http(s), a bad variable name, and a scripted key', () => {
    expectIssues(parseConfig(withLocal('base_url = "ftp://host/v1"', 'model = "m"', 'api_key_env = "my key"', 'script = "s.json"'), FILE), [
      { line: 11, message: ['base_url', 'http:// or https:// URL'] },
      { line: 13, message: ['api_key_env', 'environment variable name'] },
      { line: 14, message: 'script' },
    ]);
  });

  it('the example profiles of agents.toml and of `clutch init`, uncommented, load', () => {
    const shipped = readFileSync(path.join(repoRoot, 'agents.toml'), 'utf8');
    const starter = starterFiles.find(([name]) => name === 'agents.toml')![1];
    for (const [text, name] of [[shipped, 'ollama'], [shipped, 'vllm'], [starter, 'ollama']] as const) {
      const config = expectOk(parseConfig(lines(minimalConfig, '', uncommented(text, name)), FILE));
      expect(config.models[name]).toMatchObject({ provider: 'openai', base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1$/) });
    }
  });
});

describe('budgets', () => {
  it('per archetype (tokens, cost) and per run (cost)', () => {
    const text = lines(minimalConfig, 'max_tokens_per_ticket = 50000', 'max_cost_per_ticket = 0.5').replace('[execution]', '[execution]\nmax_cost_per_run = 4.25');
    const config = expectOk(parseConfig(text, FILE));
    expect(config.execution.max_cost_per_run).toBe(4.25);
    expect(Object.values(config.agents)[0]).toMatchObject({ max_tokens_per_ticket: 50000, max_cost_per_ticket: 0.5 });
  });

  it('refuses a zero or negative budget with file:line', () => {
    const text = lines(minimalConfig, 'max_tokens_per_ticket = 0', 'max_cost_per_ticket = -1');
    const rows = minimalConfig.split('\n').length;
    expectIssues(parseConfig(text, FILE), [
      { line: rows + 1, message: 'max_tokens_per_ticket' },
      { line: rows + 2, message: 'max_cost_per_ticket' },
    ]);
  });
});
