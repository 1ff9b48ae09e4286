import { join, resolve } from 'node:path';
import type { JournalEntry } from '../actors/journal.js';
import { formatCost, type UsageLine } from '../actors/usage.js';
import type { WorkerRef } from '../actors/engine.js';
import type { PreparedRun } from '../runs/prepare-run.js';
import { StepPrompter, type StopReason } from './step-prompt.js';
import { decidePlan, followPlannerPauses } from './plan.js';
import { reviewerId } from '../machines/ticket.js';

export interface DriveOptions {
  json: boolean;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  /** Ask at pauses on this terminal. */
  prompt: boolean;
  record?: string;
  cwd: string;
  /** Runs once the engine has started (resume applies its flags here). */
  afterStart?: () => Promise<string[]>;
  /** A run begun from a request: its plan is approved on the terminal, or as proposed with `yes`. */
  planning?: { yes: boolean };
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

const atPause = (worker: WorkerRef) => {
  const state = worker.getSnapshot();
  return (
    state.status === 'active' &&
    (state.matches({ toolCycle: 'awaitingApproval' }) || state.matches({ toolCycle: 'reviewingResult' }) || state.matches({ toolCycle: 'interrupted' }) || state.matches('budgetPaused'))
  );
};

/** Pauses no switch to auto ever releases: a command a crash cut short, a spent budget. */
const waitsForHuman = (worker: WorkerRef) => {
  const state = worker.getSnapshot();
  return state.matches({ toolCycle: 'interrupted' }) || state.matches('budgetPaused');
};

/** Exit codes of a run the human stopped: 130 for Ctrl-C (128 + SIGINT, as shells report it), 1 for the end of input. */
export const stoppedExitCode: Record<StopReason, number> = { interrupt: 130, end_of_input: 1, no_plan: 1 };

const stopWords: Record<StopReason, string> = {
  interrupt: 'stopped at Ctrl-C',
  end_of_input: 'stopped: the input ended (Ctrl-D), so no one is left to answer the pauses',
  no_plan: 'stopped: no plan was approved, so nothing ran',
};

/**
 * Runs a prepared (new or resumed) run headless to its end: progress lines, the terminal prompt at
 * pauses, then the table. Without a terminal, a run left waiting only for a human (an interrupted
 * command) stops with exit 1 and stays resumable. Ctrl-C (at a prompt, or SIGINT) and the end of
 * input at a prompt stop the run cleanly: its state is saved, the table is printed, and
 * `clutch resume` goes on from there. Exit 0 all completed, 1 otherwise, 130 at Ctrl-C.
 */
export async function driveRun(prepared: PreparedRun, options: DriveOptions): Promise<number> {
  const { engine, track, run } = prepared;
  const print = (line: string) => options.stdout.write(`${line}\n`);
  let stop: (reason: StopReason) => void = () => {};
  const stopped = new Promise<StopReason>((resolve) => (stop = resolve));
  const onSignal = () => stop('interrupt');
  // Once: a second Ctrl-C while the run is being saved quits at once, as Ctrl-C always did.
  process.once('SIGINT', onSignal);
  const prompter = options.prompt ? new StepPrompter(engine, options.stdin, options.stdout, stop) : undefined;
  engine.journal.subscribe((entry) => {
    if (entry.kind === 'ticket.status' && entry.status === 'step_paused') prompter?.paused(entry.ticket);
    if (options.json) {
      if (entry.kind === 'ticket.status') print(JSON.stringify({ type: 'ticket.status', ticket: entry.ticket, status: entry.status, at: entry.at, attempt: entry.attempt, ...(entry.reason ? { reason: entry.reason } : {}) }));
      else if (entry.kind === 'tool') print(JSON.stringify({ type: 'tool', ticket: entry.ticket, tool: entry.tool, input: entry.input, is_error: entry.is_error, at: entry.at }));
      else if (entry.kind === 'tool.interrupted') print(JSON.stringify({ type: 'tool.interrupted', ticket: entry.ticket, tool: entry.tool, input: entry.input, at: entry.at }));
      return;
    }
    const stamp = `[${(entry.at / 1000).toFixed(2).padStart(7)}s]`;
    if (entry.kind === 'ticket.status') {
      const detail = entry.reason ? ` — ${entry.reason}` : entry.summary ? ` — ${oneLine(entry.summary, 80)}` : '';
      print(`${stamp} ${entry.ticket.padEnd(8)} ${entry.status}${detail}`);
    } else if (entry.kind === 'tool') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   ${describeTool(entry)}`);
    } else if (entry.kind === 'tool.interrupted') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   interrupted: ${entry.tool} may have run in part before the crash; it waits for a human`);
    } else if (entry.kind === 'qa.hint') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   QA hint (${entry.archetype}): ${oneLine(entry.hint, 90)}`);
    } else if (entry.kind === 'review.verdict') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   review: ${entry.verdict === 'approve' ? 'approved' : 'changes requested'}${entry.comments ? ` — ${oneLine(entry.comments, 80)}` : ''}`);
    } else if (entry.kind === 'budget.pause') {
      print(`${stamp} ${entry.ticket.padEnd(8)}   budget pause: ${entry.reason}`);
    } else if (entry.kind === 'budget.raised') {
      const limits = [entry.limits.max_tokens !== undefined ? `${entry.limits.max_tokens} tokens` : '', entry.limits.max_cost !== undefined ? formatCost(entry.limits.max_cost) : ''].filter(Boolean).join(', ');
      print(`${stamp} ${entry.ticket.padEnd(8)}   budget raised (${entry.scope}): ${limits}`);
    } else if (entry.kind === 'plan.approved') {
      print(`${stamp} plan approved: ${entry.tickets} tickets${entry.path ? ` (${entry.path})` : ''}`);
    }
  });
  const mode = engine.conductor.getSnapshot().context.mode;
  if (options.json) {
    print(JSON.stringify({ type: prepared.resumed ? 'run.resume' : 'run.start', run: run.id, run_dir: run.runDir, workspace: run.workspace, mode }));
  } else {
    print(`${prepared.resumed ? 'resuming run' : 'run'} ${run.id}: ${track.tickets.length} tickets, workspace ${run.workspace}`);
  }
  const unfollow = prompter && engine.conductor.getSnapshot().context.planning ? followPlannerPauses(engine, prompter) : () => {};
  engine.start();
  for (const note of (await options.afterStart?.()) ?? []) print(options.json ? JSON.stringify({ type: 'note', note }) : note);
  if (options.planning && engine.conductor.getSnapshot().matches({ run: 'planning' })) {
    const decision = await Promise.race([decidePlan(engine, print, prompter && !options.planning.yes ? (question) => prompter.question(question) : undefined), stopped]);
    if (typeof decision === 'string') stop(decision);
    else if (decision.kind === 'approve') {
      const sent = engine.send({ kind: 'planner' }, { type: 'plan.approve' });
      print(sent.ok ? `plan approved: ${decision.proposal.tickets.length} tickets; the run's track is ${join(run.runDir, 'track.toml')}` : `plan approval refused: ${sent.error}`);
    } else {
      if (decision.kind === 'failed') print(`no plan: ${decision.reason}`);
      stop('no_plan');
    }
  }
  // Pauses restored from the store are already waiting: ask about them now.
  for (const ticket of track.tickets) {
    const worker = engine.worker(ticket.id) ?? engine.worker(reviewerId(ticket.id));
    if (worker && atPause(worker)) prompter?.paused(ticket.id);
  }
  const outcome = await Promise.race([engine.finished(), stopped, prompter ? new Promise<never>(() => {}) : waitingOnlyForHuman(prepared)]);
  process.off('SIGINT', onSignal);
  unfollow();
  prompter?.close();
  const halted = typeof outcome === 'string' && outcome !== 'waiting' ? outcome : undefined;
  if (halted) {
    const message = `${stopWords[halted]}; run ${run.id} is saved as it stands: \`clutch resume ${run.id}\` goes on from here`;
    print(options.json ? JSON.stringify({ type: 'run.stopped', run: run.id, reason: halted, message }) : `\n${message}`);
  }
  await prepared.close();
  const spent = engine.usage();
  if (outcome === 'waiting') {
    const message = `run ${run.id} waits for a human at an interrupted command or a budget pause; answer it with \`clutch resume ${run.id}\` in a terminal or \`clutch serve --resume ${run.id}\``;
    print(options.json ? JSON.stringify({ type: 'run.waiting', run: run.id, message }) : `\n${message}`);
    return 1;
  }
  const tickets = halted ? Object.fromEntries(engine.track().tickets.map((ticket) => [ticket.id, ticket.status])) : (outcome as Exclude<typeof outcome, string>).tickets;
  if (options.json) {
    print(JSON.stringify({ type: 'usage', ...spent }));
    print(JSON.stringify({ type: 'run.end', tickets }));
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
    if (spent.qa.hints > 0) print(`${'QA hints'.padEnd(35)}${String(spent.qa.hints).padEnd(17)}saved the workers ${spent.qa.saved_tokens} tokens of raw command output`);
    print(`${'total'.padEnd(35)}${tokens(spent.total).padEnd(17)}${formatCost(spent.total.cost_usd)}${spent.total.cost_usd === null ? '  (set input/output_price_per_mtok for an estimate)' : ''}`);
    const budgets = budgetLines(engine);
    if (budgets.length > 0) print(`budgets: ${budgets.join('; ')}`);
    if (options.record) print(`recorded model calls: ${resolve(options.cwd, options.record)}`);
    print(`\nrun folder: ${run.runDir}`);
    print(`run id: ${run.id} (\`clutch runs\` lists it; \`clutch export ${run.id}\` writes its journal)`);
  }
  if (halted) return stoppedExitCode[halted];
  return Object.values(tickets).every((status) => status === 'completed') ? 0 : 1;
}

