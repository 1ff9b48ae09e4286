import { resolve } from 'node:path';
import type { JournalEntry } from '../actors/journal.js';
import { formatCost, type UsageLine } from '../actors/usage.js';
import type { ExecutionMode, TrustLevel } from '../protocol/index.js';
import { UsageError } from './load-inputs.js';
import { prepareRun } from './prepare-run.js';
import { StepPrompter } from './step-prompt.js';

export interface RunOptions {
  cwd: string;
  track: string;
  config?: string;
  workspace?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  json: boolean;
  /** Every agent uses this [models.NAME] profile. */
  model?: string;
  /** Writes every model call to this JSONL cassette. */
  record?: string;
  /** Answers model calls from this cassette: no network, no key, no waiting. */
  replay?: string;
  /** Where ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL come from (process.env by default). */
  env?: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
}

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function describeTool(entry: Extract<JournalEntry, { kind: 'tool' }>): string {
  const input = entry.input as Record<string, unknown>;
  const subject = Array.isArray(input['argv']) ? (input['argv'] as string[]).join(' ') : String(input['path'] ?? input['pattern'] ?? '');
  const outcome = entry.is_error ? 'error' : 'ok';
  return `${entry.tool} ${oneLine(subject, 60)} → ${outcome}: ${oneLine(entry.output, 70)}`;
}

const tokens = (line: UsageLine) => `${line.input_tokens}/${line.output_tokens}`;

/** Bad flags, a missing key or an unreadable cassette are input errors (exit 2), not crashes. */
/** `clutch run`: the whole track headless. Exit 0 all completed, 1 some blocked, 2 bad input. */
export async function runCommand(options: RunOptions): Promise<number> {
  // Step mode asks on a terminal; without one, refuse before anything is created.
  let stepTickets: string[] = [];
  const { engine, config, track, run } = await prepareRun({
    ...options,
    check: (config, track) => {
      const override = options.trust ?? config.execution.trust_override;
      stepTickets = track.tickets
        .filter((ticket) => (override === 'none' ? config.agents[ticket.worker_archetype]?.trust_level === 'step' : override === 'step'))
        .map((ticket) => ticket.id);
      if (stepTickets.length > 0 && !options.stdin.isTTY) {
        throw new UsageError(
          `step mode needs a terminal to ask at each pause (tickets ${stepTickets.join(', ')} would run in step mode); ` +
            'run it in a terminal, pass --trust auto, or use `clutch serve` to approve in the browser',
        );
      }
    },
  });
  const print = (line: string) => options.stdout.write(`${line}\n`);
  const prompter = stepTickets.length > 0 ? new StepPrompter(engine, options.stdin, options.stdout) : undefined;
  engine.journal.subscribe((entry) => {
    if (entry.kind === 'ticket.status' && entry.status === 'step_paused') prompter?.paused(entry.ticket);
    if (options.json) {
      if (entry.kind === 'ticket.status') print(JSON.stringify({ type: 'ticket.status', ticket: entry.ticket, status: entry.status, at: entry.at, attempt: entry.attempt, ...(entry.reason ? { reason: entry.reason } : {}) }));
      else if (entry.kind === 'tool') print(JSON.stringify({ type: 'tool', ticket: entry.ticket, tool: entry.tool, input: entry.input, is_error: entry.is_error, at: entry.at }));
      return;
    }
    const stamp = `[${(entry.at / 1000).toFixed(2).padStart(7)}s]`;
    if (entry.kind === 'ticket.status') {
      const detail = entry.reason ? ` — ${entry.reason}` : entry.summary ? ` — ${oneLine(entry.summary, 80)}` : '';
      print(`${stamp} ${entry.ticket.padEnd(8)} ${entry.status}${detail}`);
    } else if (entry.kind === 'tool') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   ${describeTool(entry)}`);
    }
  });
  if (options.json) print(JSON.stringify({ type: 'run.start', run: run.id, run_dir: run.runDir, workspace: run.workspace, mode: options.mode ?? config.execution.mode }));
  else print(`run ${run.id}: ${track.tickets.length} tickets, workspace ${run.workspace}`);
  engine.start();
  const outcome = await engine.finished();
  prompter?.close();
  await engine.stop();
  const spent = engine.usage();
  if (options.json) {
    print(JSON.stringify({ type: 'usage', ...spent }));
    print(JSON.stringify({ type: 'run.end', tickets: outcome.tickets }));
  } else {
    print('');
    print(`${'ticket'.padEnd(10)}${'status'.padEnd(12)}${'tries'.padEnd(7)}${'tier'.padEnd(6)}${'tokens in/out'.padEnd(17)}${'cost'.padEnd(10)}result`);
    for (const ticket of engine.track().tickets) {
      const result = ticket.blocked_reason ?? ticket.summary ?? '';
      const line = spent.tickets[ticket.id]!;
      print(
        `${ticket.id.padEnd(10)}${ticket.status.padEnd(12)}${String(ticket.attempts ?? 0).padEnd(7)}${String(line.tier).padEnd(6)}` +
          `${tokens(line).padEnd(17)}${formatCost(line.cost_usd).padEnd(10)}${oneLine(result, 60)}`,
      );
    }
    for (const [tier, line] of Object.entries(spent.tiers)) print(`${`tier ${tier}`.padEnd(35)}${tokens(line).padEnd(17)}${formatCost(line.cost_usd)}`);
    print(`${'total'.padEnd(35)}${tokens(spent.total).padEnd(17)}${formatCost(spent.total.cost_usd)}${spent.total.cost_usd === null ? '  (set input/output_price_per_mtok for an estimate)' : ''}`);
    if (options.record) print(`recorded model calls: ${resolve(options.cwd, options.record)}`);
    print(`\nrun folder: ${run.runDir}`);
  }
  return Object.values(outcome.tickets).every((status) => status === 'completed') ? 0 : 1;
}
