import path from 'node:path';
import { stringify } from 'smol-toml';
import type { ClutchConfig } from '../protocol/config.js';
import { proposedTrackSchema, type ProposedTrack } from '../protocol/tool-inputs.js';
import type { Track } from '../protocol/track.js';
import { parseTrack } from './load-track.js';

export interface PlanCheckOptions {
  config: ClutchConfig;
  /** The folder the tickets' target files are relative to (the run's workspace). */
  workspace: string;
  /** The track id the plan gets. */
  trackId: string;
}

export type PlanCheck = { ok: true; track: Track; toml: string } | { ok: false; problems: string[] };

/** The track file a plan is: what the run's track.toml holds once it is approved. */
export function planToml(plan: ProposedTrack, trackId: string, header = ''): string {
  const file = {
    track: { id: trackId, title: plan.title, description: plan.description ?? '' },
    tickets: plan.tickets.map((ticket) => ({
      id: ticket.id,
      target_file: ticket.target_file,
      prompt: ticket.prompt,
      worker_archetype: ticket.worker_archetype,
      dependencies: ticket.dependencies ?? [],
    })),
  };
  return `${header}${stringify(file)}\n`;
}

/** Only implementation archetypes (tier 3) may carry out a ticket of a plan. */
function implementers(config: ClutchConfig): ClutchConfig {
  return { ...config, agents: Object.fromEntries(Object.entries(config.agents).filter(([, agent]) => agent.tier === 3)) };
}

/**
 * A proposed or edited plan, checked exactly as a track file is (it is written as one and parsed):
 * duplicate ids, unknown dependencies, cycles, unknown archetypes, empty prompts, targets outside the
 * workspace. Every problem is one line that names the ticket, for the model or the human to fix.
 */
export function checkPlan(value: unknown, options: PlanCheckOptions): PlanCheck {
  const shape = proposedTrackSchema.safeParse(value);
  if (!shape.success) {
    return {
      ok: false,
      problems: shape.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') : 'the plan'}: ${issue.message}`),
    };
  }
  const plan = shape.data;
  const toml = planToml(plan, options.trackId);
  const file = path.join(options.workspace, 'proposed-track.toml');
  const parsed = parseTrack(toml, file, { config: implementers(options.config), workspace: options.workspace });
  if (parsed.ok) return { ok: true, track: parsed.value.track, toml };
  // Which [[tickets]] table each line of the generated file belongs to, to name the ticket.
  const lines = toml.split('\n');
  const starts: number[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '[[tickets]]') starts.push(index + 1);
  });
  const ticketAt = (line: number) => {
    let index = -1;
    for (const [i, start] of starts.entries()) if (line >= start) index = i;
    return index;
  };
  const problems = parsed.errors.map((issue) => {
    const index = ticketAt(issue.line);
    const ticket = index >= 0 ? plan.tickets[index] : undefined;
    const where = ticket ? `tickets[${index}] (id ${JSON.stringify(ticket.id)})` : 'the track';
    // Line numbers of the generated file mean nothing to the reader: say which ticket instead.
    const message = issue.message.replace(/(?:at )?line (\d+)/g, (_match, line: string) => `in tickets[${ticketAt(Number(line))}]`);
    return `${where}: ${message}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}
