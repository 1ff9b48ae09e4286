import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfig, parseConfig } from '../../src/config/index.js';
import {
  expectIssues,
  expectOk,
  fixturesDir,
  insertAfter,
  lines,
  minimalConfig,
  repoRoot,
  withLine,
} from '../fixtures/config/helpers.js';

const FILE = '/cfg/agents.toml';
const parse = (text: string) => parseConfig(text, FILE);

describe('the repository agents.toml', () => {
  const config = expectOk(loadConfig(path.join(repoRoot, 'agents.toml')));

  it('loads cleanly with the six archetypes', () => {
    expect(Object.keys(config.agents).sort()).toEqual(
      ['codegen', 'contract_stubber', 'pm', 'qa', 'refactor', 'tech_lead'].sort(),
    );
    expect(config.source).toBe(path.join(repoRoot, 'agents.toml'));
    expect(config.execution).toEqual({
      mode: 'async',
      max_concurrency: 4,
      trust_override: 'none',
      debug_state_path: 'debug_state.json',
      isolation: 'worktree',
      sandbox: 'bwrap',
      max_write_bytes: 8 * 1024 * 1024,
      max_review_rounds: 2,
      qa_raw_lines: 20,
      max_plan_rounds: 3,
    });
  });

  it('declares the tier 3 implementation archetypes on the scripted model, step by step', () => {
    for (const name of ['codegen', 'refactor', 'contract_stubber']) {
      const agent = config.agents[name];
      expect(agent, name).toMatchObject({ tier: 3, model: 'scripted', trust_level: 'step', allowed_commands: ['node'], max_turns: 20 });
      expect(agent?.tools).toEqual(['read_file', 'list_files', 'search_files', 'read_skeleton', 'write_file', 'edit_file', 'run_command', 'task_complete']);
      expect(agent?.system_prompt.trim().length).toBeGreaterThan(50);
      expect(agent?.command_timeout_s).toBe(60);
    }
    expect([config.agents.pm?.tier, config.agents.tech_lead?.tier, config.agents.qa?.tier]).toEqual([1, 2, 4]);
  });

  it('has a scripted and an anthropic profile, the script resolved next to the file', () => {
    expect(config.models.scripted).toEqual({ provider: 'scripted', script: path.join(repoRoot, 'demo/script.json') });
    expect(config.models.sonnet).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-6' });
  });

  it('documents every key with a comment', () => {
    const text = readFileSync(path.join(repoRoot, 'agents.toml'), 'utf8');
    const rows = text.split('\n');
    rows.forEach((row, n) => {
      if (!/^[A-Za-z_]+\s*=/.test(row)) return;
      const above = rows[n - 1] ?? '';
      const inline = row.includes(' # ');
      expect(above.startsWith('#') || inline, `line ${n + 1} (${row}) has no comment`).toBe(true);
    });
  });
});

describe('parseConfig: valid input', () => {
  it('applies defaults and always grants task_complete', () => {
    const config = expectOk(parse(minimalConfig));
    expect(config.agents.codegen?.tools).toEqual(['read_file', 'write_file', 'task_complete']);
    expect(config.agents.codegen?.command_timeout_s).toBe(60);
    expect(config.execution.trust_override).toBe('none');
    expect(config.models.scripted?.script).toBe('/cfg/script.json');
  });

  it('uses every default when [execution] is missing', () => {
    const config = expectOk(parse(minimalConfig.replace('[execution]\nmode = "async"\nmax_concurrency = 2\n', '')));
    expect(config.execution).toEqual({
      mode: 'async',
      max_concurrency: 4,
      trust_override: 'none',
      debug_state_path: 'debug_state.json',
      isolation: 'worktree',
      sandbox: 'bwrap',
      max_write_bytes: 8 * 1024 * 1024,
      max_review_rounds: 2,
      qa_raw_lines: 20,
      max_plan_rounds: 3,
    });
  });

  it('accepts inline tables and dotted keys', () => {
    const text = lines(
      'execution = { mode = "linear" }',
      'models.scripted = { provider = "scripted", script = "s.json" }',
      '[agents]',
      'codegen.tier = 3',
      'codegen.model = "scripted"',
      'codegen.trust_level = "auto"',
      'codegen.tools = []',
      'codegen.max_turns = 1',
      'codegen.system_prompt = "x"',
    );
    const config = expectOk(parse(text));
    expect(config.execution.mode).toBe('linear');
    expect(config.agents.codegen?.tools).toEqual(['task_complete']);
  });
});

