import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareRun, type PreparedRun } from '../../src/runs/prepare-run.js';
import { resumeRun } from '../../src/runs/resume-run.js';
import { waitFor } from 'xstate';
import type { Engine } from '../../src/actors/engine.js';
import { pauseNow } from '../../src/actors/pause-check.js';
import type { ClutchConfig, PauseRef } from '../../src/protocol/index.js';
import { agent, call, done, reply, startEngine, tempDir, testConfig, ticket, until, type Harness } from '../support/engine-harness.js';

const repo = resolve(import.meta.dirname, '../..');

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const write = (id: string, path: string) => reply(call(id, 'write_file', { path, content: `${path}\n` }));

/** Waits for the ticket's worker at its budget pause, and names the pause as a command must. */
async function budgetPause(engine: Engine, ticketId: string): Promise<PauseRef> {
  await until(engine, () => engine.worker(ticketId)?.getSnapshot().matches('budgetPaused') === true);
  const pause = pauseNow(engine.worker(ticketId)!.getSnapshot());
  expect(pause?.kind).toBe('budget');
  return pause!;
}

function statusOf(engine: Engine, id: string) {
  return engine.track().tickets.find((ticket) => ticket.id === id)!;
}

/** Every agent on a priced profile (one dollar per thousand tokens) played by the scripted model. */
function pricedConfig(overrides: Partial<ClutchConfig['execution']> = {}, perTicket: { max_tokens_per_ticket?: number; max_cost_per_ticket?: number } = {}): ClutchConfig {
  const base = testConfig({ agents: { codegen: agent('auto', perTicket) } });
  return {
    ...base,
    execution: { ...base.execution, ...overrides },
    models: { scripted: { provider: 'anthropic', model: 'priced', input_price_per_mtok: 1000, output_price_per_mtok: 1000 } },
  };
}

describe('a ticket budget', () => {
  it('stops the ticket at its budget pause; a raise below the spend is refused, a raise above it lets it go on', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [write('w1', 'a.txt'), done('d1')] },
      config: testConfig({ agents: { codegen: agent('auto', { max_tokens_per_ticket: 10 }) } }),
    });
    const { engine, journal } = harness;
    const pause = await budgetPause(engine, 'T1');
    expect(statusOf(engine, 'T1').status).toBe('step_paused');
    const worker = engine.worker('T1')!;
    const stop = worker.getSnapshot().context.budget.stop!;
    expect(stop).toMatchObject({ scope: 'ticket', ticket: 'T1', reached: 'tokens', limits: { max_tokens: 10 } });
    expect(stop.spent.tokens).toBeGreaterThan(10);
    expect(stop.reason).toMatch(/^T1 spent [\d,]+ tokens \(\$0\.0000\) of its budget of 10 tokens \(max_tokens_per_ticket of \[agents\.codegen\]\)$/);
    const paused = journal.find((entry) => entry.kind === 'budget.pause');
    expect(paused).toMatchObject({ kind: 'budget.pause', ticket: 'T1', scope: 'ticket', reached: 'tokens', tokens: stop.spent.tokens });
    // The first turn ran (the write happened); the second never asked the model.
    expect(journal.filter((entry) => entry.kind === 'model.turn')).toHaveLength(1);

    const low = engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause, max_tokens: stop.spent.tokens });
    expect(low).toEqual({ ok: false, error: expect.stringMatching(/refuses clutch\.raise_budget: max_tokens [\d,]+ is not above the [\d,]+ tokens spent; nothing changed/) });
    const wrongKind = engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause, max_cost: 5 });
    expect(wrongKind.ok).toBe(false);
    const stale = engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause: { kind: 'budget', tool_use_id: 'budget-9' }, max_tokens: 1_000_000 });
    expect(stale.ok).toBe(false);
    expect(worker.getSnapshot().matches('budgetPaused')).toBe(true);

    expect(engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause, max_tokens: 1_000_000 })).toEqual({ ok: true });
    expect(await engine.finished()).toMatchObject({ state: 'done', tickets: { T1: 'completed' } });
    expect(journal.filter((entry) => entry.kind === 'budget.raised')).toEqual([expect.objectContaining({ ticket: 'T1', scope: 'ticket', limits: { max_tokens: 1_000_000 } })]);
    expect(engine.budgetOf('T1').limits).toEqual({ max_tokens: 1_000_000 });
  });

  it('an abort at the budget pause blocks the ticket with the spend in its reason', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [write('w1', 'a.txt'), done('d1')] },
      config: pricedConfig({}, { max_cost_per_ticket: 0.01 }),
    });
    const { engine } = harness;
    const pause = await budgetPause(engine, 'T1');
    expect(engine.worker('T1')!.getSnapshot().context.budget.stop).toMatchObject({ reached: 'cost', limits: { max_cost: 0.01 } });
    expect(engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.abort', pause })).toEqual({ ok: true });
    await waitFor(engine.conductor, () => statusOf(engine, 'T1').status === 'blocked');
    expect(statusOf(engine, 'T1').blocked_reason).toMatch(/^aborted by the human at the budget pause: T1 spent \$\d+\.\d+ \([\d,]+ tokens\) of its budget of \$0\.0100 \(max_cost_per_ticket of \[agents\.codegen\]\)$/);
  });
});

