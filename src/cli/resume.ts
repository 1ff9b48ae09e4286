import type { ExecutionMode, TrustLevel } from '../protocol/index.js';
import { applyResumeFlags, resumeRun } from '../runs/resume-run.js';
import { driveRun } from './drive-run.js';
import { needsTerminal, stepTicketIds } from './run.js';
import { UsageError } from '../runs/load-inputs.js';

export interface ResumeCommandOptions {
  cwd: string;
  run: string;
  config?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  json: boolean;
  /** A run still at plan approval: approve the plan as proposed (without a terminal). */
  yes?: boolean;
  env?: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
}

/** `clutch resume RUN`: goes on headless from the run's last committed state. */
export async function resumeCommand(options: ResumeCommandOptions): Promise<number> {
  const prepared = await resumeRun({ cwd: options.cwd, run: options.run, ...(options.config ? { config: options.config } : {}), ...(options.env ? { env: options.env } : {}) });
  const { engine, config } = prepared;
  const conductor = engine.conductor.getSnapshot();
  const override = options.trust ?? conductor.context.trustOverride;
  const unfinished = engine.track().tickets.filter((ticket) => ticket.status !== 'completed');
  const stepTickets = stepTicketIds(config, unfinished, override);
  if (stepTickets.length > 0 && !options.stdin.isTTY) {
    await prepared.close();
    throw needsTerminal(stepTickets, `clutch serve --resume ${prepared.run.id}`);
  }
  // A run begun from a request that has not been planned yet: its plan still needs approving.
  const planning = conductor.matches({ run: 'planning' }) || (conductor.context.request !== null && conductor.context.specs.length === 0);
  if (planning && !options.stdin.isTTY && !options.yes) {
    await prepared.close();
    throw new UsageError(`run ${prepared.run.id} is still planning its request: resume it in a terminal to approve the plan, pass --yes to approve it as proposed, or use \`clutch serve --resume ${prepared.run.id}\``);
  }
  return driveRun(prepared, {
    json: options.json,
    stdin: options.stdin,
    stdout: options.stdout,
    cwd: options.cwd,
    // On a terminal an interrupted command can be answered here, whatever the trust.
    prompt: options.stdin.isTTY === true,
    ...(planning ? { planning: { yes: options.yes ?? false } } : {}),
    afterStart: () => applyResumeFlags(engine, { ...(options.mode ? { mode: options.mode } : {}), ...(options.trust ? { trust: options.trust } : {}) }),
  });
}