describe('parseConfig: every bad input names file, line, column and what was expected', () => {
  it('malformed TOML: an unclosed string points at its opening quote', () => {
    const result = parse(withLine(minimalConfig, 16, 'system_prompt = "Write code.'));
    const [issue] = expectIssues(result, [{ line: 16, column: 17, message: 'invalid TOML: unclosed string' }]);
    expect(formatIssue(issue!)).toMatch(/^\/cfg\/agents\.toml:16:17: invalid TOML: unclosed string/);
  });

  it('malformed TOML: an unclosed string in a file on disk', () => {
    const file = path.join(fixturesDir, 'unclosed-string.toml');
    const [issue] = expectIssues(loadConfig(file), [{ line: 6, column: 10, message: 'unclosed string' }]);
    expect(issue?.file).toBe(file);
  });

  it('malformed TOML: a duplicate key names the first definition', () => {
    expectIssues(parse(insertAfter(minimalConfig, 3, 'max_concurrency = 3')), [
      { line: 4, column: 1, message: ['duplicate key "execution.max_concurrency"', 'already defined at line 3, column 1'] },
    ]);
  });

  it('malformed TOML: a duplicate table', () => {
    expectIssues(parse(`${minimalConfig}\n[models.scripted]\n`), [
      { line: 18, column: 9, message: ['duplicate key "models.scripted"', 'already defined at line 5'] },
    ]);
  });

  it('malformed TOML: an array of tables reusing a table name', () => {
    expectIssues(parse(`${minimalConfig}[[execution]]\n`), [
      { line: 17, column: 3, message: 'duplicate key "execution": already defined at line 1, column 2' },
    ]);
  });

  it('an unknown key in [execution] lists the allowed keys', () => {
    expectIssues(parse(insertAfter(minimalConfig, 3, 'paralel = true')), [
      {
        line: 4,
        column: 1,
        message: 'unknown key "paralel" in [execution]; expected one of mode, max_concurrency, trust_override, debug_state_path',
      },
    ]);
  });

  it('a typo in an agent key suggests the right key (and the real key is then missing)', () => {
    expectIssues(parse(withLine(minimalConfig, 12, 'trust_levle = "step"')), [
      { line: 9, column: 1, message: 'missing required key "trust_level" in [agents.codegen]; expected one of "step", "auto"' },
      {
        line: 12,
        column: 1,
        message: ['unknown key "trust_levle" in [agents.codegen]; expected one of tier, model, trust_level, tools', 'did you mean "trust_level"?'],
      },
    ]);
  });

  it('a wrong type for max_concurrency', () => {
    expectIssues(parse(withLine(minimalConfig, 3, 'max_concurrency = "four"')), [
      { line: 3, column: 1, message: 'max_concurrency in [execution]: expected integer, got string "four"' },
    ]);
  });

  it('a float for an integer key', () => {
    expectIssues(parse(withLine(minimalConfig, 3, 'max_concurrency = 2.5')), [
      { line: 3, column: 1, message: 'max_concurrency in [execution]: expected integer, got float 2.5' },
    ]);
  });

  it('a date for an integer key', () => {
    expectIssues(parse(withLine(minimalConfig, 3, 'max_concurrency = 1979-05-27')), [
      { line: 3, column: 1, message: 'max_concurrency in [execution]: expected integer, got date 1979-05-27' },
    ]);
  });

  it('max_concurrency = 0 states the bound', () => {
    expectIssues(parse(withLine(minimalConfig, 3, 'max_concurrency = 0')), [
      { line: 3, column: 1, message: 'max_concurrency in [execution]: expected integer >= 1, got integer 0' },
    ]);
  });

  it('a bad mode enum value', () => {
    expectIssues(parse(withLine(minimalConfig, 2, 'mode = "parallel"')), [
      { line: 2, column: 1, message: 'mode in [execution]: expected one of "async", "linear", got "parallel"' },
    ]);
  });

  it('a bad trust_override enum value suggests the closest', () => {
    expectIssues(parse(insertAfter(minimalConfig, 3, 'trust_override = "atuo"')), [
      { line: 4, column: 1, message: ['expected one of "none", "step", "auto", got "atuo"', 'did you mean "auto"?'] },
    ]);
  });

  it('a bad trust_level enum value', () => {
    expectIssues(parse(withLine(minimalConfig, 12, 'trust_level = "always"')), [
      { line: 12, column: 1, message: 'trust_level in [agents.codegen]: expected one of "step", "auto", got "always"' },
    ]);
  });

  it('an unknown tool points at the element', () => {
    expectIssues(parse(withLine(minimalConfig, 13, 'tools = ["read_file", "run_shell"]')), [
      { line: 13, column: 23, message: ['unknown tool "run_shell" in tools of [agents.codegen]', 'expected one of read_file, list_files'] },
    ]);
  });

  it('an unknown tool in a multi-line array points at its own line', () => {
    const text = withLine(minimalConfig, 13, 'tools = [\n  "read_file",\n  "edit_fiel",\n]');
    expectIssues(parse(text), [{ line: 15, column: 3, message: ['unknown tool "edit_fiel"', 'did you mean "edit_file"?'] }]);
  });

  it('an agent naming an unknown model profile', () => {
    expectIssues(parse(withLine(minimalConfig, 11, 'model = "gpt"')), [
      { line: 11, column: 1, message: 'unknown model profile "gpt" in [agents.codegen]; expected one of scripted' },
    ]);
  });

  it('a scripted profile without script points at the table header', () => {
    expectIssues(parse(withLine(minimalConfig, 7, undefined)), [
      { line: 5, column: 1, message: 'missing required key "script" in [models.scripted]; expected a string' },
    ]);
  });

  it('an anthropic profile with a script key', () => {
    const text = insertAfter(minimalConfig, 8, '[models.sonnet]', 'provider = "anthropic"', 'model = "claude-sonnet-4-5"', 'script = "x.json"', '');
    expectIssues(parse(text), [
      { line: 12, column: 1, message: 'unknown key "script" in [models.sonnet]; expected one of provider, model, max_tokens' },
    ]);
  });

  it('an unknown provider', () => {
    expectIssues(parse(withLine(minimalConfig, 6, 'provider = "ollama"')), [
      { line: 6, column: 1, message: 'provider in [models.scripted]: expected one of "scripted", "anthropic", "openai", got "ollama"' },
    ]);
  });

  it('an empty system_prompt', () => {
    expectIssues(parse(withLine(minimalConfig, 16, 'system_prompt = ""')), [
      { line: 16, column: 1, message: 'system_prompt in [agents.codegen]: expected a non-empty system prompt, got string ""' },
    ]);
  });

  it('a tier out of range', () => {
    expectIssues(parse(withLine(minimalConfig, 10, 'tier = 7')), [
      { line: 10, column: 1, message: 'tier in [agents.codegen]: expected integer between 1 and 4, got integer 7' },
    ]);
  });

  it('an allowed command that is a command line, not a program', () => {
    expectIssues(parse(withLine(minimalConfig, 14, 'allowed_commands = ["node", "npm test"]')), [
      { line: 14, column: 29, message: 'allowed_commands[1] in [agents.codegen]: expected a program name such as "node"' },
    ]);
  });

  it('an unknown top-level table', () => {
    expectIssues(parse(`${minimalConfig}[agent.qa]\ntier = 4\n`), [
      { line: 17, column: 2, message: ['unknown key "agent" at the top level; expected one of execution, models, agents', 'did you mean "agents"?'] },
    ]);
  });

  it('a key in an inline table', () => {
    // Lines 5-7 become one line ahead of every header, where a dotted inline table is top level.
    const text = `models.scripted = { provider = "scripted", script = "s",\tx = 1 }\n${minimalConfig.split('\n').slice(0, 4).join('\n')}\n${minimalConfig.split('\n').slice(8).join('\n')}`;
    expectIssues(parse(text), [{ line: 1, column: 58, message: 'unknown key "x" in [models.scripted]; expected one of provider, script' }]);
  });

  it('reports every problem at once, sorted by line', () => {
    let text = withLine(minimalConfig, 16, 'system_prompt = " "');
    text = withLine(text, 2, 'mode = 1');
    text = withLine(text, 11, 'model = "nope"');
    const issues = expectIssues(parse(text), [
      { line: 2, message: 'mode in [execution]' },
      { line: 11, message: 'unknown model profile "nope"' },
      { line: 16, message: 'system_prompt' },
    ]);
    expect(issues.every((i) => i.file === FILE)).toBe(true);
  });

  it('a missing file is an issue at 1:1', () => {
    const file = path.join(fixturesDir, 'does-not-exist.toml');
    expectIssues(loadConfig(file), [{ line: 1, column: 1, message: `cannot read ${file}: ENOENT` }]);
  });
});