describe('the run budget', () => {
  it('stops every ticket at its next turn; one raise lets them all go on', async () => {
    harness = startEngine({
      tickets: [ticket('T1'), ticket('T2')],
      script: { T1: [write('w1', 'a.txt'), done('d1')], T2: [write('w2', 'b.txt'), done('d2')] },
      config: pricedConfig({ max_cost_per_run: 0.05 }),
    });
    const { engine, journal } = harness;
    const pause = await budgetPause(engine, 'T1');
    await budgetPause(engine, 'T2');
    const stop = engine.worker('T1')!.getSnapshot().context.budget.stop!;
    expect(stop).toMatchObject({ scope: 'run', reached: 'cost', limits: { max_cost: 0.05 } });
    expect(stop.reason).toMatch(/^the run spent \$\d+\.\d+ \([\d,]+ tokens\) of its budget of \$0\.0500 \(max_cost_per_run\)$/);
    expect(engine.runBudget().spent.cost_usd).toBeGreaterThan(0.05);

    expect(engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause, max_cost: 100 })).toEqual({ ok: true });
    expect(await engine.finished()).toMatchObject({ state: 'done', tickets: { T1: 'completed', T2: 'completed' } });
    expect(engine.runBudget().max_cost).toBe(100);
    expect(journal.filter((entry) => entry.kind === 'budget.pause').map((entry) => entry.kind === 'budget.pause' && entry.scope)).toEqual(['run', 'run']);
  });
});

describe('budgets across a crash', () => {
  it('a run killed at a budget pause resumes at it; a raise given is journaled and restored on the next resume', async () => {
    const cwd = tempDir('clutch-budget-resume-');
    const runs: PreparedRun[] = [];
    try {
      cpSync(join(repo, 'demo'), join(cwd, 'demo'), { recursive: true });
      // codegen (T1, T2, T4) may spend 3,000 tokens a ticket: T1 stops after its first turn or two.
      const text = readFileSync(join(repo, 'agents.toml'), 'utf8').replace('# max_tokens_per_ticket = 200000', 'max_tokens_per_ticket = 3000');
      writeFileSync(join(cwd, 'agents.toml'), text);
      const die = (run: PreparedRun) => {
        run.engine.commit();
        runs.splice(runs.indexOf(run), 1);
        run.engine.conductor.stop();
        run.store.db.close();
      };
      const first = await prepareRun({ cwd, track: 'demo/track.toml', trust: 'auto', mode: 'linear' });
      runs.push(first);
      first.engine.start();
      await budgetPause(first.engine, 'T1');
      const spent = first.engine.worker('T1')!.getSnapshot().context.budget.stop!.spent.tokens;
      die(first);

      const second = await resumeRun({ cwd, run: first.run.id });
      runs.push(second);
      second.engine.start();
      const pause = await budgetPause(second.engine, 'T1');
      expect(second.engine.worker('T1')!.getSnapshot().context.budget.stop!.spent.tokens).toBe(spent);
      expect(second.engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.raise_budget', pause, max_tokens: spent + 1 })).toEqual({ ok: true });
      // One more turn, and T1 is over its raised budget again.
      await until(second.engine, () => second.engine.worker('T1')?.getSnapshot().context.budget.pauses === 2);
      die(second);

      const third = await resumeRun({ cwd, run: first.run.id });
      runs.push(third);
      third.engine.start();
      expect(third.engine.budgetOf('T1').limits).toEqual({ max_tokens: spent + 1 });
      const again = await budgetPause(third.engine, 'T1');
      expect(again.tool_use_id).toBe('budget-2');
      expect(third.engine.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.abort', pause: again })).toEqual({ ok: true });
      await until(third.engine, () => statusOf(third.engine, 'T1').status === 'blocked');
      expect(statusOf(third.engine, 'T1').blocked_reason).toMatch(/at the budget pause: T1 spent [\d,]+ tokens \(\$0\.0000\) of its budget of [\d,]+ tokens/);
    } finally {
      for (const run of runs) await run.close();
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
