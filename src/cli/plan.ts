import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Engine } from '../actors/engine.js';
import { pauseNow } from '../actors/pause-check.js';
import { planToml } from '../config/check-plan.js';
import { PLAN_LEAD, PLAN_PM, type PlannerContext } from '../machines/planner.js';
import { effectiveTrust, type ClutchConfig, type ProposedTrack, type TrustLevel, type TrustOverride } from '../protocol/index.js';
import { workerKey } from '../protocol/actor-keys.js';
import { errorText } from '../protocol/error-text.js';
import { planningOf } from '../actors/engine-machine.js';
import { UsageError } from '../runs/load-inputs.js';
import { prepareRun } from '../runs/prepare-run.js';
import { StepPrompter } from './step-prompt.js';

/** The plan as the terminal shows it at plan approval. */
export function renderPlan(context: Pick<PlannerContext, 'proposal' | 'author' | 'note'>): string {
  const plan = context.proposal;
  if (!plan) return '(no plan yet)';
  const by = context.author === 'tech_lead' ? 'revised by the tech lead' : context.author === 'human' ? 'edited by the human' : 'proposed by the pm';
  const lines = [`── plan: ${plan.title} (${plan.tickets.length} ticket${plan.tickets.length === 1 ? '' : 's'}, ${by})`];
  if (plan.description) lines.push(plan.description);
  if (context.note) lines.push(`tech lead: ${context.note}`);
  for (const ticket of plan.tickets) {
    const after = ticket.dependencies && ticket.dependencies.length > 0 ? `  after ${ticket.dependencies.join(', ')}` : '';
    lines.push(`${ticket.id} [${ticket.worker_archetype}] ${ticket.target_file}${after}`, `    ${ticket.prompt}`);
  }
  return lines.join('\n');
}

/** Whether the planner's agents would stop at pauses under this override (they then need a terminal). */
export function planningSteps(config: ClutchConfig, override: TrustOverride): boolean {
  const planning = planningOf(config);
  if (!planning) return false;
  const trustOf = (name: string | null): TrustLevel | undefined => (name ? config.agents[name]?.trust_level : undefined);
  return [trustOf(planning.pm), trustOf(planning.lead)].some((trust) => trust !== undefined && effectiveTrust(trust, override) === 'step');
}

/** Hands each pause of the planner's pm and tech lead to the step prompter, as the journal does for tickets. */
export function followPlannerPauses(engine: Engine, prompter: StepPrompter): () => void {
  const keys = new Map([
    [workerKey(PLAN_PM), PLAN_PM],
    [workerKey(PLAN_LEAD), PLAN_LEAD],
  ]);
  return engine.subscribeInspection((event) => {
    if (event.type !== '@xstate.snapshot') return;
    const key = engine.keyOf(event.actorRef as never);
    const id = key === undefined ? undefined : keys.get(key);
    if (!id) return;
    const worker = engine.worker(id);
    if (worker && pauseNow(worker.getSnapshot())) prompter.paused(id);
  });
}

export type PlanDecision = { kind: 'approve'; proposal: ProposedTrack } | { kind: 'failed'; reason: string } | { kind: 'quit' };

/**
 * Waits for plan approval (or a planner that gave up) and asks the human on the terminal: approve,
 * send back with a comment (the pm proposes again), or quit. Without a terminal (`ask` absent) the
 * plan as it stands is the answer.
 */
export async function decidePlan(engine: Engine, write: (line: string) => void, ask?: (question: string) => Promise<string | undefined>): Promise<PlanDecision> {
  for (;;) {
    await until(engine, () => !engine.conductor.getSnapshot().matches({ run: 'planning' }) || planner(engine)?.matches('awaitingApproval') === true || planner(engine)?.matches('failed') === true);
    const snapshot = planner(engine);
    if (!snapshot) {
      const error = engine.conductor.getSnapshot().context.planError;
      return { kind: 'failed', reason: error ?? 'the planner stopped' };
    }
    if (snapshot.matches('failed')) {
      const reason = snapshot.context.reason ?? 'the pm gave no plan';
      write(`planning stopped: ${reason}`);
      if (!ask) return { kind: 'failed', reason };
      const answer = (await ask('[r]etry  [q]uit > '))?.trim().toLowerCase();
      if (answer === 'r') {
        const sent = engine.send({ kind: 'planner' }, { type: 'plan.retry' });
        if (!sent.ok) write(`  refused: ${sent.error}`);
        continue;
      }
      return { kind: 'failed', reason };
    }
    write(`\n${renderPlan(snapshot.context)}`);
    const proposal = snapshot.context.proposal!;
    if (!ask) return { kind: 'approve', proposal };
    const left = snapshot.context.maxRounds - snapshot.context.rounds;
    const answer = (await ask(`[a]pprove  ${left > 0 ? `[s]end back with a comment (${left} left)  ` : ''}[q]uit > `))?.trim().toLowerCase();
    if (answer === undefined || answer === 'q') return { kind: 'quit' };
    if (answer === 'a') return { kind: 'approve', proposal };
    if (answer === 's' && left > 0) {
      const comment = (await ask('comment for the pm > '))?.trim();
      if (comment === undefined) return { kind: 'quit' };
      if (!comment) {
        write('  an empty comment sends nothing back');
        continue;
      }
      const sent = engine.send({ kind: 'planner' }, { type: 'plan.send_back', comment });
      if (!sent.ok) write(`  refused: ${sent.error}`);
      await until(engine, () => !planner(engine)?.matches('awaitingApproval'));
      continue;
    }
    write(`  not understood: ${JSON.stringify(answer)}`);
  }
}