/** "T1 4,210 of 5,000 tokens", "run $1.2000 of $5.00": each budget in force beside its spend. */
function budgetLines(engine: PreparedRun['engine']): string[] {
  const { run, tickets } = engine.budgets();
  const lines = Object.entries(tickets).map(([id, limits]) => {
    const { spent } = engine.budgetOf(id);
    const parts = [
      limits.max_tokens !== undefined ? `${spent.tokens.toLocaleString('en-US')} of ${limits.max_tokens.toLocaleString('en-US')} tokens` : '',
      limits.max_cost !== undefined ? `${formatCost(spent.cost_usd)} of ${formatCost(limits.max_cost)}` : '',
    ];
    return `${id} ${parts.filter(Boolean).join(', ')}`;
  });
  if (run.max_cost !== undefined) lines.push(`run ${formatCost(engine.runBudget().spent.cost_usd)} of ${formatCost(run.max_cost)}`);
  return lines;
}

/** Resolves once nothing can go on without a human: every active ticket waits at an interrupted command or a budget pause. */
function waitingOnlyForHuman(prepared: PreparedRun): Promise<'waiting'> {
  const { engine } = prepared;
  return new Promise((resolve) => {
    let queued = false;
    const check = () => {
      queued = false;
      const conductor = engine.conductor.getSnapshot();
      if (!conductor.matches({ run: 'running' }) || conductor.context.active === 0) return;
      // The tickets alive now are the conductor's children: a few, where the track may have 10k.
      const workers = Object.keys(conductor.children)
        .map((id) => engine.worker(id) ?? engine.worker(reviewerId(id)))
        .filter((worker) => worker !== undefined);
      if (workers.length === conductor.context.active && workers.every(waitsForHuman)) {
        subscription.unsubscribe();
        resolve('waiting');
      }
    };
    // A worker reaching such a pause tells its ticket, which tells the conductor (step_paused): one
    // check after each burst of the conductor's changes, not one per actor's snapshot.
    const subscription = engine.conductor.subscribe({
      next: () => {
        if (queued) return;
        queued = true;
        queueMicrotask(check);
      },
      error: () => {},
    });
    check();
  });
}
