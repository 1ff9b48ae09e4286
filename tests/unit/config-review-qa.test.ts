import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { parseScript } from '../../src/models/scripted.js';
import { expectOk, lines, minimalConfig } from '../fixtures/config/helpers.js';

const FILE = '/cfg/agents.toml';

/** minimalConfig with a reviewer (tier 2) and a QA agent (tier 4), and `extra` lines in [agents.codegen]. */
function withHelpers(extra: string[], helpers = { lead: 2, qa: 4 }): string {
  return lines(
    minimalConfig,
    ...extra,
    '',
    '[agents.tech_lead]',
    `tier = ${helpers.lead}`,
    'model = "scripted"',
    'trust_level = "auto"',
    'tools = ["read_file"]',
    'max_turns = 5',
    'system_prompt = "Review."',
    '',
    '[agents.qa]',
    `tier = ${helpers.qa}`,
    'model = "scripted"',
    'trust_level = "step"',
    'tools = []',
    'max_turns = 1',
    'system_prompt = "Hint."',
  );
}

describe('agents.toml: review_by, qa_by and the planning limits', () => {
  it('accepts an archetype reviewed by a tier 2 one and helped by a tier 4 one, and the [execution] limits', () => {
    const text = withHelpers(['review_by = "tech_lead"', 'qa_by = "qa"']).replace('max_concurrency = 2', 'max_concurrency = 2\nmax_review_rounds = 3\nqa_raw_lines = 10\nmax_plan_rounds = 1');
    const config = expectOk(parseConfig(text, FILE));
    expect(config.agents.codegen).toMatchObject({ review_by: 'tech_lead', qa_by: 'qa' });
    expect(config.execution).toMatchObject({ max_review_rounds: 3, qa_raw_lines: 10, max_plan_rounds: 1 });
  });

  it('names the line of a review_by or qa_by that names no archetype, itself, or one of the wrong tier', () => {
    const unknown = parseConfig(withHelpers(['review_by = "tech_led"', 'qa_by = "qa"']), FILE);
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.errors).toEqual([
        expect.objectContaining({ line: 18, message: expect.stringMatching(/^review_by = "tech_led" in \[agents\.codegen\] names no archetype; expected one of codegen, tech_lead, qa; did you mean "tech_lead"\?/) }),
      ]);
    }
    const self = parseConfig(withHelpers(['qa_by = "codegen"']), FILE);
    expect(!self.ok && self.errors.map((issue) => issue.message)).toEqual(['qa_by in [agents.codegen] names the archetype itself; another archetype (tier 4) turns failing commands into hints']);
    const tier = parseConfig(withHelpers(['review_by = "qa"']), FILE);
    expect(!tier.ok && tier.errors.map((issue) => issue.message)).toEqual(['review_by = "qa" in [agents.codegen] names a tier 4 archetype; the one that reviews finished tickets is tier 2']);
  });

  it('refuses limits out of range in [execution], with the key named', () => {
    const bad = parseConfig(minimalConfig.replace('max_concurrency = 2', 'max_concurrency = 2\nmax_review_rounds = 0'), FILE);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatchObject({ line: 4, message: expect.stringContaining('max_review_rounds') });
  });
});

describe('the scripted model: replies per archetype', () => {
  const reply = { role: 'assistant', content: [{ type: 'text', text: 'ok' }] };
  it('accepts agents with tickets, requests and a default', () => {
    const script = parseScript({ version: 1, tickets: {}, agents: { tech_lead: { tickets: { T1: { attempts: [[reply], [reply]] } }, default: [reply] }, pm: { requests: [{ match: 'pricing', replies: [reply] }] } } });
    expect(Object.keys(script.agents ?? {})).toEqual(['tech_lead', 'pm']);
  });

  it('names the path of every bad agent entry', () => {
    expect(() => parseScript({ version: 1, tickets: {}, agents: { pm: { requests: [{ match: 'x', replies: [] }], default: 'no' } } }, 'script.json')).toThrow(
      /script\.json: agents\.pm\.requests\[0\]\.replies: a ticket needs at least one scripted reply\nscript\.json: agents\.pm\.default: expected a list of assistant messages/,
    );
    expect(() => parseScript({ version: 1, tickets: {}, agents: { pm: { nonsense: [] } } }, 'script.json')).toThrow(/script\.json: agents\.pm: Unrecognized key: "nonsense"/);
  });
});