/** Resolves once the condition holds: checked now and after every new snapshot of any actor of the run. */
export function until(engine: Engine, condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = engine.subscribeInspection((event) => {
      if (event.type !== '@xstate.snapshot' || !condition()) return;
      unsubscribe();
      resolve();
    });
  });
}

function planner(engine: Engine) {
  return engine.planner()?.getSnapshot();
}

export interface PlanOptions {
  cwd: string;
  request: string;
  config?: string;
  workspace?: string;
  trust?: TrustLevel;
  model?: string;
  script?: string;
  out?: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
}

/**
 * `clutch plan "REQUEST"`: plans only. The pm proposes a track, the tech lead checks it, the human
 * approves it on the terminal, and it is written as a track file (`--out`, else the run folder's
 * track.toml) that `clutch run` accepts. Nothing is carried out. Without a terminal the planner's
 * agents run on auto (they work in the run's copy of the workspace) and the plan is written as proposed,
 * for the human to read before running it.
 */
export async function planCommand(options: PlanOptions): Promise<number> {
  const print = (line: string) => options.stdout.write(`${line}\n`);
  const out = options.out ? resolve(options.cwd, options.out) : undefined;
  if (out && existsSync(out)) throw new UsageError(`${out} exists; plan never overwrites a file: give another --out, or move it away`);
  const terminal = options.stdin.isTTY === true;
  let steps = false;
  const prepared = await prepareRun({
    cwd: options.cwd,
    track: '',
    request: options.request,
    ...(options.config ? { config: options.config } : {}),
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.script ? { script: options.script } : {}),
    ...(options.trust ? { trust: options.trust } : !terminal ? { trust: 'auto' as const } : {}),
    check: (config) => {
      steps = planningSteps(config, options.trust ?? (terminal ? config.execution.trust_override : 'auto'));
    },
  });
  const { engine, run } = prepared;
  print(`plan ${run.id}: planning in ${run.workspace}`);
  if (!terminal && !options.trust) print('no terminal to ask at the planner\'s pauses: the pm and the tech lead run on auto, in the run\'s copy of the workspace; the plan is written as proposed');
  const prompter = terminal ? new StepPrompter(engine, options.stdin, options.stdout) : undefined;
  const unfollow = prompter && steps ? followPlannerPauses(engine, prompter) : () => {};
  engine.journal.subscribe((entry) => {
    if (entry.kind === 'tool' && (entry.ticket === PLAN_PM || entry.ticket === PLAN_LEAD)) {
      print(`  ${entry.ticket === PLAN_PM ? 'pm' : 'tech lead'}: ${entry.tool}${entry.is_error ? ` → ${entry.output.split('\n')[0]}` : ''}`);
    }
  });
  let code = 1;
  try {
    engine.start();
    const decision = await decidePlan(engine, print, prompter ? (question) => prompter.question(question) : undefined);
    if (decision.kind === 'approve') {
      const target = out ?? resolve(run.runDir, 'track.toml');
      const header = `# Planned by \`clutch plan\` (run ${run.id}) from the request:\n${options.request.trim().split('\n').map((line) => `#   ${line}`).join('\n')}\n\n`;
      const text = planToml(decision.proposal, 'plan', header).replace(/^\[track\]\n/m, `[track]\nworkspace = ${JSON.stringify(prepared.sourceWorkspace ?? run.workspace)}\n`);
      writeFileSync(target, text, { flag: out ? 'wx' : 'w' });
      print(`\nwrote ${target}\nrun it with: clutch run ${target}`);
      code = 0;
    } else if (decision.kind === 'failed') {
      print(`no plan: ${decision.reason}`);
    } else {
      print(`stopped; run ${run.id} is saved at plan approval: \`clutch resume ${run.id}\` goes on from there`);
    }
  } catch (error) {
    print(`planning failed: ${errorText(error)}`);
  } finally {
    unfollow();
    prompter?.close();
    await prepared.close();
  }
  return code;
}
