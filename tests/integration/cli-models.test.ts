import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { modelsCommand } from '../../src/cli/models.js';
import { demoScript, TEST_KEY } from '../support/anthropic-run.js';
import { scriptResponder, startFakeAnthropic } from '../support/fake-anthropic.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { tempDir } from '../support/engine-harness.js';

const root = resolve(import.meta.dirname, '../..');
const cwd = tempDir('clutch-models-');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function output() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

const agent = (model: string) => [`[agents.${model}_agent]`, 'tier = 3', `model = "${model}"`, 'trust_level = "auto"', 'tools = ["read_file"]', 'max_turns = 3', 'system_prompt = "Work."', ''];

describe('clutch models', () => {
  it('tries every profile at once with a one-token request: which answer, which cannot be tried, which fail and why', async () => {
    const responder = scriptResponder(await demoScript());
    const anthropic = await startFakeAnthropic({ apiKey: TEST_KEY, responder });
    const local = await startFakeOpenAI({ responder });
    const stalled = await startFakeOpenAI({ responder, faultFor: () => 'stall' });
    try {
      const config = join(cwd, 'agents.toml');
      writeFileSync(
        config,
        [
          '[models.scripted]', 'provider = "scripted"', `script = ${JSON.stringify(join(root, 'demo/script.json'))}`, '',
          '[models.sonnet]', 'provider = "anthropic"', 'model = "claude-sonnet-4-6"', '',
          '[models.local]', 'provider = "openai"', `base_url = "${local.url}/v1"`, 'model = "qwen2.5-coder:7b"', '',
          '[models.keyed]', 'provider = "openai"', 'base_url = "https://gateway.example/v1"', 'model = "m"', 'api_key_env = "GATEWAY_KEY"', '',
          '[models.down]', 'provider = "openai"', 'base_url = "http://127.0.0.1:9/v1"', 'model = "m"', '',
          '[models.stalled]', 'provider = "openai"', `base_url = "${stalled.url}/v1"`, 'model = "m"', '',
          ...agent('scripted'),
          ...agent('local'),
        ].join('\n'),
      );
      const stdout = output();
      const stderr = output();
      const code = await modelsCommand({
        cwd,
        config,
        timeout: '1',
        json: false,
        env: { ANTHROPIC_API_KEY: TEST_KEY, ANTHROPIC_BASE_URL: anthropic.url },
        stdout: stdout.stream,
        stderr: stderr.stream,
      });
      const text = stdout.text();
      expect(stderr.text()).toBe('');
      expect(code).toBe(1);
      const line = (name: string) => text.split('\n').find((row) => row.startsWith(`${name} `)) ?? '';
      expect(line('scripted')).toMatch(/scripted +\(script\) +- +ok in \d+ ms: script .*demo\/script\.json \(4 tickets\)/);
      expect(line('sonnet')).toMatch(new RegExp(`anthropic +claude-sonnet-4-6 +${anthropic.url.replace(/[.]/g, '\\.')} +ok in \\d+ ms: "I have nothing scripted`));
      expect(line('local')).toMatch(/openai +qwen2\.5-coder:7b +http:\/\/127\.0\.0\.1:\d+\/v1 +ok in \d+ ms: "/);
      expect(line('keyed')).toMatch(/not tried: no key: model profile "keyed" reads its API key from GATEWAY_KEY \(api_key_env\), which is not set/);
      expect(line('down')).toMatch(/failed after \d+ ms: .*127\.0\.0\.1:9/);
      expect(line('stalled')).toMatch(/failed after \d+ ms: no answer within 1 s|failed after \d+ ms: the model stream sent nothing for 1 s/);
      expect(text).toMatch(/no agent uses sonnet, keyed, down, stalled yet/);
      expect(text).not.toContain(TEST_KEY);
      // One request each, of one token.
      expect(anthropic.requests).toHaveLength(1);
      expect(anthropic.requests[0]!.body?.max_tokens).toBe(1);
      expect(local.requests).toHaveLength(1);
    } finally {
      await Promise.all([anthropic.close(), local.close(), stalled.close()]);
    }
  });

  it('a config that does not load is bad input with file:line, and a bad --timeout is refused', async () => {
    const config = join(cwd, 'broken.toml');
    writeFileSync(config, '[models.local]\nprovider = "openai"\nmodel = "m"\n');
    const stdout = output();
    const stderr = output();
    expect(await modelsCommand({ cwd, config, json: false, stdout: stdout.stream, stderr: stderr.stream })).toBe(2);
    expect(stderr.text()).toMatch(/broken\.toml:1:1: missing required key "base_url" in \[models\.local\]/);
    await expect(modelsCommand({ cwd, config, timeout: 'soon', json: false, stdout: stdout.stream, stderr: stderr.stream })).rejects.toThrow(/--timeout must be a number of seconds/);
  });
});
