import { effectiveTrust, type ClutchConfig, type ExecutionMode, type Ticket, type TrustLevel, type TrustOverride } from '../protocol/index.js';
import { UsageError } from '../runs/load-inputs.js';
import { prepareRun } from '../runs/prepare-run.js';
import { driveRun } from './drive-run.js';
import { planningSteps } from './plan.js';

export interface RunOptions {
  cwd: string;
  track: string;
  /** Plan this request first (the plan is approved on the terminal, or with `yes`), then run it. */
  request?: string;
  /** Approve the plan as proposed (a request run without a terminal). */
  yes?: boolean;
  config?: string;
  workspace?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  json: boolean;
  /** Every agent uses this [models.NAME] profile. */
  model?: string;
  /** The scripted profile replays this script instead of its own. */
  script?: string;
  /** Writes every model call to this JSONL cassette. */
  record?: string;
  /** Answers model calls from this cassette: no network, no key, no waiting. */
  replay?: string;
  /** Where ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL come from (process.env by default). */
  env?: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
}

/** The message for step mode without a terminal, shared by run and resume. */
export function needsTerminal(stepTickets: string[], command: string): UsageError {
  return new UsageError(
    `step mode needs a terminal to ask at each pause (tickets ${stepTickets.join(', ')} would run in step mode); ` +
      `run it in a terminal, pass --trust auto, or use \`${command}\` to approve in the browser`,
  );
}

/** The tickets among these that would run in step mode under this override. */
export function stepTicketIds(config: ClutchConfig, tickets: readonly Ticket[], override: TrustOverride): string[] {
  return tickets.filter((ticket) => effectiveTrust(config.agents[ticket.worker_archetype]?.trust_level ?? 'step', override) === 'step').map((ticket) => ticket.id);
}

/** `clutch run`: the whole track headless. Exit 0 all completed, 1 some blocked, 2 bad input. */
export async function runCommand(options: RunOptions): Promise<number> {
  // Step mode asks on a terminal; without one, refuse before anything is created.
  let stepTickets: string[] = [];
  let planSteps = false;
  const request = options.request;
  const prepared = await prepareRun({
    ...options,
    check: (config, track) => {
      const override = options.trust ?? config.execution.trust_override;
      if (request !== undefined) {
        // The plan's tickets are not known yet: any implementation archetype may get one.
        const implementers = Object.keys(config.agents).filter((name) => config.agents[name]!.tier === 3);
        stepTickets = implementers.filter((name) => effectiveTrust(config.agents[name]!.trust_level, override) === 'step');
        planSteps = planningSteps(config, override);
        if (!options.stdin.isTTY) {
          if (planSteps || stepTickets.length > 0) throw needsTerminal(stepTickets.length > 0 ? stepTickets.map((name) => `of ${name}`) : ['of the planner'], 'clutch serve');
          if (!options.yes) throw new UsageError('run --request needs a terminal for plan approval, or --yes to approve the plan as proposed; `clutch plan` writes the plan for you to read first');
        }
        return;
      }
      stepTickets = stepTicketIds(config, track.tickets, override);
      if (stepTickets.length > 0 && !options.stdin.isTTY) throw needsTerminal(stepTickets, 'clutch serve');
    },
  });
  return driveRun(prepared, { ...options, prompt: stepTickets.length > 0 || planSteps || (request !== undefined && options.stdin.isTTY === true), ...(request !== undefined ? { planning: { yes: options.yes ?? false } } : {}) });
}
