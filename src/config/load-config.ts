import path from 'node:path';
import { clutchConfigFileSchema, type ClutchConfigFile } from '../protocol/config-schema.js';
import type { AgentArchetype, ClutchConfig, ModelProfile } from '../protocol/config.js';
import type { ToolName } from '../protocol/tool-inputs.js';
import { checkConfigValues } from './check-config.js';
import { isTable, list, valueAt } from './describe.js';
import { failed, readSource, type ConfigIssue, type ConfigResult } from './issues.js';
import { locate, type SourceMap } from './locate.js';
import { didYouMean } from './suggest.js';
import { parseToml } from './toml.js';
import { fromZodIssues } from './zod-issues.js';

/** Reads and validates agents.toml. Never throws for a bad file: every problem is an issue. */
export function loadConfig(file: string): ConfigResult<ClutchConfig> {
  const source = readSource(file);
  if (!source.ok) return source;
  return parseConfig(source.text, file);
}

/** Validates agents.toml text; `file` names it in messages and anchors relative paths. */
export function parseConfig(text: string, file: string): ConfigResult<ClutchConfig> {
  const parsed = parseToml(text, file);
  if (!parsed.ok) return parsed;
  const { data, map } = parsed;

  const result = clutchConfigFileSchema.safeParse(data);
  const issues = result.success
    ? []
    : fromZodIssues(result.error.issues, { file, map, data, schema: clutchConfigFileSchema, nouns: { tools: 'tool' } });
  // Cross-references are checked on the raw data even when the schema failed, so one run reports
  // every problem instead of making the user fix them one at a time.
  issues.push(...checkModelReferences(data, map, file), ...checkAgentReferences(data, map, file), ...checkConfigValues(data, map, file));
  if (!result.success || issues.length > 0) return failed(issues);
  return { ok: true, value: toClutchConfig(result.data, file) };
}

/** Every agent's `model` must name a [models.*] profile. */
function checkModelReferences(data: Record<string, unknown>, map: SourceMap, file: string): ConfigIssue[] {
  const models = isTable(data.models) ? Object.keys(data.models) : [];
  const agents = isTable(data.agents) ? data.agents : {};
  const issues: ConfigIssue[] = [];
  for (const [name, agent] of Object.entries(agents)) {
    const model = valueAt(agent, ['model']);
    if (typeof model !== 'string' || model === '' || models.includes(model)) continue;
    const at = locate(map, ['agents', name, 'model']);
    const known = models.length > 0 ? `expected one of ${list(models)}` : 'no [models.*] profiles are defined';
    issues.push({
      file,
      ...at,
      message: `unknown model profile "${model}" in [agents.${name}]; ${known}${didYouMean(model, models)}`,
    });
  }
  return issues;
}

/** review_by and qa_by name another archetype, of the tier that does that work. */
function checkAgentReferences(data: Record<string, unknown>, map: SourceMap, file: string): ConfigIssue[] {
  const agents = isTable(data.agents) ? data.agents : {};
  const names = Object.keys(agents);
  const issues: ConfigIssue[] = [];
  const roles = [
    ['review_by', 2, 'reviews finished tickets'],
    ['qa_by', 4, 'turns failing commands into hints'],
  ] as const;
  for (const [name, agent] of Object.entries(agents)) {
    for (const [key, tier, work] of roles) {
      const value = valueAt(agent, [key]);
      if (typeof value !== 'string' || value === '') continue;
      const at = locate(map, ['agents', name, key], 'value');
      const other = agents[value];
      if (!isTable(other)) {
        issues.push({ file, ...at, message: `${key} = "${value}" in [agents.${name}] names no archetype; expected one of ${list(names)}${didYouMean(value, names)}` });
      } else if (value === name) {
        issues.push({ file, ...at, message: `${key} in [agents.${name}] names the archetype itself; another archetype (tier ${tier}) ${work}` });
      } else if (other.tier !== tier) {
        issues.push({ file, ...at, message: `${key} = "${value}" in [agents.${name}] names a tier ${String(other.tier)} archetype; the one that ${work} is tier ${tier}` });
      }
    }
  }
  return issues;
}

function toClutchConfig(file: ClutchConfigFile, source: string): ClutchConfig {
  const absolute = path.resolve(source);
  const models: Record<string, ModelProfile> = {};
  for (const [name, profile] of Object.entries(file.models)) {
    models[name] =
      profile.provider === 'scripted'
        ? // Resolved here so that no consumer has to remember which file the path was relative to.
          { provider: 'scripted', script: path.resolve(path.dirname(absolute), profile.script) }
        : { ...profile };
  }
  const agents: Record<string, AgentArchetype> = {};
  for (const [name, agent] of Object.entries(file.agents)) {
    const tools = [...new Set(agent.tools)] as ToolName[];
    // A worker without task_complete could never finish, so it is always available.
    if (!tools.includes('task_complete')) tools.push('task_complete');
    agents[name] = {
      tier: agent.tier as AgentArchetype['tier'],
      model: agent.model,
      trust_level: agent.trust_level,
      tools,
      allowed_commands: agent.allowed_commands,
      max_turns: agent.max_turns,
      system_prompt: agent.system_prompt,
      command_timeout_s: agent.command_timeout_s,
      network: agent.network,
      env: agent.env,
      max_processes: agent.max_processes,
      max_memory_mb: agent.max_memory_mb,
      ...(agent.review_by !== undefined ? { review_by: agent.review_by } : {}),
      ...(agent.qa_by !== undefined ? { qa_by: agent.qa_by } : {}),
      ...(agent.max_tokens_per_ticket !== undefined ? { max_tokens_per_ticket: agent.max_tokens_per_ticket } : {}),
      ...(agent.max_cost_per_ticket !== undefined ? { max_cost_per_ticket: agent.max_cost_per_ticket } : {}),
    };
  }
  const { store, ...execution } = file.execution;
  return {
    source: absolute,
    execution: { ...execution, ...(store !== undefined ? { store: path.resolve(path.dirname(absolute), store) } : {}) },
    models,
    agents,
  };
}
